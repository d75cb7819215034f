//! The emulator's state on disk, for the offline demo: keys, credits, jobs and idempotency
//! records survive a restart, so a demo job killed mid-way finishes when the app comes back,
//! exactly as a real one does (the real service keeps its jobs). Jobs progress by the wall
//! clock, so one created before the restart is as far along as its age says.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::lifecycle::JobPlan;
use super::parts::PARTS;
use super::rate_limit::SlidingWindow;
use super::requests::Submission;
use super::state::{Account, Job, ServerState, key_id};

/// Version of the file; another one is not read (the demo then starts afresh).
const VERSION: u32 = 1;

/// The saved state.
#[derive(Debug, Serialize, Deserialize)]
pub struct Snapshot {
    version: u32,
    /// The port last listened on, tried first next time so links and base URLs stay the same.
    pub port: u16,
    /// Keys with their balance and whether they were revoked.
    pub accounts: Vec<SavedAccount>,
    jobs: Vec<SavedJob>,
    idempotency: Vec<SavedIdempotency>,
}

/// One key.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedAccount {
    /// The key.
    pub key: String,
    credits: u64,
    revoked: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedJob {
    id: String,
    owner: String,
    submission: Submission,
    idempotency_key: Option<String>,
    created_at: DateTime<Utc>,
    plan: JobPlan,
    part: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedIdempotency {
    key: String,
    idempotency_key: String,
    job_id: String,
    first_seen: DateTime<Utc>,
}

impl Snapshot {
    /// Reads a snapshot; `None` when there is none or it cannot be used.
    pub fn load(path: &Path) -> Option<Self> {
        let bytes = std::fs::read(path).ok()?;
        match serde_json::from_slice::<Self>(&bytes) {
            Ok(snapshot) if snapshot.version == VERSION => Some(snapshot),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!("the demo's saved state could not be read: {e}");
                None
            }
        }
    }
}

impl ServerState {
    /// The state as it is now.
    pub fn snapshot(&self, port: u16) -> Snapshot {
        let inner = self.lock();
        Snapshot {
            version: VERSION,
            port,
            accounts: inner
                .accounts
                .iter()
                .map(|(key, account)| SavedAccount {
                    key: key.clone(),
                    credits: account.credits,
                    revoked: account.revoked,
                })
                .collect(),
            jobs: inner
                .jobs
                .iter()
                .map(|job| SavedJob {
                    id: job.id.clone(),
                    owner: job.owner.clone(),
                    submission: job.submission.clone(),
                    idempotency_key: job.idempotency_key.clone(),
                    created_at: job.created_at,
                    plan: job.plan.clone(),
                    part: job.part.slug.to_string(),
                })
                .collect(),
            idempotency: inner
                .idempotency
                .iter()
                .map(|((key, idem), (job_id, first_seen))| SavedIdempotency {
                    key: key.clone(),
                    idempotency_key: idem.clone(),
                    job_id: job_id.clone(),
                    first_seen: *first_seen,
                })
                .collect(),
        }
    }

    /// Takes the saved state over (keys, balances, jobs, idempotency records).
    pub fn restore(&self, snapshot: Snapshot) {
        let mut inner = self.lock();
        inner.accounts = snapshot
            .accounts
            .into_iter()
            .map(|saved| {
                let account = Account {
                    key_id: key_id(&saved.key),
                    credits: saved.credits,
                    revoked: saved.revoked,
                    signing_secret_rotated_at: None,
                    window: SlidingWindow::default(),
                };
                (saved.key, account)
            })
            .collect();
        inner.jobs = snapshot
            .jobs
            .into_iter()
            .filter_map(|saved| {
                let part = PARTS.iter().find(|p| p.slug == saved.part)?;
                Some(Job {
                    id: saved.id,
                    owner: saved.owner,
                    submission: saved.submission,
                    idempotency_key: saved.idempotency_key,
                    created_at: saved.created_at,
                    plan: saved.plan,
                    part,
                })
            })
            .collect();
        inner.idempotency = snapshot
            .idempotency
            .into_iter()
            .map(|s| ((s.key, s.idempotency_key), (s.job_id, s.first_seen)))
            .collect();
    }

    /// Writes the state to its file (atomically: a temporary file, then a rename), if it has
    /// one. A failure is logged: the demo goes on, it just would not survive a restart. Saves
    /// are one at a time, each of the state as it is then, so the last one written is the newest.
    pub fn save(&self) {
        static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let Some(path) = &self.state_file else {
            return;
        };
        let _turn = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let port = self
            .origin
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let snapshot = self.snapshot(port);
        let written = serde_json::to_vec(&snapshot)
            .map_err(std::io::Error::other)
            .and_then(|bytes| write_atomically(path, &bytes));
        if let Err(e) = written {
            tracing::warn!(
                "the demo's state could not be saved at {}: {e}",
                path.display()
            );
        }
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::atomic_file::write(path, bytes)
}
