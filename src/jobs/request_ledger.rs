//! The request budget of one API key, kept in the history database so that every process on
//! the data directory (windows, `makistry generate`, `jobs resume`) shares it: the API's
//! limits are per key. Keys are known here only by a hash.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use super::store::JobStore;
use crate::api::{SharedLedger, Window, wait_for_slot};

/// The longest a 429 holds requests (the contract's longest wait, 480 s, with room for a
/// longer `Retry-After`).
const LONGEST_BLOCK_MS: i64 = 3_600_000;

/// One key's slots in the history database.
pub struct StoreLedger {
    store: Arc<JobStore>,
    key_hash: String,
}

impl StoreLedger {
    /// The ledger of the key `secret` (hashed: the key itself is never written).
    pub fn new(store: Arc<JobStore>, secret: &str) -> Self {
        let digest = Sha256::digest(format!("makistry-budget:{secret}").as_bytes());
        Self {
            store,
            key_hash: hex::encode(&digest[..16]),
        }
    }
}

impl SharedLedger for StoreLedger {
    fn try_take(&self, windows: &[Window], now_ms: i64) -> Result<Result<i64, Duration>, String> {
        let longest = windows
            .iter()
            .map(|w| i64::try_from(w.length.as_millis()).unwrap_or(i64::MAX))
            .max()
            .unwrap_or(0);
        self.store
            .with_connection(|connection| {
                let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let blocked: Option<i64> = tx
                    .query_row(
                        "SELECT until_ms FROM request_block WHERE key_hash = ?1",
                        [&self.key_hash],
                        |row| row.get(0),
                    )
                    .optional()?;
                // A block further off than the longest wait a 429 asks for is from a clock
                // that went back since: it holds no longer than that.
                let blocked =
                    blocked.map(|until| until.min(now_ms.saturating_add(LONGEST_BLOCK_MS)));
                if let Some(until) = blocked.filter(|until| *until > now_ms) {
                    let wait = u64::try_from(until - now_ms).unwrap_or(0);
                    return Ok(Err(Duration::from_millis(wait)));
                }
                // Requests older than the longest window are done with; ones "after" now by
                // more than a window were counted by a clock that went back since.
                tx.execute(
                    "DELETE FROM request_log WHERE key_hash = ?1 AND (at_ms <= ?2 OR at_ms > ?3)",
                    params![
                        self.key_hash,
                        now_ms.saturating_sub(longest),
                        now_ms.saturating_add(longest)
                    ],
                )?;
                let sent = {
                    let mut statement =
                        tx.prepare_cached("SELECT at_ms FROM request_log WHERE key_hash = ?1")?;
                    let rows = statement.query_map([&self.key_hash], |row| row.get(0))?;
                    rows.collect::<rusqlite::Result<Vec<i64>>>()?
                };
                if let Some(wait) = wait_for_slot(windows, &sent, now_ms) {
                    return Ok(Err(wait));
                }
                tx.execute(
                    "INSERT INTO request_log (key_hash, at_ms) VALUES (?1, ?2)",
                    params![self.key_hash, now_ms],
                )?;
                let slot = tx.last_insert_rowid();
                tx.commit()?;
                Ok(Ok(slot))
            })
            .map_err(|e| e.to_string())
    }

    fn answered(&self, slot: i64, at_ms: i64) -> Result<(), String> {
        self.store
            .with_connection(|connection| {
                connection.execute(
                    "UPDATE request_log SET at_ms = max(at_ms, ?2) WHERE id = ?1",
                    params![slot, at_ms],
                )
            })
            .map(drop)
            .map_err(|e| e.to_string())
    }

    fn block_until(&self, until_ms: i64) -> Result<(), String> {
        self.store
            .with_connection(|connection| {
                connection.execute(
                    "INSERT INTO request_block (key_hash, until_ms) VALUES (?1, ?2)
                     ON CONFLICT (key_hash) DO UPDATE SET until_ms = max(until_ms, ?2)",
                    params![self.key_hash, until_ms],
                )
            })
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(limit: usize, secs: u64) -> Window {
        Window {
            limit,
            length: Duration::from_secs(secs),
        }
    }

    #[test]
    fn two_stores_on_one_history_share_one_budget_per_key() {
        let dir = tempfile::tempdir().unwrap();
        let first = Arc::new(JobStore::open(dir.path()).unwrap().0);
        let second = Arc::new(JobStore::open(dir.path()).unwrap().0);
        let windows = [window(2, 60)];
        let (a, b) = (
            StoreLedger::new(first, "mk_key_one"),
            StoreLedger::new(second.clone(), "mk_key_one"),
        );
        let other_key = StoreLedger::new(second, "mk_key_two");
        let t0 = 1_800_000_000_000;
        assert!(a.try_take(&windows, t0).unwrap().is_ok());
        assert!(b.try_take(&windows, t0 + 1000).unwrap().is_ok());
        assert_eq!(
            a.try_take(&windows, t0 + 2000).unwrap(),
            Err(Duration::from_secs(58)),
            "the other process's requests count"
        );
        assert!(other_key.try_take(&windows, t0 + 2000).unwrap().is_ok());
        assert!(a.try_take(&windows, t0 + 60_000).unwrap().is_ok());
        b.block_until(t0 + 200_000).unwrap();
        assert_eq!(
            a.try_take(&windows, t0 + 190_000).unwrap(),
            Err(Duration::from_secs(10)),
            "a 429 seen by one process holds the other"
        );
    }

    #[test]
    fn a_clock_set_back_does_not_hold_requests_for_hours() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(JobStore::open(dir.path()).unwrap().0);
        let ledger = StoreLedger::new(store, "mk_key_one");
        let windows = [window(1, 60)];
        let later = 1_800_000_000_000;
        assert!(ledger.try_take(&windows, later).unwrap().is_ok());
        ledger.block_until(later + 100_000_000).unwrap();
        let earlier = later - 5 * 3_600_000;
        let wait = ledger.try_take(&windows, earlier).unwrap().unwrap_err();
        assert!(wait <= Duration::from_secs(3600), "{wait:?}");
    }
}
