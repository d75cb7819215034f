//! The window's one way to start background work: a task that panics still ends in exactly
//! one event, so no screen waits for an answer that cannot come.

use std::future::Future;

use super::{Event, Reporter};

/// Spawns `task` on `runtime`; if it panics, `report` gets one [`Event::TaskPanicked`].
pub fn spawn_reporting_panics(
    runtime: &tokio::runtime::Handle,
    report: &Reporter,
    task: impl Future<Output = ()> + Send + 'static,
) {
    let handle = runtime.spawn(task);
    let report = report.clone();
    runtime.spawn(async move {
        if let Err(error) = handle.await
            && error.is_panic()
        {
            let payload = error.into_panic();
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            report.send(Event::TaskPanicked(what));
        }
    });
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_task_that_panics_ends_in_exactly_one_event() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (sender, events) = std::sync::mpsc::channel();
        let report = Reporter::new(sender, Arc::new(|| {}));
        spawn_reporting_panics(runtime.handle(), &report, async {
            panic!("the draft was unreadable");
        });
        spawn_reporting_panics(runtime.handle(), &report, async {});
        let event = events
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        assert!(
            matches!(&event, Event::TaskPanicked(what) if what == "the draft was unreadable"),
            "got another event"
        );
        drop(report);
        runtime.shutdown_timeout(std::time::Duration::from_secs(5));
        assert!(
            events.try_recv().is_err(),
            "one event, and only for the panic"
        );
    }
}
