//! The window's eye on the shared history: every [`WATCH_EVERY`], one indexed query for jobs
//! that other processes changed (a CLI beside the window, a second window) and for unfinished
//! jobs nobody drives any more (their process died). Changes arrive as ordinary job events;
//! orphans as [`Event::Orphans`], which the window resumes. Ends when the history is closed.

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::{Event, Reporter};
use crate::jobs::{JobEvent, JobStore, on_store};

/// How often the history is looked at: within a few seconds, without a busy loop.
pub const WATCH_EVERY: Duration = Duration::from_secs(2);

/// Watches `store` from `revision` on, until the store is dropped; `unfinished` are the jobs
/// not yet settled when it was read.
async fn watch(
    store: Weak<JobStore>,
    mut revision: u64,
    mut unfinished: Vec<String>,
    job_events: UnboundedSender<JobEvent>,
    report: Reporter,
) {
    let mut ticks = tokio::time::interval(WATCH_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(store) = store.upgrade() else {
            return;
        };
        let changes = on_store(&store, move |s| s.changes_by_others(revision)).await;
        let changes = match changes {
            Ok(changes) => changes,
            Err(e) => {
                tracing::warn!("the job history could not be read: {e}");
                continue;
            }
        };
        revision = changes.revision;
        let changed = !changes.jobs.is_empty();
        for job in changes.jobs {
            let settled = job.phase.is_settled();
            unfinished.retain(|id| *id != job.id);
            if !settled {
                unfinished.push(job.id.clone());
            }
            let _ = job_events.send(JobEvent::Updated(Box::new(job)));
        }
        if changed {
            (report.waker())();
        }
        if unfinished.is_empty() {
            continue;
        }
        let ids = unfinished.clone();
        if let Ok(orphans) = on_store(&store, move |s| s.unleased(&ids)).await
            && !orphans.is_empty()
        {
            report.send(Event::Orphans(orphans));
        }
        drop(store);
    }
}

/// Starts watching a freshly opened history, read up to `revision`, with the jobs that were
/// `unfinished` then.
pub fn start(
    store: &Arc<JobStore>,
    (revision, unfinished): (u64, Vec<String>),
    events: UnboundedSender<JobEvent>,
    report: Reporter,
) {
    // Through the one spawn point, so a panic in the watch is said, not lost.
    let watching = watch(
        Arc::downgrade(store),
        revision,
        unfinished,
        events,
        report.clone(),
    );
    super::spawn_reporting_panics(&tokio::runtime::Handle::current(), &report, watching);
}
