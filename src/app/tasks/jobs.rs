//! Jobs driven for the window: recorded and run, resumed, changed (Retry, Check again) and
//! run; each ends in one event when its worker stops.

use super::*;
use std::sync::Arc;

use crate::jobs::{JobRecord, JobStore, Tracker};

/// Records a job and drives it until it settles or needs the user.
pub async fn record_and_run(tracker: Tracker, job: JobRecord, report: Reporter) {
    let id = job.id.clone();
    match tracker.record(job.clone()).await {
        Ok(_) => run(tracker, id, report).await,
        Err(error) => report.send(Event::RecordFailed {
            job: Box::new(job),
            error,
        }),
    }
}

/// Drives a recorded job. The window hears `WorkerStopped` when it ends, however it ends (a
/// panic included), so the job is never shown as running for ever.
pub async fn run(tracker: Tracker, id: String, report: Reporter) {
    struct Stopped(Option<(Reporter, String)>);
    impl Drop for Stopped {
        fn drop(&mut self) {
            if let Some((report, id)) = self.0.take() {
                report.send(Event::WorkerStopped(id));
            }
        }
    }
    let _stopped = Stopped(Some((report, id.clone())));
    tracker.run(&id).await;
}

/// Changes a stored job (Retry, Check again), then drives it.
pub async fn change_and_run(
    tracker: Tracker,
    id: String,
    change: impl FnOnce(&mut JobRecord) + Send + 'static,
    report: Reporter,
) {
    let store = tracker.store().clone();
    let changed = blocking({
        let id = id.clone();
        move || store.update(&id, change)
    })
    .await;
    match changed {
        Some(Ok(Some(job))) => {
            tracker.announce(job);
            run(tracker, id, report).await;
        }
        Some(Err(e)) => {
            report.send(Event::Notice(Notice::JobNotChanged(e)));
            report.send(Event::WorkerStopped(id));
        }
        _ => report.send(Event::WorkerStopped(id)),
    }
}

/// Reads the records of `ids` for the window (the list scrolled to them, the centre shows
/// them); one event, whatever happens.
pub async fn read_jobs(store: Arc<JobStore>, ids: Vec<String>, report: Reporter) {
    let asked = ids.clone();
    let records = crate::jobs::on_store(&store, move |store| store.records(&asked)).await;
    report.send(Event::JobsRead { ids, records });
}

/// Searches the history (its own index, on the blocking pool); a failure is said once.
pub async fn search_history(store: Arc<JobStore>, text: String, generation: u64, report: Reporter) {
    match crate::jobs::on_store(&store, move |store| store.search_ids(&text)).await {
        Ok(ids) => report.send(Event::Found { generation, ids }),
        Err(e) => report.send(Event::Notice(Notice::NotSearched(e))),
    }
}
