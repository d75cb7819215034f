//! One driver per job. A process drives a job (polls, downloads, re-submits it) only while it
//! holds the job's lease in the store; a heartbeat renews it. A lease whose owner died (kill -9,
//! a crash) is taken by the next process that looks: each store holds a lock on its own owner
//! file while it lives, and the OS lets go of it when the process dies. A lease whose owner
//! stalled (a laptop that never woke) runs out. Store calls run on blocking threads, never on
//! a tokio worker.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::errors::StoreError;
use super::store::JobStore;

/// How long a lease lasts without a heartbeat.
pub const LEASE: Duration = Duration::from_secs(30);
/// How often the driver renews it.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// Runs `call` with the store on a blocking thread. A panic in it is an error, not a lost task.
pub async fn on_store<T: Send + 'static>(
    store: &Arc<JobStore>,
    call: impl FnOnce(&JobStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || call(&store))
        .await
        .unwrap_or_else(|e| {
            Err(StoreError::Io {
                action: "used",
                path: std::path::PathBuf::from("jobs.db"),
                reason: format!("the history's task stopped: {e}"),
            })
        })
}

/// This process drives a job while this value lives; dropping it stops the heartbeat and
/// gives the lease up.
pub struct Driving {
    store: Arc<JobStore>,
    id: String,
    lost: Arc<AtomicBool>,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Driving {
    /// Takes the job's lease if nobody else holds a live one: `None` when another process
    /// drives the job.
    pub async fn take(store: &Arc<JobStore>, id: &str) -> Result<Option<Self>, StoreError> {
        let owned = id.to_string();
        if !on_store(store, move |s| s.try_lease(&owned, LEASE)).await? {
            return Ok(None);
        }
        let lost = Arc::new(AtomicBool::new(false));
        let heartbeat = tokio::spawn(heartbeat(store.clone(), id.to_string(), lost.clone()));
        Ok(Some(Self {
            store: store.clone(),
            id: id.to_string(),
            lost,
            heartbeat,
        }))
    }

    /// Whether another process took the job over (this one stalled past its lease).
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

async fn heartbeat(store: Arc<JobStore>, id: String, lost: Arc<AtomicBool>) {
    let mut ticks = tokio::time::interval(HEARTBEAT);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let owned = id.clone();
        match on_store(&store, move |s| s.renew_lease(&owned, LEASE)).await {
            Ok(true) => {}
            Ok(false) => {
                lost.store(true, Ordering::SeqCst);
                return;
            }
            // A busy or failing disk: keep the lease as long as it lasts, try again.
            Err(e) => tracing::warn!("the lease on job {id} could not be renewed: {e}"),
        }
    }
}

impl Drop for Driving {
    fn drop(&mut self) {
        self.heartbeat.abort();
        let (store, id) = (self.store.clone(), self.id.clone());
        let release = move || {
            if let Err(e) = store.release_lease(&id) {
                tracing::warn!("the lease on job {id} could not be given up: {e}");
            }
        };
        // Given up on a blocking thread when a runtime is there (always, in practice).
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(release)),
            Err(_) => release(),
        }
    }
}
