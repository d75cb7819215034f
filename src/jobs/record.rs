//! A job as the app tracks it, and the pure state machine that moves it (no IO, no clock of
//! its own: every transition takes `now`). The worker performs what [`JobRecord::next_step`]
//! says and feeds the outcome back through [`JobRecord::apply`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{JobSpec, Phase, RecordedError, ServiceReport};
use crate::api::{
    ApiError, Brainstorm, DesignMode, JobErrorCode, JobOut, JobStatus, OutputFormat, ResubmitRule,
    clean_prompt,
};
use crate::attachments::ImageRef;

/// One job in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// The app's own id (a UUID): stable across re-submissions.
    pub id: String,
    /// What the job asks for (prompt, images, mode, format, the job it follows up).
    #[serde(flatten)]
    pub spec: JobSpec,
    /// Idempotency-Key of the current submission.
    pub idempotency_key: String,
    /// The server's id of the current submission, once accepted.
    pub remote_id: Option<String>,
    /// Ids of earlier submissions that failed and were re-submitted.
    #[serde(default)]
    pub earlier_remote_ids: Vec<String>,
    /// How many job-level re-submissions were made.
    #[serde(default)]
    pub resubmissions: u32,
    /// Where the job is, with what only that phase knows (the service's report, the file).
    #[serde(flatten)]
    pub phase: Phase,
    /// Where the user asked the file to be written (`generate --out`).
    pub out_path: Option<PathBuf>,
    /// The API base URL the job was submitted to: resuming talks to the same API (a job id
    /// means nothing to another one). `None` in records from before it was kept.
    #[serde(default)]
    pub api_base: Option<String>,
    /// The last error, shown with the job (also while it is being retried).
    pub error: Option<RecordedError>,
    /// When the job was recorded.
    pub created_at: DateTime<Utc>,
    /// When the current submission was accepted; poll schedule and time-out count from here.
    pub submitted_at: Option<DateTime<Utc>>,
}

/// What the worker does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// POST the submission with the record's Idempotency-Key.
    Submit,
    /// GET the job after waiting `after` (the worker adjusts it for shared budgets).
    Poll {
        /// Time since the submission was accepted.
        since_submission: Duration,
    },
    /// GET the job for a fresh link and download the file.
    Download,
    /// Wait until `at`, then submit again.
    WaitToResubmit {
        /// When.
        at: DateTime<Utc>,
    },
    /// Nothing to do.
    Stop,
}

/// What happened, fed back into the record.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The submission was accepted.
    Accepted {
        /// The server's job id.
        remote_id: String,
        /// Its status (a replay may already be further on).
        status: JobStatus,
    },
    /// A poll's answer.
    Polled(JobOut),
    /// The file is stored.
    Downloaded(PathBuf),
    /// A request failed after the client's own retries.
    RequestFailed(ApiError),
    /// The client's time-out for the mode passed.
    TimedOut,
    /// The re-submission time came.
    ResubmitDue,
}

fn new_idempotency_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl JobRecord {
    /// A new job, recorded before anything is sent.
    pub fn new(
        prompt: String,
        images: Vec<ImageRef>,
        mode: DesignMode,
        format: OutputFormat,
        now: DateTime<Utc>,
    ) -> Self {
        let spec = JobSpec {
            prompt,
            images,
            mode,
            format,
            follow_up_of: None,
        };
        Self::from_spec(spec, now)
    }

    /// A new job asking for `spec` (its prompt cleaned of control characters), recorded
    /// before anything is sent.
    pub fn from_spec(mut spec: JobSpec, now: DateTime<Utc>) -> Self {
        spec.prompt = clean_prompt(&spec.prompt);
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            spec,
            idempotency_key: new_idempotency_key(),
            remote_id: None,
            earlier_remote_ids: Vec::new(),
            resubmissions: 0,
            phase: Phase::Submitting,
            out_path: None,
            api_base: None,
            error: None,
            created_at: now,
            submitted_at: None,
        }
    }

    /// The prompt as sent (see [`JobSpec::prompt_to_send`]).
    pub fn prompt_to_send(&self) -> String {
        self.spec.prompt_to_send()
    }

    /// The design summary, once the service sent one.
    pub fn brainstorm(&self) -> Option<&Brainstorm> {
        self.phase.report()?.brainstorm.as_ref()
    }

    /// Credits the last submission consumed, once it ended.
    pub fn tokens_used(&self) -> Option<u64> {
        self.phase.report()?.tokens_used
    }

    /// The downloaded file in the app's data directory, once done.
    pub fn file(&self) -> Option<&Path> {
        self.phase.file()
    }

    /// What the worker should do now.
    pub fn next_step(&self, now: DateTime<Utc>) -> Step {
        match &self.phase {
            Phase::Submitting => Step::Submit,
            Phase::Queued | Phase::Processing => Step::Poll {
                since_submission: self
                    .submitted_at
                    .map_or(Duration::ZERO, |t| (now - t).to_std().unwrap_or_default()),
            },
            Phase::Downloading { .. } => Step::Download,
            Phase::Retrying { at } => Step::WaitToResubmit { at: *at },
            Phase::Done { .. }
            | Phase::Failed { .. }
            | Phase::Expired { .. }
            | Phase::StillRunning { .. } => Step::Stop,
        }
    }

    /// Ends the job without a part, keeping what the service said of it.
    fn fail(&mut self, now: DateTime<Utc>) {
        let report = self.taken_report();
        self.phase = Phase::Failed {
            report,
            finished_at: Some(now),
        };
    }

    /// The service's report, moved out of the phase (empty where it sent none).
    fn taken_report(&mut self) -> ServiceReport {
        match &mut self.phase {
            Phase::Downloading { report }
            | Phase::Done { report, .. }
            | Phase::Failed { report, .. }
            | Phase::Expired { report, .. } => std::mem::take(report),
            Phase::Submitting
            | Phase::Queued
            | Phase::Processing
            | Phase::Retrying { .. }
            | Phase::StillRunning { .. } => ServiceReport::default(),
        }
    }

    /// Applies an outcome. `scale` shortens the contract's re-submission delays (1.0 in the
    /// app; tests use less).
    pub fn apply(&mut self, outcome: Outcome, now: DateTime<Utc>, scale: f64) {
        match outcome {
            Outcome::Accepted { remote_id, status } => {
                self.remote_id = Some(remote_id);
                self.submitted_at = Some(now);
                self.error = None;
                self.phase = match status {
                    JobStatus::Queued => Phase::Queued,
                    JobStatus::Processing | JobStatus::Other => Phase::Processing,
                    // A replay of a job that already ended: the next poll reads how.
                    JobStatus::Success | JobStatus::Failed => Phase::Processing,
                };
            }
            Outcome::Polled(job) => self.apply_poll(job, now, scale),
            Outcome::Downloaded(file) => {
                self.error = None;
                let report = self.taken_report();
                self.phase = Phase::Done {
                    report,
                    file,
                    finished_at: Some(now),
                };
            }
            Outcome::RequestFailed(error) => self.apply_request_error(&error, now),
            Outcome::TimedOut => {
                self.phase = Phase::StillRunning {
                    finished_at: Some(now),
                }
            }
            Outcome::ResubmitDue => {
                if let Some(old) = self.remote_id.take() {
                    self.earlier_remote_ids.push(old);
                }
                self.idempotency_key = new_idempotency_key();
                self.submitted_at = None;
                self.phase = Phase::Submitting;
            }
        }
    }

    fn apply_poll(&mut self, job: JobOut, now: DateTime<Utc>, scale: f64) {
        match job.status {
            JobStatus::Queued => self.phase = Phase::Queued,
            // An undocumented status: still under way as far as we can tell (the worker
            // logs it); keep polling.
            JobStatus::Processing | JobStatus::Other => self.phase = Phase::Processing,
            JobStatus::Success => {
                self.error = None;
                self.phase = Phase::Downloading {
                    report: ServiceReport {
                        brainstorm: job.brainstorm,
                        tokens_used: job.tokens_used,
                        latency_ms: job.latency_ms,
                    },
                };
            }
            JobStatus::Failed => {
                let code =
                    JobErrorCode::parse(job.error_code.as_deref().unwrap_or("unknown_error"));
                self.error = Some(RecordedError::from_job(&code, job.error_message.as_deref()));
                let delay = match code.resubmit_rule() {
                    ResubmitRule::Never => None,
                    ResubmitRule::Once => (self.resubmissions == 0).then_some(Duration::ZERO),
                    ResubmitRule::Backoff(delays) => {
                        delays.get(self.resubmissions as usize).copied()
                    }
                };
                self.phase = match delay {
                    Some(delay) => {
                        self.resubmissions += 1;
                        let at =
                            now + TimeDelta::from_std(delay.mul_f64(scale)).unwrap_or_default();
                        Phase::Retrying { at }
                    }
                    None => Phase::Failed {
                        report: ServiceReport {
                            brainstorm: None,
                            tokens_used: job.tokens_used,
                            latency_ms: job.latency_ms,
                        },
                        finished_at: Some(now),
                    },
                };
            }
        }
    }

    fn apply_request_error(&mut self, error: &ApiError, now: DateTime<Utc>) {
        self.error = Some(RecordedError::from_api(error));
        match (&self.phase, error) {
            (_, ApiError::OutputExpired { .. }) => {
                let report = self.taken_report();
                self.phase = Phase::Expired {
                    report,
                    finished_at: Some(now),
                };
            }
            // Network trouble after the client's retries: the work is not lost. A submission
            // keeps its Idempotency-Key, a poll or download resumes where it was.
            (_, e) if e.is_transient() || matches!(e, ApiError::QuotaExceeded { .. }) => {}
            // A refused link or a file cut short: the next download asks for a fresh link.
            (
                Phase::Downloading { .. },
                ApiError::DownloadRefused { .. } | ApiError::IncompleteDownload { .. },
            ) => {}
            // The part is done and paid on the server; only this computer could not keep it
            // (a full disk, a folder gone): the download is tried again, never the job.
            (Phase::Downloading { .. }, e) if e.is_local_file_error() => {}
            _ => self.fail(now),
        }
    }

    /// Sets the job up to be submitted again from scratch (the user's Retry): a new
    /// Idempotency-Key, so a new job, whatever happened to the last one. The last
    /// submission's file, summary, credits and time belong to it and go with its phase.
    pub fn restart(&mut self) {
        if let Some(old) = self.remote_id.take() {
            self.earlier_remote_ids.push(old);
        }
        self.idempotency_key = new_idempotency_key();
        self.phase = Phase::Submitting;
        self.error = None;
        self.submitted_at = None;
    }

    /// Still to be submitted, never accepted, and the last attempt proved nothing reached
    /// the server (no connection could be made).
    pub fn was_never_sent(&self) -> bool {
        self.phase == Phase::Submitting
            && self.remote_id.is_none()
            && self.earlier_remote_ids.is_empty()
            && self.error.as_ref().is_some_and(|e| e.code == "unreachable")
    }

    /// Picks up a job the client stopped waiting for: poll it again with a fresh time-out.
    pub fn check_again(&mut self, now: DateTime<Utc>) {
        if matches!(self.phase, Phase::StillRunning { .. }) {
            self.phase = Phase::Processing;
            self.submitted_at = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn job() -> JobRecord {
        JobRecord::new(
            "a box".into(),
            vec![],
            DesignMode::Standard,
            OutputFormat::Glb,
            t(0),
        )
    }

    fn accepted(remote_id: &str) -> Outcome {
        Outcome::Accepted {
            remote_id: remote_id.into(),
            status: JobStatus::Queued,
        }
    }

    fn polled(status: JobStatus, code: Option<&str>) -> Outcome {
        Outcome::Polled(JobOut {
            status,
            download_url: None,
            brainstorm: None,
            tokens_used: Some(0),
            latency_ms: Some(1000),
            error_code: code.map(str::to_string),
            error_message: Some("server says".into()),
        })
    }

    #[test]
    fn a_successful_job_goes_submit_poll_download_done() {
        let mut job = job();
        assert_eq!(job.next_step(t(0)), Step::Submit);
        job.apply(accepted("pub_1"), t(1), 1.0);
        assert_eq!(
            job.next_step(t(11)),
            Step::Poll {
                since_submission: Duration::from_secs(10)
            }
        );
        job.apply(polled(JobStatus::Processing, None), t(11), 1.0);
        job.apply(polled(JobStatus::Success, None), t(40), 1.0);
        assert_eq!(job.next_step(t(40)), Step::Download);
        job.apply(Outcome::Downloaded("/x.glb".into()), t(41), 1.0);
        assert!(job.phase.is_done(), "{:?}", job.phase);
        assert_eq!(job.next_step(t(41)), Step::Stop);
    }

    #[test]
    fn prompt_problems_are_never_resubmitted() {
        for code in [
            "prompt_too_ambiguous",
            "geometry_validation_failed",
            "a_new_code",
        ] {
            let mut job = job();
            job.apply(accepted("pub_1"), t(1), 1.0);
            job.apply(polled(JobStatus::Failed, Some(code)), t(30), 1.0);
            assert!(matches!(job.phase, Phase::Failed { .. }), "{code}");
            let error = job.error.as_ref().unwrap();
            assert_eq!(error.code, code);
            assert!(error.sentence.ends_with("Makistry says: server says"));
        }
    }

    #[test]
    fn transient_job_failures_are_resubmitted_once_with_a_new_key() {
        let mut job = job();
        let first_key = job.idempotency_key.clone();
        job.apply(accepted("pub_1"), t(1), 1.0);
        job.apply(
            polled(JobStatus::Failed, Some("sandbox_timeout")),
            t(30),
            1.0,
        );
        assert_eq!(job.phase, Phase::Retrying { at: t(30) });
        job.apply(Outcome::ResubmitDue, t(30), 1.0);
        assert_eq!(job.phase, Phase::Submitting);
        assert_ne!(job.idempotency_key, first_key);
        assert_eq!(job.earlier_remote_ids, ["pub_1"]);
        job.apply(accepted("pub_2"), t(31), 1.0);
        job.apply(
            polled(JobStatus::Failed, Some("sandbox_timeout")),
            t(60),
            1.0,
        );
        assert!(matches!(job.phase, Phase::Failed { .. }), "only once");
    }

    #[test]
    fn internal_errors_back_off_30s_then_5min() {
        let mut job = job();
        job.apply(accepted("pub_1"), t(0), 1.0);
        job.apply(
            polled(JobStatus::Failed, Some("internal_error")),
            t(10),
            1.0,
        );
        assert_eq!(job.phase, Phase::Retrying { at: t(40) });
        job.apply(Outcome::ResubmitDue, t(40), 1.0);
        job.apply(accepted("pub_2"), t(40), 1.0);
        job.apply(
            polled(JobStatus::Failed, Some("internal_error")),
            t(50),
            1.0,
        );
        assert_eq!(job.phase, Phase::Retrying { at: t(350) });
        job.apply(Outcome::ResubmitDue, t(350), 1.0);
        job.apply(accepted("pub_3"), t(350), 1.0);
        job.apply(
            polled(JobStatus::Failed, Some("internal_error")),
            t(360),
            1.0,
        );
        assert!(matches!(job.phase, Phase::Failed { .. }), "{:?}", job.phase);
    }

    #[test]
    fn network_errors_keep_the_submission_and_its_key() {
        let mut job = job();
        let key = job.idempotency_key.clone();
        job.apply(
            Outcome::RequestFailed(ApiError::Transport {
                detail: "reset".into(),
            }),
            t(1),
            1.0,
        );
        assert_eq!(job.phase, Phase::Submitting);
        assert_eq!(job.idempotency_key, key);
        assert_eq!(job.error.as_ref().unwrap().code, "network_error");
        job.apply(
            Outcome::RequestFailed(ApiError::PaymentRequired { message: None }),
            t(2),
            1.0,
        );
        assert!(matches!(job.phase, Phase::Failed { .. }), "{:?}", job.phase);
    }

    #[test]
    fn expiry_time_outs_and_check_again() {
        let mut job = job();
        job.apply(accepted("pub_1"), t(0), 1.0);
        job.apply(Outcome::TimedOut, t(300), 1.0);
        assert_eq!(
            job.phase,
            Phase::StillRunning {
                finished_at: Some(t(300))
            }
        );
        job.check_again(t(400));
        assert_eq!(
            job.next_step(t(400)),
            Step::Poll {
                since_submission: Duration::ZERO
            }
        );
        job.apply(
            Outcome::RequestFailed(ApiError::OutputExpired { message: None }),
            t(500),
            1.0,
        );
        assert!(matches!(job.phase, Phase::Expired { .. }));
    }

    #[test]
    fn a_retry_starts_over_with_nothing_of_the_last_submission() {
        let mut job = job();
        job.apply(accepted("pub_1"), t(1), 1.0);
        job.apply(polled(JobStatus::Failed, Some("export_failed")), t(30), 1.0);
        job.apply(Outcome::ResubmitDue, t(30), 1.0);
        job.apply(accepted("pub_2"), t(31), 1.0);
        job.apply(polled(JobStatus::Failed, Some("export_failed")), t(60), 1.0);
        assert_eq!(job.tokens_used(), Some(0));
        job.restart();
        assert_eq!(job.phase, Phase::Submitting);
        assert_eq!(job.tokens_used(), None);
        assert_eq!((job.file(), job.error.as_ref()), (None, None));
        assert_eq!(job.earlier_remote_ids, ["pub_1", "pub_2"]);
    }

    #[test]
    fn records_survive_a_json_round_trip() {
        let mut job = job();
        job.apply(accepted("pub_1"), t(1), 1.0);
        job.apply(polled(JobStatus::Failed, Some("export_failed")), t(30), 1.0);
        let text = serde_json::to_string(&job).unwrap();
        assert!(text.contains(r#""phase":"retrying""#), "{text}");
        assert_eq!(serde_json::from_str::<JobRecord>(&text).unwrap(), job);
    }
}
