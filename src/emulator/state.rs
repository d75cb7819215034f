//! The emulator's state: accounts (keys, credits, rate windows), jobs, idempotency records and
//! signed download links. One mutex guards it; no lock is held across an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::clock::{Clock, delta, elapsed_between};
use super::error::ApiError;
use super::faults::{DownloadFault, Faults};
use super::lifecycle::{FailureTrigger, JobPlan, Outcome, Timing, reservation};
use super::parts::{self, Part};
use super::rate_limit::{RateLimits, SlidingWindow};
use super::requests::{Endpoint, ImageInfo, Submission};
use super::wire::{Accepted, DesignMode, JobOut, JobStatus, OutputFormat, RotatedSecret};

/// Settings fixed for the life of a server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Job durations.
    pub timing: Timing,
    /// Request limits per key.
    pub rate_limits: RateLimits,
    /// How long outputs stay downloadable, from job creation (contract: 30 days).
    pub output_retention: Duration,
    /// How long one signed `download_url` stays valid (open point 21: 15 minutes).
    pub download_url_lifetime: Duration,
    /// How long an `Idempotency-Key` is remembered (open point 11: 24 hours).
    pub idempotency_retention: Duration,
}

/// One row of `GET /_emulator/jobs`: what a black-box test needs to count and inspect
/// submissions. Never holds the full API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSummary {
    /// The job's id.
    pub job_id: String,
    /// Which endpoint created it.
    pub endpoint: Endpoint,
    /// `…` and the last 4 characters of the key that owns it.
    pub key_preview: String,
    /// Current status.
    pub status: JobStatus,
    /// The prompt, cut to 200 characters.
    pub prompt: String,
    /// The prompt's full length in characters.
    pub prompt_chars: usize,
    /// Design mode.
    pub design_mode: DesignMode,
    /// Output format.
    pub output_format: OutputFormat,
    /// What was learned about each image.
    pub images: Vec<ImageInfo>,
    /// Echoed metadata.
    pub metadata: serde_json::Value,
    /// The `Idempotency-Key` it was created with.
    pub idempotency_key: Option<String>,
    /// Which library part it produces.
    pub part: String,
    /// `error_code` if it fails.
    pub error_code: Option<String>,
    /// ISO 8601 creation time on the emulator clock.
    pub created_at: String,
}

/// Counters over the `/v1` API, for tests that must prove what a client did (or did not) do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// `/v1` requests answered, fault-injected ones included.
    pub requests: u64,
    /// Answers by HTTP status code.
    pub by_status: BTreeMap<u16, u64>,
    /// Downloads started on signed links (valid or not).
    pub downloads: u64,
    /// Downloads that carried an `Authorization` header: a client leaking its key to the
    /// download host (which, for the real API, may be another origin).
    pub downloads_with_credentials: u64,
}

/// A download ready to be served.
#[derive(Debug)]
pub struct Download {
    /// The file.
    pub bytes: &'static [u8],
    /// Its MIME type.
    pub mime: &'static str,
    /// Its file name.
    pub file_name: String,
    /// The fault to inject, if any.
    pub fault: DownloadFault,
}

/// Why a signed download link was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum DownloadRefusal {
    /// 403: the signature does not match (or the link was tampered with).
    BadSignature,
    /// 403: the link's own lifetime ran out; GET the job for a fresh one.
    LinkExpired,
    /// 404: no such job or file.
    NotFound,
    /// 410: the job's output is past retention.
    OutputExpired,
}

pub(super) struct Account {
    pub(super) key_id: String,
    pub(super) credits: u64,
    pub(super) revoked: bool,
    pub(super) signing_secret_rotated_at: Option<DateTime<Utc>>,
    pub(super) window: SlidingWindow,
}

pub(super) struct Job {
    pub(super) id: String,
    pub(super) owner: String,
    pub(super) submission: Submission,
    pub(super) idempotency_key: Option<String>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) plan: JobPlan,
    pub(super) part: &'static Part,
}

#[derive(Default)]
pub(super) struct Inner {
    pub(super) accounts: HashMap<String, Account>,
    /// In creation order.
    pub(super) jobs: Vec<Job>,
    /// (API key, Idempotency-Key) → (job id, first seen).
    pub(super) idempotency: HashMap<(String, String), (String, DateTime<Utc>)>,
    /// (API key, prompt) → jobs already failed by a `[fail:CODE*N]` trigger.
    pub(super) trigger_counts: HashMap<(String, String), u32>,
    faults: Faults,
    stats: Stats,
}

/// The shared server state.
pub struct ServerState {
    /// The emulator clock.
    pub clock: Clock,
    /// Fixed settings.
    pub settings: Settings,
    /// `http://127.0.0.1:PORT`, for building download links.
    pub origin: String,
    url_secret: [u8; 32],
    inner: Mutex<Inner>,
    /// Where the state is kept across restarts (the offline demo), if anywhere.
    pub state_file: Option<std::path::PathBuf>,
}

type HmacSha256 = Hmac<Sha256>;

/// `…` + the last 4 characters: the only form of a key that may be shown or logged.
pub fn key_preview(key: &str) -> String {
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

/// Whether `key` has the documented shape `mk_pub_` + 32 lower-case hex characters.
pub fn is_well_formed_key(key: &str) -> bool {
    key.strip_prefix("mk_pub_").is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// A new random key in the documented format.
pub fn generate_key() -> String {
    format!("mk_pub_{}", hex::encode(rand::random::<[u8; 16]>()))
}

/// The id used in `/v1/keys/{api_key_id}/rotate-secret`: `key_` + 12 hex, derived from the key.
pub fn key_id(key: &str) -> String {
    format!("key_{}", &hex::encode(Sha256::digest(key.as_bytes()))[..12])
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl ServerState {
    /// A server with `keys`, each holding `credits`.
    pub fn new(
        settings: Settings,
        origin: String,
        keys: &[String],
        credits: u64,
        faults: Faults,
    ) -> Self {
        let accounts = keys
            .iter()
            .map(|k| {
                let account = Account {
                    key_id: key_id(k),
                    credits,
                    revoked: false,
                    signing_secret_rotated_at: None,
                    window: SlidingWindow::default(),
                };
                (k.clone(), account)
            })
            .collect();
        Self {
            clock: Clock::default(),
            settings,
            origin,
            url_secret: rand::random(),
            inner: Mutex::new(Inner {
                accounts,
                faults,
                ..Inner::default()
            }),
            state_file: None,
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere must not take the whole emulator down with it.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks the `Authorization` header and counts the request against the key's windows.
    /// Returns the key.
    pub fn admit(&self, authorization: Option<&str>) -> Result<String, ApiError> {
        let header = authorization.ok_or_else(|| {
            ApiError::invalid_api_key(
                "missing Authorization header; send `Authorization: Bearer mk_pub_…`",
            )
        })?;
        let key = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, key)| key.trim())
            .ok_or_else(|| {
                ApiError::invalid_api_key("Authorization header must be `Bearer mk_pub_…`")
            })?;
        if !is_well_formed_key(key) {
            return Err(ApiError::invalid_api_key(
                "API key must be `mk_pub_` followed by 32 hex characters",
            ));
        }
        let now = self.clock.now();
        let limits = self.settings.rate_limits;
        let mut inner = self.lock();
        let account = inner
            .accounts
            .get_mut(key)
            .filter(|a| !a.revoked)
            .ok_or_else(|| {
                ApiError::invalid_api_key("API key is not recognised or has been revoked")
            })?;
        account
            .window
            .admit(now, limits)
            .map_err(|e| ApiError::quota_exceeded(e.message, e.retry_after_secs))?;
        Ok(key.to_string())
    }

    /// Handles a submission from `key`: replays an `Idempotency-Key` seen before (whatever the
    /// body), otherwise validates, reserves credits and creates the job. The `bool` is true when
    /// an injected fault says the answer must be lost after the job was created.
    pub fn submit(
        &self,
        key: &str,
        idempotency_key: Option<&str>,
        parsed: Result<Submission, ApiError>,
    ) -> Result<(Accepted, bool), ApiError> {
        if let Some(idem) = idempotency_key
            && (idem.is_empty() || idem.len() > 255 || !idem.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ApiError::invalid_input(
                "Idempotency-Key must be 1–255 visible ASCII characters",
            ));
        }
        let now = self.clock.now();
        let mut inner = self.lock();
        if let Some(idem) = idempotency_key {
            let record = (key.to_string(), idem.to_string());
            match inner.idempotency.get(&record) {
                Some((job_id, seen))
                    if elapsed_between(now, *seen) < self.settings.idempotency_retention =>
                {
                    let job_id = job_id.clone();
                    let status = inner
                        .jobs
                        .iter()
                        .find(|j| j.id == job_id)
                        .map_or(JobStatus::Queued, |j| self.status_of(j, now));
                    return Ok((Accepted { job_id, status }, false));
                }
                _ => {
                    inner.idempotency.remove(&record);
                }
            }
        }
        let submission = parsed?;
        let needed = reservation(submission.design_mode);
        let available = self.available_credits(&inner, key, now);
        if available < needed {
            return Err(ApiError::payment_required(format!(
                "not enough credits: a {} job reserves {needed} and {available} are available; top up in the dashboard, then resubmit",
                submission.design_mode.as_str()
            )));
        }
        let failure = FailureTrigger::find(&submission.prompt).and_then(|trigger| {
            let Some(times) = trigger.times else {
                return Some(trigger.code);
            };
            let count = inner
                .trigger_counts
                .entry((key.to_string(), submission.prompt.clone()))
                .or_default();
            (*count < times).then(|| {
                *count += 1;
                trigger.code
            })
        });
        let job = Job {
            id: format!("pub_{}", hex::encode(rand::random::<[u8; 6]>())),
            owner: key.to_string(),
            part: parts::choose(&submission.prompt, submission.design_mode),
            plan: JobPlan::draw(
                self.settings.timing,
                submission.design_mode,
                submission.output_format,
                failure.as_deref(),
            ),
            submission,
            idempotency_key: idempotency_key.map(str::to_string),
            created_at: now,
        };
        let accepted = Accepted {
            job_id: job.id.clone(),
            status: JobStatus::Queued,
        };
        if let Some(idem) = idempotency_key {
            inner
                .idempotency
                .insert((key.to_string(), idem.to_string()), (job.id.clone(), now));
        }
        tracing::info!(job_id = %job.id, key = %key_preview(key), part = job.part.slug, "job created");
        inner.jobs.push(job);
        let lost = inner.faults.next_commit_lost();
        Ok((accepted, lost))
    }

    /// Credits of `key` not spent and not reserved: successful jobs are charged `tokens_used`,
    /// running ones hold their reservation, failed ones cost nothing.
    fn available_credits(&self, inner: &Inner, key: &str, now: DateTime<Utc>) -> u64 {
        let Some(account) = inner.accounts.get(key) else {
            return 0;
        };
        let committed: u64 = inner
            .jobs
            .iter()
            .filter(|j| j.owner == key)
            .map(|j| match (self.status_of(j, now), &j.plan.outcome) {
                (JobStatus::Success, Outcome::Success { tokens_used }) => *tokens_used,
                (JobStatus::Failed, _) => 0,
                _ => reservation(j.submission.design_mode),
            })
            .sum();
        account.credits.saturating_sub(committed)
    }

    fn status_of(&self, job: &Job, now: DateTime<Utc>) -> JobStatus {
        job.plan.status_after(elapsed_between(now, job.created_at))
    }

    /// `GET /v1/jobs/{job_id}` for `key`.
    pub fn job_out(&self, key: &str, job_id: &str) -> Result<JobOut, ApiError> {
        let now = self.clock.now();
        let inner = self.lock();
        let job = inner
            .jobs
            .iter()
            .find(|j| j.id == job_id && j.owner == key)
            .ok_or_else(ApiError::not_found)?;
        if elapsed_between(now, job.created_at) > self.settings.output_retention {
            return Err(ApiError::output_expired(format!(
                "job {job_id} was created on {} and its output expired after {} days; submit a new job to regenerate it",
                job.created_at.format("%Y-%m-%d"),
                self.settings.output_retention.as_secs() / 86_400
            )));
        }
        let status = self.status_of(job, now);
        let mut out = JobOut {
            job_id: job.id.clone(),
            status,
            download_url: None,
            brainstorm: None,
            tokens_used: None,
            latency_ms: None,
            error_code: None,
            error_message: None,
            metadata: job.submission.metadata.clone(),
            created_at: iso(job.created_at),
        };
        if status.is_terminal() {
            out.latency_ms = Some(u64::try_from(job.plan.total().as_millis()).unwrap_or(u64::MAX));
        }
        match (&job.plan.outcome, status) {
            (Outcome::Success { tokens_used }, JobStatus::Success) => {
                out.tokens_used = Some(*tokens_used);
                out.brainstorm = Some(job.part.brainstorm());
                out.download_url = Some(self.sign_download(job, now));
            }
            (Outcome::Failed { code, message }, JobStatus::Failed) => {
                out.tokens_used = Some(0);
                out.error_code = Some(code.clone());
                out.error_message = Some(message.clone());
            }
            _ => {}
        }
        Ok(out)
    }

    fn signature(&self, path: &str, expires: i64) -> Option<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(&self.url_secret).ok()?;
        mac.update(format!("{path}\n{expires}").as_bytes());
        Some(mac)
    }

    fn sign_download(&self, job: &Job, now: DateTime<Utc>) -> String {
        let path = format!(
            "/downloads/{}/{}",
            job.id,
            job.part.file_name(job.submission.output_format)
        );
        let expires = (now + delta(self.settings.download_url_lifetime)).timestamp();
        let signature = self
            .signature(&path, expires)
            .map(|m| hex::encode(m.finalize().into_bytes()))
            .unwrap_or_default();
        format!(
            "{}{path}?expires={expires}&signature={signature}",
            self.origin
        )
    }

    /// Checks a signed link (no API key needed) and returns the file to serve.
    pub fn download(
        &self,
        job_id: &str,
        file_name: &str,
        expires: i64,
        signature: &str,
        with_credentials: bool,
    ) -> Result<Download, DownloadRefusal> {
        let now = self.clock.now();
        let mut inner = self.lock();
        inner.stats.downloads += 1;
        inner.stats.downloads_with_credentials += u64::from(with_credentials);
        let path = format!("/downloads/{job_id}/{file_name}");
        let signature = hex::decode(signature).map_err(|_| DownloadRefusal::BadSignature)?;
        self.signature(&path, expires)
            .ok_or(DownloadRefusal::BadSignature)?
            .verify_slice(&signature)
            .map_err(|_| DownloadRefusal::BadSignature)?;
        if now.timestamp() > expires {
            return Err(DownloadRefusal::LinkExpired);
        }
        let job = inner
            .jobs
            .iter()
            .find(|j| j.id == job_id)
            .ok_or(DownloadRefusal::NotFound)?;
        if elapsed_between(now, job.created_at) > self.settings.output_retention {
            return Err(DownloadRefusal::OutputExpired);
        }
        let format = job.submission.output_format;
        let download = Download {
            bytes: job.part.bytes(format),
            mime: format.mime(),
            file_name: job.part.file_name(format),
            fault: DownloadFault::None,
        };
        let fault = inner.faults.next_download();
        Ok(Download { fault, ..download })
    }

    /// `POST /v1/keys/{api_key_id}/rotate-secret`: only the key's own id is accepted (404 otherwise).
    pub fn rotate_secret(&self, key: &str, api_key_id: &str) -> Result<RotatedSecret, ApiError> {
        let now = self.clock.now();
        let mut inner = self.lock();
        let account = inner
            .accounts
            .get_mut(key)
            .filter(|a| a.key_id == api_key_id)
            .ok_or_else(ApiError::not_found)?;
        account.signing_secret_rotated_at = Some(now);
        Ok(RotatedSecret {
            signing_secret: format!("whsec_{}", hex::encode(rand::random::<[u8; 24]>())),
            signing_secret_rotated_at: iso(now),
        })
    }

    /// Every job created, oldest first.
    pub fn job_summaries(&self) -> Vec<JobSummary> {
        let now = self.clock.now();
        let inner = self.lock();
        inner
            .jobs
            .iter()
            .map(|job| JobSummary {
                job_id: job.id.clone(),
                endpoint: job.submission.endpoint,
                key_preview: key_preview(&job.owner),
                status: self.status_of(job, now),
                prompt: job.submission.prompt.chars().take(200).collect(),
                prompt_chars: job.submission.prompt.chars().count(),
                design_mode: job.submission.design_mode,
                output_format: job.submission.output_format,
                images: job.submission.images.clone(),
                metadata: job.submission.metadata.clone(),
                idempotency_key: job.idempotency_key.clone(),
                part: job.part.slug.to_string(),
                error_code: match &job.plan.outcome {
                    Outcome::Failed { code, .. } => Some(code.clone()),
                    Outcome::Success { .. } => None,
                },
                created_at: iso(job.created_at),
            })
            .collect()
    }

    /// Marks `key` revoked: every later request with it gets 401.
    pub fn revoke(&self, key: &str) -> bool {
        self.lock()
            .accounts
            .get_mut(key)
            .map(|a| a.revoked = true)
            .is_some()
    }

    /// Adds a key (with `credits`), e.g. a second key for cross-key tests.
    pub fn add_key(&self, key: &str, credits: u64) {
        let account = Account {
            key_id: key_id(key),
            credits,
            revoked: false,
            signing_secret_rotated_at: None,
            window: SlidingWindow::default(),
        };
        self.lock().accounts.insert(key.to_string(), account);
    }

    /// Credits `key` can still reserve now.
    pub fn credits_available(&self, key: &str) -> u64 {
        let now = self.clock.now();
        let inner = self.lock();
        self.available_credits(&inner, key, now)
    }

    /// Current fault settings (with counters as consumed so far).
    pub fn faults(&self) -> Faults {
        self.lock().faults.clone()
    }

    /// Replaces the fault settings.
    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    /// Runs `f` on the fault settings under the lock (decisions consume counters).
    pub fn with_faults<T>(&self, f: impl FnOnce(&mut Faults) -> T) -> T {
        f(&mut self.lock().faults)
    }

    /// Counts one answered `/v1` request.
    pub fn record_status(&self, status: u16) {
        let mut inner = self.lock();
        inner.stats.requests += 1;
        *inner.stats.by_status.entry(status).or_default() += 1;
    }

    /// The `/v1` counters.
    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }
}
