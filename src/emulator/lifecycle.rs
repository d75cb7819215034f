//! How a job unfolds: when it leaves `queued`, when it ends, and how (contract §4, §6.2, §9.2).
//!
//! A job's whole future is drawn once, when it is created, as a [`JobPlan`]; its status at any
//! moment is then a pure function of the emulator clock. No background task runs per job, and
//! a test that advances the clock sees the job finish at once.

use std::ops::RangeInclusive;
use std::time::Duration;

use rand::Rng;

use super::wire::{DesignMode, JobStatus, OutputFormat};

/// How long jobs take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timing {
    /// Like the real service: standard 30 s–2 min, pro 1–5 min, assembly 2–15 min
    /// (the wider, async-jobs ranges of the contract), after 1–5 s in the queue.
    #[default]
    Realistic,
    /// For tests and the demo: 0.5 s queued, then done 2 s (standard), 3 s (pro) or 4 s
    /// (assembly) after submission.
    Fast,
    /// Every job the same: `queued` in the queue, then `processing` (tests that scale the
    /// client's schedule down need jobs scaled down too).
    Fixed {
        /// Time spent queued.
        queued: Duration,
        /// Time spent processing.
        processing: Duration,
    },
}

impl Timing {
    fn draw(self, mode: DesignMode, rng: &mut impl Rng) -> (Duration, Duration) {
        match self {
            Self::Fixed { queued, processing } => (queued, processing),
            Self::Fast => {
                let total_ms = match mode {
                    DesignMode::Standard => 2_000,
                    DesignMode::Pro => 3_000,
                    DesignMode::Assembly => 4_000,
                };
                (
                    Duration::from_millis(500),
                    Duration::from_millis(total_ms - 500),
                )
            }
            Self::Realistic => {
                let total_s: RangeInclusive<u64> = match mode {
                    DesignMode::Standard => 30..=120,
                    DesignMode::Pro => 60..=300,
                    DesignMode::Assembly => 120..=900,
                };
                let queued = Duration::from_millis(rng.random_range(1_000..=5_000));
                let total = Duration::from_secs(rng.random_range(total_s));
                (queued, total.saturating_sub(queued))
            }
        }
    }
}

/// Credits reserved at submission: the most a job of this mode can cost (contract §6.2:
/// standard 1×, pro 2–3×, assembly 3–5×, here in units of 1000 credits).
pub fn reservation(mode: DesignMode) -> u64 {
    *token_range(mode).end()
}

fn token_range(mode: DesignMode) -> RangeInclusive<u64> {
    match mode {
        DesignMode::Standard => 600..=1_000,
        DesignMode::Pro => 2_000..=3_000,
        DesignMode::Assembly => 3_000..=5_000,
    }
}

/// How a job ends.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    /// `success`, charging `tokens_used` credits.
    Success {
        /// Credits consumed.
        tokens_used: u64,
    },
    /// `failed` with a job-level error (never charged).
    Failed {
        /// `error_code`, one of contract §9.2 or any other code asked for by a trigger.
        code: String,
        /// `error_message`.
        message: String,
    },
}

/// A job's future, drawn at creation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobPlan {
    /// Time spent `queued` after submission.
    pub queued_for: Duration,
    /// Time spent `processing` after that.
    pub processing_for: Duration,
    /// The terminal state.
    pub outcome: Outcome,
}

impl JobPlan {
    /// Draws the plan of a new job. `failure` comes from a trigger in the prompt.
    pub fn draw(
        timing: Timing,
        mode: DesignMode,
        format: OutputFormat,
        failure: Option<&str>,
    ) -> Self {
        let mut rng = rand::rng();
        let (queued_for, processing_for) = timing.draw(mode, &mut rng);
        let outcome = match failure {
            Some(code) => Outcome::Failed {
                code: code.to_string(),
                message: failure_message(code, format),
            },
            None => Outcome::Success {
                tokens_used: rng.random_range(token_range(mode)),
            },
        };
        Self {
            queued_for,
            processing_for,
            outcome,
        }
    }

    /// Status after `elapsed` since submission.
    pub fn status_after(&self, elapsed: Duration) -> JobStatus {
        if elapsed < self.queued_for {
            JobStatus::Queued
        } else if elapsed < self.total() {
            JobStatus::Processing
        } else if matches!(self.outcome, Outcome::Success { .. }) {
            JobStatus::Success
        } else {
            JobStatus::Failed
        }
    }

    /// Submission to terminal state; reported as `latency_ms`.
    pub fn total(&self) -> Duration {
        self.queued_for + self.processing_for
    }
}

/// The job-level error codes of contract §9.2.
pub const JOB_ERROR_CODES: [&str; 6] = [
    "geometry_validation_failed",
    "prompt_too_ambiguous",
    "code_generation_failed",
    "sandbox_timeout",
    "export_failed",
    "internal_error",
];

fn failure_message(code: &str, format: OutputFormat) -> String {
    match code {
        "geometry_validation_failed" => {
            "The geometry failed validation: the requested dimensions contradict each other \
             (a 52 mm lip cannot sit inside a 50 mm bore)."
                .into()
        }
        "prompt_too_ambiguous" => {
            "The prompt can be read several ways: give dimensions with units and name the features."
                .into()
        }
        "code_generation_failed" => {
            "The generated CadQuery code could not be run after 3 internal attempts.".into()
        }
        "sandbox_timeout" => "CadQuery execution timed out after 5 internal retries.".into(),
        "export_failed" => format!(
            "Export to {} failed after the geometry was built.",
            format.as_str()
        ),
        "internal_error" => "An unexpected server fault stopped the pipeline.".into(),
        other => format!("Emulated failure with the undocumented code `{other}`."),
    }
}

/// A failure asked for in the prompt: `[fail:CODE]` fails every job with that prompt;
/// `[fail:CODE*N]` fails only the first N jobs with that prompt (per API key), so a client's
/// re-submission can be seen to succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureTrigger {
    /// The `error_code` to fail with (any `[a-z0-9_]+`, documented or not).
    pub code: String,
    /// How many submissions fail; `None` for all.
    pub times: Option<u32>,
}

impl FailureTrigger {
    /// Finds the first `[fail:…]` marker in `prompt`.
    pub fn find(prompt: &str) -> Option<Self> {
        let start = prompt.find("[fail:")? + "[fail:".len();
        let end = start + prompt[start..].find(']')?;
        let (code, times) = match prompt[start..end].split_once('*') {
            Some((code, n)) => (code, Some(n.trim().parse().ok()?)),
            None => (&prompt[start..end], None),
        };
        let code = code.trim();
        let valid = !code.is_empty()
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        valid.then(|| Self {
            code: code.to_string(),
            times,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_parse() {
        assert_eq!(
            FailureTrigger::find("box [fail:sandbox_timeout] please"),
            Some(FailureTrigger {
                code: "sandbox_timeout".into(),
                times: None
            })
        );
        assert_eq!(
            FailureTrigger::find("[fail:internal_error*2]"),
            Some(FailureTrigger {
                code: "internal_error".into(),
                times: Some(2)
            })
        );
        assert_eq!(FailureTrigger::find("no marker"), None);
        assert_eq!(FailureTrigger::find("[fail:Bad Code]"), None);
        assert_eq!(FailureTrigger::find("[fail:x*many]"), None);
    }

    #[test]
    fn status_follows_the_plan() {
        let plan = JobPlan::draw(Timing::Fast, DesignMode::Standard, OutputFormat::Glb, None);
        assert_eq!(plan.status_after(Duration::ZERO), JobStatus::Queued);
        assert_eq!(
            plan.status_after(Duration::from_millis(600)),
            JobStatus::Processing
        );
        assert_eq!(
            plan.status_after(Duration::from_secs(2)),
            JobStatus::Success
        );
        let failing = JobPlan::draw(
            Timing::Realistic,
            DesignMode::Assembly,
            OutputFormat::Step,
            Some("export_failed"),
        );
        assert_eq!(
            failing.status_after(Duration::from_secs(900)),
            JobStatus::Failed
        );
        assert!(failing.total() >= Duration::from_secs(120));
    }
}
