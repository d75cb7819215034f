//! The client's own request budget per API key: the contract's sliding windows (20/min,
//! 100/h, every request counted), enforced before each request so the app slows itself down
//! instead of earning 429s. Shared (`Arc`) by every task that uses the same key, and, through a
//! [`SharedLedger`] (the history database), by every process on the data directory: the API
//! counts per key, not per process.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
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

/// Where the slots of one key are kept for every process at once: each call is one
/// transaction, so processes that take slots together stay inside the windows. Times are
/// wall-clock milliseconds (an `Instant` means nothing to another process).
pub trait SharedLedger: Send + Sync {
    /// Takes a slot at `now_ms` and returns its id, or says how long until one frees (or a
    /// block after a 429 ends). The error is the store's, in words.
    fn try_take(&self, windows: &[Window], now_ms: i64) -> Result<Result<i64, Duration>, String>;
    /// The slot's request was answered at `at_ms`: it counts from then on.
    fn answered(&self, slot: i64, at_ms: i64) -> Result<(), String>;
    /// Holds every request with this key until `until_ms` (after a 429).
    fn block_until(&self, until_ms: i64) -> Result<(), String>;
}

/// How long until a request may go out at `now_ms`, given the times of the requests already
/// sent, or `None` when it may go now. The rule both ledgers apply.
pub fn wait_for_slot(windows: &[Window], sent_ms: &[i64], now_ms: i64) -> Option<Duration> {
    windows
        .iter()
        .filter_map(|window| {
            let length = i64::try_from(window.length.as_millis()).unwrap_or(i64::MAX);
            let mut in_window: Vec<i64> = sent_ms
                .iter()
                .copied()
                .filter(|t| now_ms.saturating_sub(*t) < length)
                .collect();
            if in_window.len() < window.limit {
                return None;
            }
            in_window.sort_unstable();
            // The request that must leave the window before a slot frees (a limit of 0
            // never frees: a whole window each time).
            let frees_at = in_window
                .get(in_window.len() - window.limit)
                .map_or(now_ms.saturating_add(length), |t| t.saturating_add(length));
            Some(Duration::from_millis(
                u64::try_from(frees_at.saturating_sub(now_ms)).unwrap_or(0),
            ))
        })
        .max()
}

/// The time now as a shared ledger counts it.
fn wall_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Says once that the shared ledger failed; this process counts alone from then on.
fn broke(failed: &AtomicBool, error: &str) {
    if !failed.swap(true, Ordering::Relaxed) {
        tracing::warn!("the shared request budget failed ({error}); this process counts alone");
    }
}

/// A slot taken for one request: hand it back to [`RequestBudget::answered`].
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    taken: Instant,
    shared: Option<i64>,
}

/// Sliding-window request budget.
pub struct RequestBudget {
    windows: Vec<Window>,
    ledger: Mutex<Ledger>,
    shared: Option<Arc<dyn SharedLedger>>,
    /// The shared ledger failed once: this process counts alone from then on (said once).
    shared_failed: Arc<AtomicBool>,
}

impl std::fmt::Debug for RequestBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBudget")
            .field("windows", &self.windows)
            .field("shared", &self.shared.is_some())
            .finish()
    }
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
            shared: None,
            shared_failed: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The same budget kept in `ledger`, shared with every process that uses it.
    pub fn shared_through(mut self, ledger: Arc<dyn SharedLedger>) -> Self {
        self.shared = Some(ledger);
        self
    }

    fn shared_ledger(&self) -> Option<Arc<dyn SharedLedger>> {
        self.shared
            .clone()
            .filter(|_| !self.shared_failed.load(Ordering::Relaxed))
    }

    /// The shared ledger could not be used: count alone rather than stop sending.
    fn shared_broke(&self, error: &str) {
        broke(&self.shared_failed, error);
    }

    /// Runs `call` on the shared ledger on a blocking thread (it writes the history), without
    /// waiting for it: an answer's time and a 429's block are bookkeeping for later requests.
    fn on_shared(
        &self,
        call: impl FnOnce(&dyn SharedLedger) -> Result<(), String> + Send + 'static,
    ) {
        let Some(shared) = self.shared_ledger() else {
            return;
        };
        let failed = self.shared_failed.clone();
        let run = move || {
            if let Err(e) = call(shared.as_ref()) {
                broke(&failed, &e);
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(run)),
            Err(_) => run(),
        }
    }

    /// Takes one request slot at `now` in this process's own ledger, or says how long until
    /// one frees.
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
        // Times as milliseconds before `now`, for the rule both ledgers share.
        let before_now = |t: &Instant| {
            -i64::try_from(now.saturating_duration_since(*t).as_millis()).unwrap_or(i64::MAX)
        };
        let sent: Vec<i64> = ledger.sent.iter().map(before_now).collect();
        match wait_for_slot(&self.windows, &sent, 0) {
            Some(wait) => Err(wait),
            None => {
                ledger.sent.push_back(now);
                Ok(())
            }
        }
    }

    /// Waits for a slot and takes it; hand the slot back to [`Self::answered`].
    pub async fn take(&self) -> Slot {
        loop {
            // This process's own 429 block holds at once, before the shared one is written.
            let local_block = self
                .blocked_until()
                .map(|until| until.saturating_duration_since(Instant::now()))
                .filter(|wait| !wait.is_zero());
            if let Some(wait) = local_block.filter(|_| self.shared.is_some()) {
                tokio::time::sleep(wait).await;
                continue;
            }
            if let Some(shared) = self.shared_ledger() {
                let windows = self.windows.clone();
                let taken =
                    tokio::task::spawn_blocking(move || shared.try_take(&windows, wall_ms()))
                        .await
                        .unwrap_or_else(|e| Err(e.to_string()));
                match taken {
                    Ok(Ok(id)) => {
                        return Slot {
                            taken: Instant::now(),
                            shared: Some(id),
                        };
                    }
                    Ok(Err(wait)) => {
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    Err(e) => self.shared_broke(&e),
                }
            }
            let now = Instant::now();
            match self.try_take(now) {
                Ok(()) => {
                    return Slot {
                        taken: now,
                        shared: None,
                    };
                }
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// The request of `slot` was answered at `answered`. The server counted it somewhere
    /// between the two, so from now on the window counts it from the later: a request that
    /// took long to arrive can no longer leave our window before it leaves the server's
    /// (which answered the next request with 429 under load).
    pub fn answered(&self, slot: Slot, answered: Instant) {
        if let Some(id) = slot.shared {
            let ago = i64::try_from(answered.elapsed().as_millis()).unwrap_or(0);
            let at = wall_ms() - ago;
            self.on_shared(move |shared| shared.answered(id, at));
            return;
        }
        let mut ledger = self.ledger.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(t) = ledger.sent.iter_mut().rev().find(|t| **t == slot.taken) {
            *t = answered.max(slot.taken);
        }
        ledger.sent.make_contiguous().sort();
    }

    /// Stops every request until `until` (after a 429: the server's window is full), in every
    /// process that shares the budget.
    pub fn block_until(&self, until: Instant) {
        let ahead = until.saturating_duration_since(Instant::now()).as_millis();
        let until_ms = wall_ms().saturating_add(i64::try_from(ahead).unwrap_or(i64::MAX));
        self.on_shared(move |shared| shared.block_until(until_ms));
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
        let slot = Slot {
            taken: t0,
            shared: None,
        };
        budget.answered(slot, t0 + Duration::from_secs(2));
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
