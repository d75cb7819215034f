//! A wall clock that tests can move forward.
//!
//! Everything in the emulator that depends on time (the job lifecycle, the rate-limit windows,
//! download-link and output expiry, idempotency retention) reads this clock, so a test can jump
//! 30 days or an hour ahead instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// Real time plus an offset that only grows.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// The emulator's current time.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + TimeDelta::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Moves the clock forward by `by` (the clock never goes back).
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

/// `a - b` as a std `Duration`, zero when `b` is later than `a`.
pub fn elapsed_between(a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
    (a - b).to_std().unwrap_or(Duration::ZERO)
}

/// A std `Duration` as a chrono `TimeDelta`, saturating.
pub fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}
