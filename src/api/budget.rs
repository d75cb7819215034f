//! The client's own request budget per API key: the contract's sliding windows (20/min,
//! 100/h, every request counted), enforced before each request so the app slows itself down
//! instead of earning 429s. Shared (`Arc`) by every task that uses the same key.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// One sliding window: at most `limit` requests in any `length`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Requests allowed in the window.
    pub limit: usize,
    /// The window's length.
    pub length: Duration,
}

#[derive(Debug, Default)]
struct Ledger {
    sent: VecDeque<Instant>,
    blocked_until: Option<Instant>,
}

/// Sliding-window request budget.
#[derive(Debug)]
pub struct RequestBudget {
    windows: Vec<Window>,
    ledger: Mutex<Ledger>,
}

impl RequestBudget {
    /// The contract's limits: 20 per minute and 100 per hour.
    pub fn contract() -> Self {
        Self::new(vec![
            Window {
                limit: 20,
                length: Duration::from_secs(60),
            },
            Window {
                limit: 100,
                length: Duration::from_secs(3600),
            },
        ])
    }

    /// A budget with other windows (tests use short ones).
    pub fn new(windows: Vec<Window>) -> Self {
        Self {
            windows,
            ledger: Mutex::new(Ledger::default()),
        }
    }

    /// Takes one request slot at `now`, or says how long until one frees.
    pub fn try_take(&self, now: Instant) -> Result<(), Duration> {
        let mut ledger = self.ledger.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(until) = ledger.blocked_until {
            if until > now {
                return Err(until - now);
            }
            ledger.blocked_until = None;
        }
        let longest = self
            .windows
            .iter()
            .map(|w| w.length)
            .max()
            .unwrap_or_default();
        while ledger
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= longest)
        {
            ledger.sent.pop_front();
        }
        let wait = self
            .windows
            .iter()
            .filter_map(|window| {
                let in_window: Vec<&Instant> = ledger
                    .sent
                    .iter()
                    .filter(|t| now.duration_since(**t) < window.length)
                    .collect();
                if in_window.len() < window.limit {
                    return None;
                }
                // The request that must leave the window before a slot frees (a limit of 0
                // never frees: a whole window each time).
                let frees_at = in_window
                    .get(in_window.len() - window.limit)
                    .map_or(now + window.length, |t| **t + window.length);
                Some(frees_at.saturating_duration_since(now))
            })
            .max();
        match wait {
            Some(wait) => Err(wait),
            None => {
                ledger.sent.push_back(now);
                Ok(())
            }
        }
    }

    /// Waits for a slot and takes it; returns when it was taken (for [`Self::answered`]).
    pub async fn take(&self) -> Instant {
        loop {
            let now = Instant::now();
            match self.try_take(now) {
                Ok(()) => return now,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// The request of the slot taken at `taken` was answered at `answered`. The server
    /// counted it somewhere between the two, so from now on the window counts it from the
    /// later: a request that took long to arrive can no longer leave our window before it
    /// leaves the server's (which answered the next request with 429 under load).
    pub fn answered(&self, taken: Instant, answered: Instant) {
        let mut ledger = self.ledger.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = ledger.sent.iter_mut().rev().find(|t| **t == taken) {
            *slot = answered.max(taken);
        }
        ledger.sent.make_contiguous().sort();
    }

    /// Stops every request until `until` (after a 429: the server's window is full).
    pub fn block_until(&self, until: Instant) {
        let mut ledger = self.ledger.lock().unwrap_or_else(PoisonError::into_inner);
        ledger.blocked_until = Some(
            ledger
                .blocked_until
                .map_or(until, |current| current.max(until)),
        );
    }

    /// When requests are blocked after a 429, until when.
    pub fn blocked_until(&self) -> Option<Instant> {
        self.ledger
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .blocked_until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_21st_request_in_a_minute_waits_for_the_first_to_leave() {
        let budget = RequestBudget::contract();
        let t0 = Instant::now();
        for i in 0..20 {
            assert_eq!(budget.try_take(t0 + Duration::from_secs(i)), Ok(()));
        }
        assert_eq!(
            budget.try_take(t0 + Duration::from_secs(30)),
            Err(Duration::from_secs(30))
        );
        assert_eq!(budget.try_take(t0 + Duration::from_secs(60)), Ok(()));
        assert_eq!(
            budget.try_take(t0 + Duration::from_secs(60)),
            Err(Duration::from_secs(1))
        );
    }

    #[test]
    fn the_hourly_window_holds_after_the_minute_frees() {
        let budget = RequestBudget::contract();
        let t0 = Instant::now();
        for i in 0..100 {
            assert_eq!(
                budget.try_take(t0 + Duration::from_secs(i * 30)),
                Ok(()),
                "request {i}"
            );
        }
        let now = t0 + Duration::from_secs(3000);
        assert_eq!(budget.try_take(now), Err(Duration::from_secs(600)));
    }

    #[test]
    fn a_slot_counts_from_when_its_answer_came() {
        let budget = RequestBudget::new(vec![Window {
            limit: 1,
            length: Duration::from_secs(60),
        }]);
        let t0 = Instant::now();
        assert_eq!(budget.try_take(t0), Ok(()));
        budget.answered(t0, t0 + Duration::from_secs(2));
        assert_eq!(
            budget.try_take(t0 + Duration::from_secs(60)),
            Err(Duration::from_secs(2)),
            "the server may have counted it as late as its answer"
        );
        assert_eq!(budget.try_take(t0 + Duration::from_secs(62)), Ok(()));
    }

    #[test]
    fn a_429_blocks_everything_until_the_wait_is_over() {
        let budget = RequestBudget::contract();
        let t0 = Instant::now();
        budget.block_until(t0 + Duration::from_secs(60));
        assert_eq!(budget.try_take(t0), Err(Duration::from_secs(60)));
        assert_eq!(budget.try_take(t0 + Duration::from_secs(60)), Ok(()));
    }
}
