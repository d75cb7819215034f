//! When to retry a request (contract §9.1, §6.1, §7): network errors and 5xx after 2, 4 and
//! 8 s (the same Idempotency-Key is reused on POST); 429 after at least 60 s, then 120, 240,
//! 480 s; every other error never.

use std::time::Duration;

use super::error::ApiError;

/// Delays between attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// After network errors and 5xx; one retry per entry.
    pub transient: Vec<Duration>,
    /// After 429 (or `Retry-After`, when longer); one retry per entry.
    pub rate_limited: Vec<Duration>,
}

impl RetryPolicy {
    /// The contract's schedule.
    pub fn contract() -> Self {
        Self {
            transient: [2, 4, 8].map(Duration::from_secs).to_vec(),
            rate_limited: [60, 120, 240, 480].map(Duration::from_secs).to_vec(),
        }
    }

    /// The delay before the next attempt after `error`, given how many transient failures and
    /// 429s came before it (not counting this one); `None` when it must not be retried.
    pub fn delay(
        &self,
        error: &ApiError,
        transient_so_far: usize,
        rate_limited_so_far: usize,
    ) -> Option<Duration> {
        match error {
            ApiError::QuotaExceeded { retry_after, .. } => {
                let scheduled = *self.rate_limited.get(rate_limited_so_far)?;
                Some(retry_after.map_or(scheduled, |server| server.max(scheduled)))
            }
            e if e.is_transient() => self.transient.get(transient_so_far).copied(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_errors_wait_2_4_8_then_give_up() {
        let policy = RetryPolicy::contract();
        let error = ApiError::ServerError { status: 503 };
        let delays: Vec<_> = (0..4).map(|n| policy.delay(&error, n, 0)).collect();
        assert_eq!(
            delays,
            [
                Some(Duration::from_secs(2)),
                Some(Duration::from_secs(4)),
                Some(Duration::from_secs(8)),
                None
            ]
        );
    }

    #[test]
    fn rate_limits_wait_at_least_60s_and_honour_a_longer_retry_after() {
        let policy = RetryPolicy::contract();
        let short = ApiError::QuotaExceeded {
            message: None,
            retry_after: Some(Duration::from_secs(5)),
        };
        assert_eq!(policy.delay(&short, 0, 0), Some(Duration::from_secs(60)));
        assert_eq!(policy.delay(&short, 0, 3), Some(Duration::from_secs(480)));
        assert_eq!(policy.delay(&short, 0, 4), None);
        let long = ApiError::QuotaExceeded {
            message: None,
            retry_after: Some(Duration::from_secs(600)),
        };
        assert_eq!(policy.delay(&long, 0, 1), Some(Duration::from_secs(600)));
    }

    #[test]
    fn other_4xx_are_never_retried() {
        let policy = RetryPolicy::contract();
        for error in [
            ApiError::InvalidApiKey { message: None },
            ApiError::NotFound,
            ApiError::InvalidInput {
                message: "x".into(),
            },
        ] {
            assert_eq!(policy.delay(&error, 0, 0), None);
        }
    }
}
