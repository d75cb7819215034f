//! Typed errors: one variant per documented request-time code (contract §9.1) and one per
//! job-level code (§9.2), each with the sentence a user reads and the action to take. Unknown
//! codes are kept verbatim.

use std::fmt;
use std::time::Duration;

/// Who can fix an error; the CLI's exit code follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request itself is wrong (prompt, image, key, credits): the user fixes it.
    User,
    /// The API refused or failed in a way the user cannot fix by editing the request.
    Api,
    /// The API could not be reached, or the answer was lost on the way.
    Transport,
}

impl ErrorKind {
    /// The one table of error classes, by the code the history keeps ([`ApiError::code`], or
    /// a job-level `error_code`): the window, the CLI's exit codes and the job record read it.
    pub fn of_code(code: &str) -> Self {
        match code {
            "invalid_request" | "invalid_api_key" | "payment_required" | "invalid_input"
            | "image_parse_failed" | "file_error" | "disk_full" | "bad_address"
            | "image_unavailable" => Self::User,
            "network_error" | "unreachable" | "untrusted_certificate" => Self::Transport,
            _ => Self::Api,
        }
    }
}

/// An error from a request to the API (or one refused before it was sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// Refused locally, never sent (e.g. `pro` with images, a prompt over 5000 characters).
    #[error("{0}")]
    InvalidRequest(String),
    /// The API address given is not one the app talks to (not a URL, plain `http://` to
    /// another computer).
    #[error("{0}")]
    BadAddress(String),
    /// The app's HTTP client could not be set up (the TLS stack, the system's proxy settings).
    #[error("the HTTP client could not start: {detail}")]
    ClientStart {
        /// What the HTTP stack said.
        detail: String,
    },
    /// An image the job was recorded with cannot be read again, or changed since.
    #[error("{detail}")]
    ImageUnavailable {
        /// Which image, and what happened to it.
        detail: String,
    },
    /// The job's record has no server id, so there is nothing to ask the API about.
    #[error("the job has no server id")]
    NoServerId,
    /// 401 `invalid_api_key`.
    #[error("the API key was refused")]
    InvalidApiKey {
        /// The server's `message`, if any.
        message: Option<String>,
    },
    /// 402 `payment_required`: the job was not queued.
    #[error("not enough credits")]
    PaymentRequired {
        /// The server's `message`, if any.
        message: Option<String>,
    },
    /// 404: unknown job, or one made with another key.
    #[error("job not found")]
    NotFound,
    /// 410 `output_expired`: older than 30 days.
    #[error("the job's output has expired")]
    OutputExpired {
        /// The server's `message`, if any.
        message: Option<String>,
    },
    /// 422 `invalid_input`.
    #[error("invalid input: {message}")]
    InvalidInput {
        /// Names the field to fix.
        message: String,
    },
    /// 422 `image_parse_failed`.
    #[error("image refused: {message}")]
    ImageParseFailed {
        /// Names the image.
        message: String,
    },
    /// 429 `quota_exceeded`.
    #[error("rate limit exceeded")]
    QuotaExceeded {
        /// The server's `message`, if any.
        message: Option<String>,
        /// `Retry-After`, if sent.
        retry_after: Option<Duration>,
    },
    /// 5xx.
    #[error("server error (HTTP {status})")]
    ServerError {
        /// The HTTP status.
        status: u16,
    },
    /// Any other status or code, kept verbatim.
    #[error("unexpected answer (HTTP {status})")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// `error_code`, if any.
        code: Option<String>,
        /// `message`, if any.
        message: Option<String>,
    },
    /// Connection failed, timed out or was cut.
    #[error("network error: {detail}")]
    Transport {
        /// What the HTTP stack said.
        detail: String,
    },
    /// No attempt reached the server (nothing listens there, no route, a name that does not
    /// resolve): the request was certainly never sent.
    #[error("network error: {detail}")]
    Unreachable {
        /// What the HTTP stack said, in words.
        detail: String,
    },
    /// The server's certificate is not trusted here (a company proxy's own authority, or a
    /// server that is not the API): not retried, since the next try would fail alike.
    #[error("the server's certificate is not trusted")]
    UntrustedServer {
        /// What did not verify, in words.
        detail: String,
    },
    /// A 2xx answer whose body could not be read.
    #[error("unreadable answer: {detail}")]
    BadResponse {
        /// What was wrong.
        detail: String,
    },
    /// The signed download link was refused (expired or altered).
    #[error("download link refused (HTTP {status})")]
    DownloadRefused {
        /// The HTTP status.
        status: u16,
    },
    /// The download ended, but the file is not whole (checked by its format).
    #[error("the file arrived incomplete: {detail}")]
    IncompleteDownload {
        /// What is missing, e.g. "it holds 600 bytes where its header declares 1200".
        detail: String,
    },
    /// The downloaded file could not be written.
    #[error("could not write the file: {detail}")]
    File {
        /// The OS error.
        detail: String,
    },
    /// The disk (or the user's quota) is full: the file could not be written. The job is
    /// kept as it is, so the download finishes once there is space, with nothing charged again.
    #[error("the disk is full")]
    DiskFull {
        /// The file's size, where the server said it.
        needed: Option<u64>,
    },
}

impl ApiError {
    /// A local file error, told apart: a full disk is waited out, other errors are not.
    pub fn from_io(error: &std::io::Error, needed: Option<u64>) -> Self {
        use std::io::ErrorKind::{QuotaExceeded, StorageFull};
        match error.kind() {
            StorageFull | QuotaExceeded => Self::DiskFull { needed },
            _ => Self::File {
                detail: error.to_string(),
            },
        }
    }

    /// A local file error (disk full, permission, folder gone): the server's part is fine.
    pub fn is_local_file_error(&self) -> bool {
        matches!(self, Self::File { .. } | Self::DiskFull { .. })
    }
}

fn with_detail(sentence: &str, detail: Option<&str>) -> String {
    match detail {
        Some(detail) if !detail.is_empty() => format!("{sentence} ({detail})."),
        _ => format!("{sentence}."),
    }
}

impl ApiError {
    /// What happened, in the app's words.
    pub fn sentence(&self) -> String {
        match self {
            Self::InvalidRequest(message) | Self::BadAddress(message) => format!("{message}."),
            Self::ClientStart { detail } => {
                format!("The app's network client could not start ({detail}).")
            }
            Self::ImageUnavailable { detail } => format!("{detail}."),
            Self::NoServerId => {
                "The app's record of this job has no server id, so it cannot be checked.".into()
            }
            Self::InvalidApiKey { message } => with_detail(
                "The API key was refused: it is missing, malformed or revoked",
                message.as_deref(),
            ),
            Self::PaymentRequired { message } => with_detail(
                "Not enough credits for this job, so it was not queued",
                message.as_deref(),
            ),
            Self::NotFound => {
                "The API does not know this job, or it belongs to another API key.".into()
            }
            Self::OutputExpired { .. } => {
                "This job's file has expired: outputs are kept for 30 days.".into()
            }
            Self::InvalidInput { message } => format!("The API refused the request: {message}."),
            Self::ImageParseFailed { message } => format!("An image was refused: {message}."),
            Self::QuotaExceeded { message, .. } => {
                with_detail("Too many requests for this API key", message.as_deref())
            }
            Self::ServerError { status } => {
                format!("The Makistry API had a server error (HTTP {status}).")
            }
            Self::Unexpected {
                status,
                code,
                message,
            } => {
                let detail = [code.as_deref(), message.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": ");
                with_detail(
                    &format!("The API answered with an unexpected HTTP {status}"),
                    Some(&detail),
                )
            }
            Self::Transport { detail } | Self::Unreachable { detail } => {
                format!("Could not reach the Makistry API: {detail}.")
            }
            Self::UntrustedServer { detail } => format!(
                "The server's certificate is not trusted by this computer ({detail}), so \
                 nothing was sent to it."
            ),
            Self::BadResponse { detail } => {
                format!("The API sent an answer the app could not read: {detail}.")
            }
            Self::DownloadRefused { status } => {
                format!("The download link was refused (HTTP {status}).")
            }
            Self::IncompleteDownload { detail } => {
                format!("The part's file arrived incomplete: {detail}.")
            }
            Self::File { detail } => format!("The downloaded file could not be saved: {detail}."),
            Self::DiskFull { needed } => {
                format!(
                    "The disk is full, so the part's file{} could not be saved. The job is done and \
                 paid on Makistry's side; nothing more is charged to download it",
                    needed.map_or_else(String::new, |n| format!(" ({})", crate::format::bytes(n)))
                ) + "."
            }
        }
    }

    /// What to do next.
    pub fn action(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "Fix it and submit again.",
            Self::BadAddress(_) => {
                "Use the API's https:// address (plain http:// only for this computer)."
            }
            Self::ClientStart { .. } => {
                "Restart the app; if it persists, report it with the diagnostics."
            }
            Self::ImageUnavailable { .. } => "Attach the image again (Edit and re-run).",
            Self::NoServerId => "Retry submits the job again.",
            Self::InvalidApiKey { .. } => {
                "Check the API key, or create a new one in the Makistry dashboard and enter it again."
            }
            Self::PaymentRequired { .. } => "Top up in the Makistry dashboard, then submit again.",
            Self::NotFound => "Check that you use the same API key that created the job.",
            Self::OutputExpired { .. } => "Submit the prompt again to regenerate the file.",
            Self::InvalidInput { .. } => "Fix the field it names and submit again.",
            Self::ImageParseFailed { .. } => {
                "Use a PNG, JPEG, WebP or GIF image of at most 10 MiB."
            }
            Self::QuotaExceeded { .. } => {
                "Wait a minute before trying again; the app slows down by itself."
            }
            Self::ServerError { .. } => {
                "Try again in a few minutes; check the Makistry status page if it persists."
            }
            Self::Unexpected { .. } | Self::BadResponse { .. } => {
                "Try again later; if it persists, report it with the diagnostics."
            }
            Self::Transport { .. } | Self::Unreachable { .. } => {
                "Check your internet connection, then try again."
            }
            Self::UntrustedServer { .. } => {
                "If your company inspects HTTPS with its own certificate authority, add its \
                 certificate to the system's store, or point SSL_CERT_FILE (or SSL_CERT_DIR) at \
                 it; behind a proxy, set HTTPS_PROXY. Else check the API address."
            }
            Self::DownloadRefused { .. } => "Check the job again for a fresh download link.",
            Self::IncompleteDownload { .. } => {
                "The app fetched it again with fresh links. Try again later; if it persists, \
                 report it with the diagnostics."
            }
            Self::File { .. } => "Check the disk has free space and the folder is writable.",
            Self::DiskFull { .. } => {
                "Free some space on the disk: the window finishes the download by itself, or \
                 run `makistry jobs resume`."
            }
        }
    }

    /// Who can fix it.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::of_code(self.code())
    }

    /// The code the job history keeps for this error: the API's `error_code` where it has
    /// one, else a short name.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::BadAddress(_) => "bad_address",
            Self::ClientStart { .. } => "client_start",
            Self::ImageUnavailable { .. } => "image_unavailable",
            Self::NoServerId => "no_server_id",
            Self::InvalidApiKey { .. } => "invalid_api_key",
            Self::PaymentRequired { .. } => "payment_required",
            Self::NotFound => "not_found",
            Self::OutputExpired { .. } => "output_expired",
            Self::InvalidInput { .. } => "invalid_input",
            Self::ImageParseFailed { .. } => "image_parse_failed",
            Self::QuotaExceeded { .. } => "quota_exceeded",
            Self::ServerError { .. } => "server_error",
            Self::Unexpected { .. } => "unexpected_answer",
            Self::Transport { .. } => "network_error",
            Self::Unreachable { .. } => "unreachable",
            Self::UntrustedServer { .. } => "untrusted_certificate",
            Self::BadResponse { .. } => "bad_response",
            Self::DownloadRefused { .. } => "download_refused",
            Self::IncompleteDownload { .. } => "incomplete_download",
            Self::File { .. } => "file_error",
            Self::DiskFull { .. } => "disk_full",
        }
    }

    /// Network errors and 5xx: retried at 2, 4, 8 s with the same Idempotency-Key.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Transport { .. } | Self::Unreachable { .. } | Self::ServerError { .. }
        )
    }
}

/// A job-level failure code (contract §9.2), unknown ones kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JobErrorCode {
    /// Contradictory or impossible geometry.
    GeometryValidationFailed,
    /// The prompt can be read several ways.
    PromptTooAmbiguous,
    /// The generated code did not run.
    CodeGenerationFailed,
    /// CadQuery timed out.
    SandboxTimeout,
    /// Export to the format failed.
    ExportFailed,
    /// Unexpected server fault.
    InternalError,
    /// A code the contract does not list.
    Other(String),
}

/// Whether the app re-submits a job that failed with a code (a new POST, new Idempotency-Key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResubmitRule {
    /// Needs a prompt change: never re-submitted.
    Never,
    /// Re-submitted once, at once.
    Once,
    /// Re-submitted after each of these delays (30 s, then 5 min).
    Backoff(&'static [Duration]),
}

const INTERNAL_ERROR_BACKOFF: [Duration; 2] = [Duration::from_secs(30), Duration::from_secs(300)];

impl JobErrorCode {
    /// Reads an `error_code`.
    pub fn parse(code: &str) -> Self {
        match code {
            "geometry_validation_failed" => Self::GeometryValidationFailed,
            "prompt_too_ambiguous" => Self::PromptTooAmbiguous,
            "code_generation_failed" => Self::CodeGenerationFailed,
            "sandbox_timeout" => Self::SandboxTimeout,
            "export_failed" => Self::ExportFailed,
            "internal_error" => Self::InternalError,
            other => Self::Other(other.to_string()),
        }
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::GeometryValidationFailed => "geometry_validation_failed",
            Self::PromptTooAmbiguous => "prompt_too_ambiguous",
            Self::CodeGenerationFailed => "code_generation_failed",
            Self::SandboxTimeout => "sandbox_timeout",
            Self::ExportFailed => "export_failed",
            Self::InternalError => "internal_error",
            Self::Other(code) => code,
        }
    }

    /// What happened, in the app's words.
    pub fn sentence(&self) -> String {
        match self {
            Self::GeometryValidationFailed => {
                "The design failed its geometry checks: some dimensions contradict each other or the shape is impossible.".into()
            }
            Self::PromptTooAmbiguous => "The prompt can be read in more than one way.".into(),
            Self::CodeGenerationFailed => "Makistry could not generate working CAD code for this prompt.".into(),
            Self::SandboxTimeout => "Building the geometry took too long for this design mode.".into(),
            Self::ExportFailed => "The part was built but could not be exported to the chosen format.".into(),
            Self::InternalError => "Makistry had an unexpected server fault.".into(),
            Self::Other(code) => format!("The job failed with an error the app does not know ({code})."),
        }
    }

    /// What to do next.
    pub fn action(&self) -> &'static str {
        match self {
            Self::GeometryValidationFailed => {
                "Simplify the prompt, remove conflicting dimensions, or split the part into several jobs."
            }
            Self::PromptTooAmbiguous => {
                "Add explicit dimensions with units, name the features, and say which face they are on."
            }
            Self::CodeGenerationFailed => {
                "Retry; if it fails again, simplify the prompt or switch to pro."
            }
            Self::SandboxTimeout => "Try pro or assembly mode, or simplify the geometry.",
            Self::ExportFailed => "Retry; this is usually temporary.",
            Self::InternalError => {
                "Retry in a few minutes; check the Makistry status page if it persists."
            }
            Self::Other(_) => "Retry, or edit the prompt; report it if it persists.",
        }
    }

    /// The contract's re-submission rule for this code.
    pub fn resubmit_rule(&self) -> ResubmitRule {
        match self {
            Self::GeometryValidationFailed | Self::PromptTooAmbiguous | Self::Other(_) => {
                ResubmitRule::Never
            }
            Self::CodeGenerationFailed | Self::SandboxTimeout | Self::ExportFailed => {
                ResubmitRule::Once
            }
            Self::InternalError => ResubmitRule::Backoff(&INTERNAL_ERROR_BACKOFF),
        }
    }
}

impl fmt::Display for JobErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_error_codes_round_trip_and_keep_unknown_ones() {
        for code in [
            "geometry_validation_failed",
            "prompt_too_ambiguous",
            "code_generation_failed",
            "sandbox_timeout",
            "export_failed",
            "internal_error",
            "brand_new",
        ] {
            assert_eq!(JobErrorCode::parse(code).as_str(), code);
        }
        assert_eq!(
            JobErrorCode::parse("brand_new"),
            JobErrorCode::Other("brand_new".into())
        );
    }

    #[test]
    fn resubmit_rules_follow_the_contract() {
        assert_eq!(
            JobErrorCode::PromptTooAmbiguous.resubmit_rule(),
            ResubmitRule::Never
        );
        assert_eq!(
            JobErrorCode::GeometryValidationFailed.resubmit_rule(),
            ResubmitRule::Never
        );
        assert_eq!(
            JobErrorCode::SandboxTimeout.resubmit_rule(),
            ResubmitRule::Once
        );
        assert_eq!(
            JobErrorCode::InternalError.resubmit_rule(),
            ResubmitRule::Backoff(&INTERNAL_ERROR_BACKOFF)
        );
    }

    #[test]
    fn every_error_says_what_and_what_next() {
        let errors = [
            ApiError::InvalidApiKey { message: None },
            ApiError::PaymentRequired {
                message: Some("reserve 1000".into()),
            },
            ApiError::NotFound,
            ApiError::QuotaExceeded {
                message: None,
                retry_after: None,
            },
            ApiError::Transport {
                detail: "connection refused".into(),
            },
        ];
        for error in errors {
            assert!(error.sentence().ends_with('.'), "{error:?}");
            assert!(!error.action().is_empty());
        }
        assert_eq!(
            ApiError::Transport {
                detail: String::new()
            }
            .kind(),
            ErrorKind::Transport
        );
        assert_eq!(
            ApiError::InvalidApiKey { message: None }.kind(),
            ErrorKind::User
        );
        assert_eq!(ApiError::ServerError { status: 503 }.kind(), ErrorKind::Api);
    }
}
