//! What background work reports, applied to the window's state: start-up, connections, images
//! checked, models read, job updates; and picking up jobs that need a driver.

use std::collections::HashSet;

use super::tasks::{self, ConnectTo, Event};
use super::{MakistryApp, Screen, Selection, job_list};
use crate::jobs::{JobEvent, JobRecord, Phase};
use crate::ui::{self, Message};

/// Finished jobs whose pictures are read (or made) when a history is shown: a screenful and
/// more, without reading a year of pictures at start.
const JOB_PICTURES_AT_START: usize = 60;

impl MakistryApp {
    pub(super) fn apply_event(&mut self, event: Event) {
        match event {
            Event::Composer(event) => {
                let effects = self.composer.apply(event);
                self.run_effects(effects);
            }
            Event::Preview(event) => {
                let effects = self.preview.apply(event);
                self.run_effects(effects);
            }
            Event::KeyFound(Ok(Some((key, source)))) => {
                self.screen.start_connecting();
                self.spawn(tasks::connect(
                    ConnectTo::Key {
                        key,
                        source,
                        unstored: None,
                    },
                    self.connect_context(),
                ));
            }
            Event::KeyFound(Ok(None)) => self.screen = Screen::welcome(None),
            Event::DemoInUseBefore => self.start_demo(),
            Event::KeyFound(Err(e)) => {
                tracing::warn!("the keychain could not be read: {e}");
                self.screen = Screen::welcome(Some(Message::error(
                    format!("The stored key could not be read: {}.", e.sentence()),
                    e.action(),
                )));
            }
            Event::KeyRemoved(result) => match result {
                Ok(()) => self.forget_connection(),
                Err(e) => self.messages.push(Message::error(
                    format!(
                        "The key could not be removed from the keychain: {}.",
                        e.sentence()
                    ),
                    e.action(),
                )),
            },
            Event::Connected(Ok(connected)) => self.connected(*connected),
            Event::Connected(Err(problem)) => {
                let offer_unchecked = matches!(problem, tasks::ConnectProblem::KeyUnchecked(_));
                self.connecting_failed(super::screen::connect_problem_message(&problem));
                if offer_unchecked && let Some(form) = self.screen.key_form_mut() {
                    form.offer_unchecked = true;
                }
            }
            Event::Picked(paths) => self.open_paths(paths),
            Event::Thumbnails(thumbnails) => {
                for (key, image) in thumbnails {
                    // A job's picture that came after its record was let go is not kept.
                    let job = ui::jobs::job_of_thumbnail_key(&key);
                    if job.is_none_or(|id| self.jobs.get(id).is_some()) {
                        self.add_thumbnail(key, image);
                    }
                }
            }
            Event::PickedToCompare { job, file } => self.compare_with_file(job, file),
            Event::RecordFailed { job, error } => {
                self.jobs.driver_stopped(&job.id);
                self.composer.restore_unsent(job.spec);
                self.messages.push(Message::error(
                    format!("The job could not be recorded, so it was not sent: {error}."),
                    "Your prompt is back in the form; check the disk has space and try again.",
                ));
            }
            Event::Orphans(ids) => self.resume_orphans(&ids),
            Event::Job(event) => self.apply_job_event(event),
            Event::TaskPanicked(what) => self.recover_from_panic(&what),
            Event::WorkerStopped(id) => self.jobs.driver_stopped(&id),
            Event::Found { generation, ids } => self.jobs.found(generation, ids),
            Event::JobsRead { ids, records } => self.jobs_read(&ids, records),
            Event::Notice(notice) => self.messages.push(super::notices::notice_message(&notice)),
        }
    }

    /// Records came from the history: the cards and the centre show them (a job shown there
    /// may now have a file to read).
    fn jobs_read(
        &mut self,
        ids: &[String],
        records: Result<Vec<JobRecord>, crate::jobs::StoreError>,
    ) {
        match records {
            Ok(records) => {
                let came: Vec<String> = records.iter().map(|j| j.id.clone()).collect();
                let let_go = self.jobs.read(ids, records);
                self.preview.forget_job_pictures(&let_go);
                let held: Vec<JobRecord> = (came.iter())
                    .filter_map(|id| self.jobs.get(id).cloned())
                    .collect();
                self.load_job_pictures(&held);
                self.load_selected_model();
            }
            Err(e) => {
                tracing::warn!("jobs of the history could not be read: {e}");
                self.jobs.not_read(ids);
            }
        }
    }

    /// Connected: the history shown, the key form closed, unfinished jobs resumed.
    fn connected(&mut self, connected: tasks::Connected) {
        let tasks::Connected {
            connection,
            history,
            notice,
        } = connected;
        if let Some(notice) = notice {
            self.messages
                .push(Message::error(notice.sentence(), notice.action()));
        }
        if let Some(e) = &connection.unstored {
            self.messages.push(super::notices::unstored_key_message(e));
        }
        self.jobs.show_history(history.outline, history.records);
        self.screen.connected(connection);
        if self.preview.selection().is_none()
            && let Some(newest) = self.jobs.newest().find(|j| j.phase.is_done())
        {
            self.preview.select(Selection::Job(newest.id.clone()));
        }
        self.load_job_thumbnails();
        let newest_done: Vec<JobRecord> = self
            .jobs
            .newest()
            .filter(|job| job.phase.is_done())
            .take(JOB_PICTURES_AT_START)
            .cloned()
            .collect();
        self.load_job_pictures(&newest_done);
        self.resume_jobs();
        self.load_selected_model();
    }

    /// The key was removed: back to the welcome screen, with nothing of that history shown
    /// (its jobs, their live state and their models). Workers still running finish their
    /// step and stop; the job list counts them until they say so, so none is started twice.
    fn forget_connection(&mut self) {
        self.screen.disconnect();
        self.jobs.forget_history();
        self.preview.forget();
    }

    /// A key was refused or a connection (key or demo) failed: say so where the user looks
    /// (the key form where it is shown, else the messages). A connection in use keeps working.
    pub(super) fn connecting_failed(&mut self, message: Message) {
        if let Some(message) = self.screen.connecting_failed(message) {
            self.messages.push(message);
        }
    }

    pub(super) fn apply_job_event(&mut self, event: JobEvent) {
        match event {
            JobEvent::Updated(job) => {
                let ours = self
                    .connection()
                    .is_some_and(|c| job_list::on_api(&job, &c.base_url));
                if let Some(settled) = self.jobs.update(*job, ours).cloned() {
                    self.job_settled(&settled);
                }
            }
            JobEvent::Waiting { job_id, waiting } => {
                let rate_limited =
                    matches!(waiting.error, crate::api::ApiError::QuotaExceeded { .. });
                let reason = waiting.error.sentence().trim_end_matches('.').to_string();
                self.jobs
                    .waiting(job_id, waiting.delay, reason, rate_limited);
            }
            JobEvent::Progress {
                job_id,
                received,
                total,
            } => self.jobs.progress(job_id, received, total),
            JobEvent::StoreFailed { message } => self.messages.push(Message::error(
                format!("The job history could not be written: {message}."),
                "Jobs go on, but would not survive a restart: check the disk has space.",
            )),
        }
    }

    /// A job just ended: show it unless something else is shown (a finished part takes over
    /// from another job, never from a file the user opened), and notify when in the
    /// background.
    pub(super) fn job_settled(&mut self, job: &JobRecord) {
        if let Some(search) = self.jobs.search_again() {
            self.run_effects(vec![search]);
        }
        let shows_something_else = match self.preview.selection() {
            None => false,
            Some(Selection::Job(id)) => *id != job.id && !job.phase.is_done(),
            Some(Selection::File(_) | Selection::Compare(_)) => true,
        };
        if job.phase.is_done() {
            self.load_job_pictures(std::slice::from_ref(job));
        }
        if !shows_something_else {
            self.preview.select(Selection::Job(job.id.clone()));
            self.load_selected_model();
        }
        if self.config.notifications && !self.chrome.focused {
            let title = match job.phase {
                Phase::Done { .. } => "Your part is ready",
                Phase::StillRunning { .. } => "A job is taking longer than usual",
                Phase::Expired { .. } => "A job's file has expired",
                Phase::Failed { .. }
                | Phase::Submitting
                | Phase::Queued
                | Phase::Processing
                | Phase::Downloading { .. }
                | Phase::Retrying { .. } => "A job failed",
            };
            let body = job
                .error
                .as_ref()
                .filter(|_| !job.phase.is_done())
                .map_or_else(
                    || job.spec.prompt.chars().take(120).collect(),
                    |e| e.sentence.clone(),
                );
            self.spawn(tasks::notify(title.into(), body));
        }
    }

    /// Pictures of finished jobs' parts for their cards (made where missing: this window may
    /// be the process that downloaded the file).
    fn load_job_pictures(&mut self, jobs: &[JobRecord]) {
        let Some(connection) = self.connection() else {
            return;
        };
        let data_dir = connection.tracker.store().dir().to_path_buf();
        let wanted: Vec<(String, std::path::PathBuf)> = jobs
            .iter()
            .filter(|job| {
                let key = ui::jobs::job_thumbnail_key(&job.id);
                !self.preview.has_thumbnail(&key)
            })
            .filter_map(|job| Some((job.id.clone(), job.file()?.to_path_buf())))
            .collect();
        if !wanted.is_empty() {
            self.spawn(tasks::job_thumbnails(data_dir, wanted, self.report.clone()));
        }
    }

    /// Thumbnails for the job cards: the images of the newest jobs not shown yet.
    pub(super) fn load_job_thumbnails(&mut self) {
        let mut wanted = HashSet::new();
        let images: Vec<_> = self
            .jobs
            .newest()
            .take(200)
            .flat_map(|j| j.spec.images.iter())
            .filter(|i| !self.preview.has_thumbnail(&i.sha256) && wanted.insert(&i.sha256))
            .cloned()
            .collect();
        if !images.is_empty() {
            self.spawn(tasks::load_thumbnails(images, self.report.clone()));
        }
    }

    /// Picks up jobs that were under way when the app last stopped (on the same API).
    pub(super) fn resume_jobs(&mut self) {
        let Some(connection) = self.connection() else {
            return;
        };
        let tracker = connection.tracker.clone();
        let base_url = connection.base_url.clone();
        for id in self.jobs.claim_unfinished(&base_url) {
            self.spawn(tasks::run(tracker.clone(), id, self.report.clone()));
        }
    }

    /// A background task died: say so once, and stop waiting for what it would have said.
    pub(super) fn recover_from_panic(&mut self, what: &str) {
        tracing::error!("a background task panicked: {what}");
        self.messages.push(Message::error(
            "Something went wrong in the background, and that piece of work stopped.",
            "The app carries on: try it again, and if it happens again, report it with Copy \
             diagnostics (About).",
        ));
        self.composer.task_panicked();
        self.screen.task_panicked();
    }

    /// Drives jobs whose process died (another window, a killed CLI), if they are ours.
    pub(super) fn resume_orphans(&mut self, ids: &[String]) {
        let Some(connection) = self.connection() else {
            return;
        };
        let tracker = connection.tracker.clone();
        let base_url = connection.base_url.clone();
        for id in self.jobs.claim_orphans(ids, &base_url) {
            self.spawn(tasks::run(tracker.clone(), id, self.report.clone()));
        }
    }
}
