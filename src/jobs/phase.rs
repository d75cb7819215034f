//! Where a job is, with what only that phase knows: the service's report once a part is
//! made, the stored file once it is here, when it settled. Flattened into the stored record,
//! so its JSON keys (`phase`, `brainstorm`, `tokens_used`, `latency_ms`, `file`,
//! `finished_at`) are those older builds wrote and read.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::Brainstorm;

/// What the service said about a submission that ended: the design summary (on success) and
/// what it cost. The docs promise the numbers on completed jobs only, so each may be absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceReport {
    /// The design summary.
    #[serde(default)]
    pub brainstorm: Option<Brainstorm>,
    /// Credits consumed.
    #[serde(default)]
    pub tokens_used: Option<u64>,
    /// Server pipeline time.
    #[serde(default)]
    pub latency_ms: Option<u64>,
}

/// Where a job is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Recorded with its Idempotency-Key; not yet known to be accepted. Resuming re-sends the
    /// same submission with the same key, so the server creates at most one job.
    Submitting,
    /// Accepted, waiting for a worker.
    Queued,
    /// The server is building the part.
    Processing,
    /// Succeeded on the server; the file is not stored locally yet.
    Downloading {
        /// The service's summary and cost.
        #[serde(flatten)]
        report: ServiceReport,
    },
    /// The file is stored locally.
    Done {
        /// The service's summary and cost.
        #[serde(flatten)]
        report: ServiceReport,
        /// The downloaded file in the app's data directory.
        file: PathBuf,
        /// When it was stored (`None` in records older builds wrote without it).
        #[serde(default)]
        finished_at: Option<DateTime<Utc>>,
    },
    /// A job-level failure is re-submitted (new Idempotency-Key) at `at`.
    Retrying {
        /// When the new submission goes out.
        at: DateTime<Utc>,
    },
    /// The client stopped waiting; the job may still finish on the server.
    StillRunning {
        /// When the client stopped (`None` in records older builds wrote without it).
        #[serde(default)]
        finished_at: Option<DateTime<Utc>>,
    },
    /// Ended without a file.
    Failed {
        /// What the service said about the last submission (cost; the summary where the
        /// part was made but could not be fetched).
        #[serde(flatten)]
        report: ServiceReport,
        /// When it ended (`None` in records older builds wrote without it).
        #[serde(default)]
        finished_at: Option<DateTime<Utc>>,
    },
    /// The output is past the server's 30 days.
    Expired {
        /// The service's summary and cost, where it was read before the file expired.
        #[serde(flatten)]
        report: ServiceReport,
        /// When it was found expired (`None` in records older builds wrote without it).
        #[serde(default)]
        finished_at: Option<DateTime<Utc>>,
    },
}

impl Phase {
    /// No more work unless the user asks (Retry, resume).
    pub fn is_settled(&self) -> bool {
        matches!(
            self,
            Self::Done { .. }
                | Self::Failed { .. }
                | Self::Expired { .. }
                | Self::StillRunning { .. }
        )
    }

    /// The part is stored here.
    pub fn is_done(&self) -> bool {
        matches!(self, Self::Done { .. })
    }

    /// It ended without a part, for good (failed, or past the server's 30 days).
    pub fn ended_without_part(&self) -> bool {
        matches!(self, Self::Failed { .. } | Self::Expired { .. })
    }

    /// A short label for lists.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Submitting => "submitting",
            Self::Queued => "queued",
            Self::Processing => "processing",
            Self::Downloading { .. } => "downloading",
            Self::Done { .. } => "done",
            Self::Retrying { .. } => "retrying",
            Self::StillRunning { .. } => "still running on the server",
            Self::Failed { .. } => "failed",
            Self::Expired { .. } => "expired",
        }
    }

    /// What the service said about the submission, once it ended.
    pub fn report(&self) -> Option<&ServiceReport> {
        match self {
            Self::Downloading { report }
            | Self::Done { report, .. }
            | Self::Failed { report, .. }
            | Self::Expired { report, .. } => Some(report),
            Self::Submitting
            | Self::Queued
            | Self::Processing
            | Self::Retrying { .. }
            | Self::StillRunning { .. } => None,
        }
    }

    /// The stored part, once done.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Self::Done { file, .. } => Some(file),
            _ => None,
        }
    }

    /// When it settled.
    pub fn finished_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Done { finished_at, .. }
            | Self::StillRunning { finished_at }
            | Self::Failed { finished_at, .. }
            | Self::Expired { finished_at, .. } => *finished_at,
            Self::Submitting
            | Self::Queued
            | Self::Processing
            | Self::Downloading { .. }
            | Self::Retrying { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::jobs::{JobRecord, Phase};

    /// A record as builds before this type wrote it: every key on every phase, `null` where
    /// the phase had nothing.
    fn older_build(phase: &str, file: &str, finished_at: &str) -> String {
        format!(
            r#"{{"id":"7f1c","prompt":"a lens cap","images":[],"mode":"standard","format":"STEP",
            "follow_up_of":null,"idempotency_key":"k","remote_id":"pub_1","earlier_remote_ids":[],
            "resubmissions":0,"phase":"{phase}",
            "brainstorm":{{"project_name":"Lens Cap","key_features":["snap-fit lip"],
              "design_components":[],"optimal_geometry":"","material_recommendations":"",
              "suggestions":[]}},
            "tokens_used":900,"latency_ms":41000,"file":{file},"out_path":null,
            "api_base":"http://127.0.0.1:1","error":null,"created_at":"2026-11-01T10:00:00Z",
            "submitted_at":"2026-11-01T10:00:01Z","finished_at":{finished_at}}}"#
        )
    }

    /// A finished job as an older build stored it.
    fn older_done() -> JobRecord {
        let file = r#""/data/files/7f1c.step""#;
        serde_json::from_str(&older_build("done", file, r#""2026-11-01T10:01:00Z""#)).unwrap()
    }

    #[test]
    fn records_older_builds_wrote_are_read_with_their_phase_s_data() {
        let done = older_done();
        assert_eq!(
            done.file(),
            Some(std::path::Path::new("/data/files/7f1c.step"))
        );
        assert_eq!(done.brainstorm().unwrap().project_name, "Lens Cap");
        assert_eq!(done.tokens_used(), Some(900));
        assert!(done.phase.finished_at().is_some());

        // Records made without the state machine (an older build's benchmark and test
        // histories) have a finished part with no time: read, never dropped.
        let untimed: JobRecord =
            serde_json::from_str(&older_build("done", r#""/data/files/7f1c.step""#, "null"))
                .unwrap();
        assert!(untimed.phase.is_done() && untimed.phase.finished_at().is_none());

        let queued: JobRecord =
            serde_json::from_str(&older_build("queued", "null", "null")).unwrap();
        assert_eq!(queued.phase, Phase::Queued);
        assert_eq!((queued.file(), queued.brainstorm()), (None, None));
    }

    #[test]
    fn what_this_build_writes_keeps_the_keys_older_builds_read() {
        let done = older_done();
        let written: serde_json::Value = serde_json::to_value(&done).unwrap();
        for (key, value) in [
            ("phase", serde_json::json!("done")),
            ("file", serde_json::json!("/data/files/7f1c.step")),
            ("tokens_used", serde_json::json!(900)),
            ("latency_ms", serde_json::json!(41000)),
            ("finished_at", serde_json::json!("2026-11-01T10:01:00Z")),
        ] {
            assert_eq!(written[key], value, "{key}");
        }
        assert_eq!(written["brainstorm"]["project_name"], "Lens Cap");
        let again: JobRecord = serde_json::from_value(written).unwrap();
        assert_eq!(again, done);
    }
}
