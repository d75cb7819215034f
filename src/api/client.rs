//! The HTTP client: submit, get, download, each through the request budget and the retry
//! policy. The API key goes only to the API's own origin; download links are fetched without
//! it.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{RequestBuilder, Response, StatusCode, header};
use tokio::io::AsyncWriteExt;
use url::Url;

use super::budget::RequestBudget;
use super::error::ApiError;
use super::partial_file::PartialFile;
use super::request::JobRequest;
use super::retry::RetryPolicy;
use super::wire::{Accepted, ErrorBody, JobOut, JobStatus, OutputFormat, TextToCadBody};
use crate::keychain::Secret;

/// The real API.
pub const DEFAULT_BASE_URL: &str = "https://api.makistry.ai/v1";
/// Longest prompt (characters).
pub const MAX_PROMPT_CHARS: usize = 5000;
/// Most images per job.
pub const MAX_IMAGES: usize = 3;
/// Largest image: 10 MiB.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// Time-out of one API request (the contract's safe-post pattern uses 30 s).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a request is waiting before its next attempt; reported so a UI can show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// The error that caused the wait.
    pub error: ApiError,
    /// How long until the next attempt.
    pub delay: Duration,
    /// Attempt number of the next try (2 = first retry).
    pub next_attempt: usize,
}

/// Receives [`Waiting`] notices.
pub type WaitObserver<'a> = &'a (dyn Fn(&Waiting) + Send + Sync);

/// Ignores wait notices.
pub fn ignore_waits(_: &Waiting) {}

/// Normalises a base URL: `https://host[:port]/v1`, or `http://` for loopback only. A URL
/// without a path gets `/v1`.
pub fn parse_base_url(input: &str) -> Result<Url, ApiError> {
    let refuse = |why: &str| ApiError::BadAddress(format!("The API address {input:?} {why}"));
    let mut url = Url::parse(input.trim()).map_err(|_| refuse("is not a URL"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => return Err(refuse("has no host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(refuse(
                "must use https:// (plain http is allowed only on this computer)",
            ));
        }
        _ => return Err(refuse("must start with https://")),
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(refuse("must not carry a query, fragment or credentials"));
    }
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(if path.is_empty() { "/v1" } else { &path });
    Ok(url)
}

/// A client for one API key.
#[derive(Clone)]
pub struct Client {
    api: reqwest::Client,
    downloads: reqwest::Client,
    base: Url,
    key: Secret,
    budget: Arc<RequestBudget>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("key", &self.key)
            .finish()
    }
}

fn transport(error: &reqwest::Error) -> ApiError {
    // The whole chain goes to the log; the user reads the cause in words, without the URL
    // (links carry signatures) or the HTTP stack's own error names.
    let mut chain = String::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        chain = format!("{chain}: {cause}");
        source = cause.source();
    }
    tracing::debug!("transport error{chain}");
    let lower = chain.to_ascii_lowercase();
    // The OS's own word where the chain carries one; the text only where it does not (DNS
    // failures come as plain messages).
    let os_error = std::iter::successors(std::error::Error::source(error), |e| e.source())
        .find_map(|e| e.downcast_ref::<std::io::Error>().map(std::io::Error::kind));
    let certificate = lower.contains("certificate");
    let detail = if certificate && (lower.contains("expired") || lower.contains("notvalidyet")) {
        "the server's certificate is not valid at this computer's time (check the clock)"
    } else if certificate {
        let why = if lower.contains("unknownissuer") {
            "it was issued by an authority this computer does not know"
        } else if lower.contains("notvalidforname") {
            "it was made for another address"
        } else {
            "it does not verify"
        };
        return ApiError::UntrustedServer {
            detail: why.to_string(),
        };
    } else if error.is_timeout() {
        "the request timed out"
    } else if lower.contains("dns") || lower.contains("lookup address") {
        "this computer could not look up the API's address (no network, or no DNS)"
    } else if os_error == Some(std::io::ErrorKind::ConnectionRefused) || lower.contains("refused") {
        "nothing answered at the API's address"
    } else if lower.contains("tls") {
        "a secure connection could not be set up (check the computer's clock, or a proxy)"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "the connection was cut"
    };
    if error.is_connect() {
        // Nothing of the request left this computer.
        return ApiError::Unreachable {
            detail: detail.to_string(),
        };
    }
    ApiError::Transport {
        detail: detail.to_string(),
    }
}

fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Reads a non-2xx answer into its typed error.
async fn error_from(response: Response) -> ApiError {
    let status = response.status();
    let retry_after = retry_after(&response);
    let body: ErrorBody = response.json().await.unwrap_or_default();
    let message = body.message.clone();
    match (status.as_u16(), body.error_code.as_deref()) {
        (401, _) => ApiError::InvalidApiKey { message },
        (402, _) => ApiError::PaymentRequired { message },
        (404, _) => ApiError::NotFound,
        (410, _) => ApiError::OutputExpired { message },
        (422, Some("image_parse_failed")) => ApiError::ImageParseFailed {
            message: message.unwrap_or_default(),
        },
        (422, Some("invalid_input")) => ApiError::InvalidInput {
            message: message.unwrap_or_default(),
        },
        (429, _) => ApiError::QuotaExceeded {
            message,
            retry_after,
        },
        (s, _) if status.is_server_error() => ApiError::ServerError { status: s },
        (s, code) => ApiError::Unexpected {
            status: s,
            code: code.map(str::to_string),
            message,
        },
    }
}

impl Client {
    /// A client for the API at `base_url` (see [`parse_base_url`]) with `key`, whose requests
    /// go through `budget` (share one budget between every client of the same key).
    pub fn new(base_url: &str, key: Secret, budget: Arc<RequestBudget>) -> Result<Self, ApiError> {
        let base = parse_base_url(base_url)?;
        let user_agent = concat!("makistry-desktop/", env!("CARGO_PKG_VERSION"));
        let api = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            // An API call never redirects; following one could carry the key elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ApiError::ClientStart {
                detail: e.to_string(),
            })?;
        let downloads = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| ApiError::ClientStart {
                detail: e.to_string(),
            })?;
        Ok(Self {
            api,
            downloads,
            base,
            key,
            budget,
            retry: RetryPolicy::contract(),
        })
    }

    /// Replaces the retry schedule (tests use short delays).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The normalised base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The key's preview (`…last4`).
    pub fn key_preview(&self) -> String {
        self.key.preview()
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}/{path}", self.base.as_str().trim_end_matches('/'))
    }

    /// Sends the request built by `build` until it succeeds or the retry policy gives up.
    async fn send(
        &self,
        build: impl Fn() -> RequestBuilder,
        on_wait: WaitObserver<'_>,
    ) -> Result<Response, ApiError> {
        let (mut transient, mut rate_limited) = (0, 0);
        // Whether any attempt may have reached the server: then a final failure to connect
        // no longer proves the request was never sent.
        let mut reached = false;
        loop {
            let taken = self.budget.take().await;
            let sent = build().bearer_auth(self.key.expose()).send().await;
            self.budget.answered(taken, Instant::now());
            let error = match sent {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => error_from(response).await,
                Err(e) => transport(&e),
            };
            let error = match error {
                ApiError::Unreachable { detail } if reached => ApiError::Transport { detail },
                ApiError::Unreachable { .. } => error,
                _ => {
                    reached = true;
                    error
                }
            };
            let Some(delay) = self.retry.delay(&error, transient, rate_limited) else {
                return Err(error);
            };
            if matches!(error, ApiError::QuotaExceeded { .. }) {
                rate_limited += 1;
                // The server's window is full: hold every request with this key, not just this one.
                self.budget.block_until(Instant::now() + delay);
            } else {
                transient += 1;
            }
            on_wait(&Waiting {
                error,
                delay,
                next_attempt: transient + rate_limited + 1,
            });
            tokio::time::sleep(delay).await;
        }
    }

    /// Submits `request` with `idempotency_key` (the same key on every retry of this
    /// submission, so the server creates one job at most).
    pub async fn submit(
        &self,
        request: &JobRequest,
        idempotency_key: &str,
        on_wait: WaitObserver<'_>,
    ) -> Result<Accepted, ApiError> {
        request.check()?;
        let response = if request.images.is_empty() {
            let body = TextToCadBody {
                prompt: &request.prompt,
                design_mode: request.mode,
                output_format: request.format,
                metadata: request.metadata.as_ref(),
            };
            let url = self.endpoint("text-to-cad");
            self.send(
                || {
                    self.api
                        .post(&url)
                        .header("Idempotency-Key", idempotency_key)
                        .json(&body)
                },
                on_wait,
            )
            .await?
        } else {
            let url = self.endpoint("image-to-cad");
            let metadata_json = request
                .metadata
                .as_ref()
                .map(|m| serde_json::Value::Object(m.clone()).to_string());
            let form = || {
                let mut form = reqwest::multipart::Form::new();
                for image in &request.images {
                    let part = reqwest::multipart::Part::stream(image.bytes.clone())
                        .file_name(image.file_name.clone())
                        .mime_str(image.mime)
                        .unwrap_or_else(|_| reqwest::multipart::Part::stream(image.bytes.clone()));
                    form = form.part("image", part);
                }
                if !request.prompt.trim().is_empty() {
                    form = form.text("prompt", request.prompt.clone());
                }
                form = form
                    .text("design_mode", request.mode.as_str())
                    .text("output_format", request.format.as_str());
                if let Some(json) = &metadata_json {
                    form = form.text("metadata_json", json.clone());
                }
                form
            };
            self.send(
                || {
                    self.api
                        .post(&url)
                        .header("Idempotency-Key", idempotency_key)
                        .multipart(form())
                },
                on_wait,
            )
            .await?
        };
        response.json().await.map_err(|e| ApiError::BadResponse {
            detail: e.to_string(),
        })
    }

    /// `GET /jobs/{job_id}`.
    pub async fn get_job(
        &self,
        job_id: &str,
        on_wait: WaitObserver<'_>,
    ) -> Result<JobOut, ApiError> {
        if job_id.is_empty()
            || !job_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(ApiError::InvalidRequest(format!(
                "{job_id:?} is not a job id"
            )));
        }
        let url = self.endpoint(&format!("jobs/{job_id}"));
        let response = self.send(|| self.api.get(&url), on_wait).await?;
        let body = response.bytes().await.map_err(|e| transport(&e))?;
        let out: JobOut = serde_json::from_slice(&body).map_err(|e| ApiError::BadResponse {
            detail: e.to_string(),
        })?;
        if out.status == JobStatus::Other {
            super::wire::note_undocumented_status(&body);
        }
        Ok(out)
    }

    /// Checks the key with one request: a job id that cannot exist answers 404 for a good key
    /// and 401 for a bad or revoked one.
    pub async fn check_key(&self) -> Result<(), ApiError> {
        match self.get_job("pub_000000000000", &ignore_waits).await {
            Err(ApiError::NotFound) | Ok(_) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Downloads a signed link to `destination`, reporting (bytes so far, total if known).
    /// The file is written beside the destination under a temporary name and renamed into
    /// place only when it is whole as a `format` file, so `destination` never holds a partial
    /// file. No API key is sent: the link is signed; redirects are followed.
    pub async fn download(
        &self,
        url: &str,
        destination: &Path,
        format: OutputFormat,
        on_progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
    ) -> Result<u64, ApiError> {
        let mut response = self
            .downloads
            .get(url)
            .send()
            .await
            .map_err(|e| transport(&e))?;
        match response.status() {
            status if status.is_success() => {}
            StatusCode::GONE => return Err(ApiError::OutputExpired { message: None }),
            status => {
                return Err(ApiError::DownloadRefused {
                    status: status.as_u16(),
                });
            }
        }
        let total = response.content_length();
        let file_error = |e: std::io::Error| ApiError::from_io(&e, total);
        let directory = destination
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        tokio::fs::create_dir_all(directory)
            .await
            .map_err(file_error)?;
        let partial = PartialFile::new(directory, destination);
        let mut file = tokio::fs::File::create(&partial.path)
            .await
            .map_err(file_error)?;
        let mut received = 0u64;
        on_progress(0, total);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    file.write_all(&chunk).await.map_err(file_error)?;
                    received += chunk.len() as u64;
                    on_progress(received, total);
                }
                Ok(None) => break,
                Err(e) => return Err(transport(&e)),
            }
        }
        if total.is_some_and(|total| total != received) {
            return Err(ApiError::Transport {
                detail: format!("the download stopped after {received} bytes"),
            });
        }
        file.sync_all().await.map_err(file_error)?;
        drop(file);
        let written = partial.path.clone();
        let whole = tokio::task::spawn_blocking(move || super::whole_file::check(format, &written))
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        if let Err(detail) = whole {
            return Err(ApiError::IncompleteDownload { detail });
        }
        partial.persist().await.map_err(file_error)?;
        Ok(received)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{DesignMode, ImageUpload};
    use bytes::Bytes;

    #[test]
    fn base_urls_are_normalised_and_plain_http_only_on_loopback() {
        let ok = |s: &str| parse_base_url(s).map(|u| u.to_string());
        assert_eq!(
            ok("https://api.makistry.ai/v1").as_deref(),
            Ok("https://api.makistry.ai/v1")
        );
        assert_eq!(
            ok("https://api.makistry.ai/").as_deref(),
            Ok("https://api.makistry.ai/v1")
        );
        assert_eq!(
            ok("http://127.0.0.1:8765").as_deref(),
            Ok("http://127.0.0.1:8765/v1")
        );
        assert_eq!(
            ok("http://localhost:8765/v1/").as_deref(),
            Ok("http://localhost:8765/v1")
        );
        assert_eq!(
            ok("http://[::1]:8765/v1").as_deref(),
            Ok("http://[::1]:8765/v1")
        );
        for bad in [
            "http://api.makistry.ai/v1",
            "http://192.168.1.5:8765",
            "ftp://x",
            "api.makistry.ai",
            "https://u:p@host/v1",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn requests_that_would_be_refused_are_caught_before_sending() {
        let image = ImageUpload {
            file_name: "a.png".into(),
            mime: "image/png",
            bytes: Bytes::from_static(b"png"),
        };
        let base = JobRequest {
            prompt: "a box".into(),
            mode: DesignMode::Standard,
            format: OutputFormat::Glb,
            images: vec![],
            metadata: None,
        };
        assert!(base.check().is_ok());
        assert!(
            JobRequest {
                prompt: " ".into(),
                ..base.clone()
            }
            .check()
            .is_err()
        );
        assert!(
            JobRequest {
                prompt: "x".repeat(5001),
                ..base.clone()
            }
            .check()
            .is_err()
        );
        assert!(
            JobRequest {
                prompt: String::new(),
                images: vec![image.clone()],
                ..base.clone()
            }
            .check()
            .is_ok()
        );
        assert!(
            JobRequest {
                mode: DesignMode::Pro,
                images: vec![image.clone()],
                ..base.clone()
            }
            .check()
            .is_err()
        );
        assert!(
            JobRequest {
                images: vec![image; 4],
                ..base
            }
            .check()
            .is_err()
        );
    }
}
