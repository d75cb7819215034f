//! An error as the job history keeps it: a stable code (the API's `error_code`, or a name for
//! a request-time error), the sentence and the next step shown with the job, and whether a
//! retry of the same job can help.

use serde::{Deserialize, Serialize};

use crate::api::{ApiError, ErrorKind, JobErrorCode};

/// An error as the history shows it: the code, the sentence and the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedError {
    /// A job-level `error_code`, or a short name of the request-time error.
    pub code: String,
    /// What happened.
    pub sentence: String,
    /// What to do next.
    pub action: String,
}

impl RecordedError {
    pub(super) fn from_api(error: &ApiError) -> Self {
        let code = error.code();
        Self {
            code: code.into(),
            sentence: error.sentence(),
            action: error.action().into(),
        }
    }

    /// Who can fix it (the one table: [`ErrorKind::of_code`]).
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::of_code(&self.code)
    }

    /// Whether submitting the same job again can end differently. Not for errors that need
    /// the prompt or the images changed: those offer Edit and re-run only.
    pub fn retry_helps(&self) -> bool {
        !matches!(
            self.code.as_str(),
            "geometry_validation_failed"
                | "prompt_too_ambiguous"
                | "invalid_input"
                | "image_parse_failed"
                | "image_unavailable"
        )
    }

    /// A local file error (e.g. writing `--out`).
    pub fn file(error: &ApiError) -> Self {
        Self::from_api(error)
    }

    /// A job's failure. The service's own message, where it gives one, says what happened to
    /// this job better than the app's sentence for the code, which would say it again (and
    /// the next step a third time): only a code the app does not know keeps both.
    pub(super) fn from_job(code: &JobErrorCode, server_message: Option<&str>) -> Self {
        let sentence = match server_message.map(str::trim) {
            Some(message) if !message.is_empty() => match code {
                JobErrorCode::Other(_) => format!("{} Makistry says: {message}", code.sentence()),
                _ => format!("Makistry says: {message}"),
            },
            _ => code.sentence(),
        };
        Self {
            code: code.as_str().into(),
            sentence,
            action: code.action().into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The emulator's `prompt_too_ambiguous` message already gives the advice: the app's
    /// sentence for the code is not said on top of it (the advice showed three times).
    #[test]
    fn a_failure_the_service_explains_is_said_once() {
        let message = "The prompt can be read several ways: give dimensions with units and \
                       name the features.";
        let code = JobErrorCode::parse("prompt_too_ambiguous");
        let error = RecordedError::from_job(&code, Some(message));
        assert_eq!(error.sentence, format!("Makistry says: {message}"));
        assert!(!error.sentence.contains(&code.sentence()));
        let silent = RecordedError::from_job(&code, Some("  "));
        assert_eq!(silent.sentence, code.sentence());
        let unknown = RecordedError::from_job(&JobErrorCode::parse("a_new_code"), Some(message));
        assert!(unknown.sentence.contains("a_new_code") && unknown.sentence.contains(message));
    }

    #[test]
    fn only_errors_the_same_job_could_escape_offer_a_retry() {
        for code in [
            "geometry_validation_failed",
            "prompt_too_ambiguous",
            "invalid_input",
            "image_parse_failed",
        ] {
            let error = RecordedError::from_job(&JobErrorCode::parse(code), None);
            assert!(!error.retry_helps(), "{code}");
        }
        for code in [
            "code_generation_failed",
            "sandbox_timeout",
            "internal_error",
        ] {
            let error = RecordedError::from_job(&JobErrorCode::parse(code), None);
            assert!(error.retry_helps(), "{code}");
        }
        let network = RecordedError::from_api(&ApiError::NotFound);
        assert!(network.retry_helps());
    }
}
