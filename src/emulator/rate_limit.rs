//! Sliding-window request limits per API key (contract §6.1: 20/min and 100/h).
//!
//! Every authenticated request that is admitted is counted, GET polls included (open point 6:
//! the strict reading). Requests refused with 429 are not counted, so a client that waits for
//! `Retry-After` is let in again exactly when its oldest counted request leaves the window.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::clock::{delta, elapsed_between};

/// The two limits; configurable so tests can use small numbers (and short windows) too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Requests allowed in any `minute`.
    pub per_minute: usize,
    /// Requests allowed in any `hour`.
    pub per_hour: usize,
    /// Length of the short window (60 s in the contract).
    pub minute: Duration,
    /// Length of the long window (3600 s in the contract).
    pub hour: Duration,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_minute: 20,
            per_hour: 100,
            minute: Duration::from_secs(60),
            hour: Duration::from_secs(3600),
        }
    }
}

/// Why a request was refused, and when the window frees a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    /// The message the API sends in the 429 body.
    pub message: String,
    /// Whole seconds until a request would be admitted again (at least 1).
    pub retry_after_secs: u64,
}

/// The admitted requests of one key in the last hour.
#[derive(Debug, Default)]
pub struct SlidingWindow {
    admitted: VecDeque<DateTime<Utc>>,
}

impl SlidingWindow {
    /// Admits a request at `now` (and counts it), or says which limit it would break.
    ///
    /// When both limits are exceeded the hourly one is reported: its wait is the longer one,
    /// and waiting out only the minute would earn another 429.
    pub fn admit(&mut self, now: DateTime<Utc>, limits: RateLimits) -> Result<(), Exceeded> {
        while self
            .admitted
            .front()
            .is_some_and(|t| now - *t >= delta(limits.hour))
        {
            self.admitted.pop_front();
        }
        if let Some(wait) = self.wait_for_slot(now, limits.hour, limits.per_hour) {
            let message = format!("per-hour limit ({}/hour) exceeded", limits.per_hour);
            return Err(Exceeded {
                message,
                retry_after_secs: whole_seconds(wait),
            });
        }
        if let Some(wait) = self.wait_for_slot(now, limits.minute, limits.per_minute) {
            let message = format!("per-minute limit ({}/min) exceeded", limits.per_minute);
            return Err(Exceeded {
                message,
                retry_after_secs: whole_seconds(wait),
            });
        }
        self.admitted.push_back(now);
        Ok(())
    }

    /// `None` when the window has room; otherwise how long until its oldest blocking request
    /// leaves it.
    fn wait_for_slot(
        &self,
        now: DateTime<Utc>,
        window: Duration,
        limit: usize,
    ) -> Option<Duration> {
        let in_window: Vec<_> = self
            .admitted
            .iter()
            .filter(|t| now - **t < delta(window))
            .collect();
        if in_window.len() < limit {
            return None;
        }
        // A limit of 0 admits nothing: the wait is a whole window.
        let frees_at = in_window
            .get(in_window.len() - limit)
            .map_or(now + delta(window), |t| **t + delta(window));
        Some(elapsed_between(frees_at, now))
    }
}

/// Seconds for a `Retry-After` header: rounded up, never 0.
fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn twenty_per_minute_then_429_until_the_oldest_leaves() {
        let mut w = SlidingWindow::default();
        let limits = RateLimits::default();
        for i in 0..20 {
            assert!(w.admit(t0() + TimeDelta::seconds(i), limits).is_ok());
        }
        let refused = w.admit(t0() + TimeDelta::seconds(30), limits).unwrap_err();
        assert_eq!(refused.message, "per-minute limit (20/min) exceeded");
        assert_eq!(refused.retry_after_secs, 30);
        assert!(w.admit(t0() + TimeDelta::seconds(60), limits).is_ok());
    }

    #[test]
    fn hundred_per_hour_reports_the_hourly_wait() {
        let mut w = SlidingWindow::default();
        let limits = RateLimits::default();
        for i in 0..100 {
            assert!(w.admit(t0() + TimeDelta::seconds(i * 30), limits).is_ok());
        }
        let now = t0() + TimeDelta::seconds(3000);
        let refused = w.admit(now, limits).unwrap_err();
        assert_eq!(refused.message, "per-hour limit (100/hour) exceeded");
        assert_eq!(refused.retry_after_secs, 600);
        assert!(w.admit(t0() + TimeDelta::seconds(3600), limits).is_ok());
    }
}
