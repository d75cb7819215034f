//! Does what the slices ask ([`Effect`]): starts their background work with what tasks need
//! from the window (the runtime, the reporter, the folders, the connection), and passes
//! requests between slices (a job to show, a spec for the form, a job to send again).

use std::path::PathBuf;

use chrono::Utc;

use super::effect::{Effect, JobAction, Task};
use super::tasks::{self};
use super::{MakistryApp, Selection};
use crate::jobs::{JobRecord, Phase};
use crate::ui;

impl MakistryApp {
    /// Starts reading what the centre shows, where not read yet: its jobs' records and
    /// their versions', and its files.
    pub(super) fn load_selected_model(&mut self) {
        let jobs: Vec<String> = match self.preview.selection() {
            Some(Selection::Job(id)) => vec![id.clone()],
            Some(Selection::Compare(sides)) => sides
                .iter()
                .filter_map(|s| s.job())
                .map(str::to_string)
                .collect(),
            Some(Selection::File(_)) | None => Vec::new(),
        };
        let ids: Vec<&str> = jobs.iter().map(String::as_str).collect();
        let mut effects: Vec<Effect> = self.jobs.show_in_centre(&ids).into_iter().collect();
        let shown = self.shown_files();
        effects.extend(self.preview.load(&shown));
        self.run_effects(effects);
    }

    /// The files the centre shows (two in a comparison), each with whether it is a job's.
    pub(super) fn shown_files(&self) -> Vec<(PathBuf, bool)> {
        let file_of = |selection: &Selection| match selection {
            Selection::Job(id) => (self.jobs.get(id))
                .and_then(ui::result::job_file)
                .map(|file| (file, true)),
            Selection::File(path) => Some((path.clone(), false)),
            Selection::Compare(_) => None,
        };
        match self.preview.selection() {
            Some(Selection::Compare(sides)) => sides.iter().filter_map(file_of).collect(),
            Some(selection) => file_of(selection).into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// Routes files: 3D files open for viewing, anything else is checked as an image.
    pub(super) fn open_paths(&mut self, paths: Vec<PathBuf>) {
        let (models, images): (Vec<_>, Vec<_>) =
            paths.into_iter().partition(|p| ui::result::previewable(p));
        if let Some(model) = models.last() {
            self.preview.open_file(model.clone());
            self.load_selected_model();
        }
        self.attach_paths(images);
    }

    pub(super) fn attach_paths(&mut self, paths: Vec<PathBuf>) {
        let effects = self.composer.attach_paths(paths);
        self.run_effects(effects);
    }

    /// Does what the slices asked for.
    pub(super) fn run_effects(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Run(task) => self.run_task(task),
                Effect::Submit(spec) => self.submit(spec),
                Effect::Open(paths) => self.open_paths(paths),
                Effect::Thumbnail(sha, image) => self.add_thumbnail(sha, image),
                Effect::Show(selection) => {
                    self.preview.select(selection);
                    self.load_selected_model();
                }
                Effect::Job(id, action) => self.act_on_job(id, action),
            }
        }
    }

    /// Starts the background work a slice asked for, with what tasks need from the window.
    fn run_task(&self, task: Task) {
        let report = self.report.clone();
        let data_dir = &self.config.data_dir;
        match task {
            Task::SaveDraft(draft) => {
                self.spawn(tasks::save_draft(data_dir.clone(), draft, report));
            }
            Task::AttachFiles { paths, batch } => {
                let images_dir = data_dir.join("images");
                self.spawn(tasks::attach_files(paths, images_dir, batch, report));
            }
            Task::AttachClipboard { batch } => {
                let images_dir = data_dir.join("images");
                self.spawn(tasks::attach_clipboard(images_dir, batch, report));
            }
            Task::PickImages => self.spawn(tasks::pick_images(report)),
            Task::ReloadImages { images, batch } => {
                self.spawn(tasks::reload_images(images, batch, report));
            }
            Task::ReadJobs(ids) => {
                if let Some(connection) = self.connection() {
                    let store = connection.tracker.store().clone();
                    self.spawn(tasks::read_jobs(store, ids, report));
                }
            }
            Task::SearchHistory { text, generation } => {
                if let Some(connection) = self.connection() {
                    let store = connection.tracker.store().clone();
                    self.spawn(tasks::search_history(store, text, generation, report));
                }
            }
            Task::LoadModel {
                path,
                from_api,
                progress,
            } => self.spawn(tasks::load_model(path, from_api, progress, report)),
            Task::MakeStandIn { path, model } => {
                self.spawn(tasks::make_stand_in(path, model, report))
            }
            Task::MakeOverlay { models, ups } => {
                self.spawn(tasks::make_overlay(models, ups, report))
            }
            task => self.run_desktop_task(task),
        }
    }

    /// The work that meets the desktop: file dialogs, other apps, pictures and exports.
    fn run_desktop_task(&self, task: Task) {
        let report = self.report.clone();
        let data_dir = &self.config.data_dir;
        match task {
            Task::PickModel { to_compare_with } => {
                self.spawn(tasks::pick_model(report, to_compare_with))
            }
            Task::SaveAs { file, name } => self.spawn(tasks::save_as(file, name, report)),
            Task::OpenExternally { path, reveal } => {
                self.spawn(tasks::open_externally(path, reveal, report))
            }
            Task::Screenshot {
                model,
                name,
                camera,
                look,
                size,
            } => {
                let dir = data_dir.join("screenshots");
                let render = tasks::screenshot(model, name, camera, look, size, dir, report);
                self.spawn(render);
            }
            Task::PickSurfacePoint {
                model,
                origin,
                direction,
                hidden,
            } => {
                let pick = tasks::pick_surface_point(model, origin, direction, hidden, report);
                self.spawn(pick);
            }
            Task::Export(export) => self.spawn(tasks::export_as(export, report)),
            Task::OpenInSlicer {
                file,
                model,
                stem,
                slicer,
            } => {
                let exports = data_dir.join("exports");
                let hand = tasks::open_in_slicer((file, model), stem, slicer, exports, report);
                self.spawn(hand);
            }
            // The rest are started by `run_task`.
            _ => {}
        }
    }

    /// What a slice asked to do with a job.
    fn act_on_job(&mut self, id: String, action: JobAction) {
        match action {
            JobAction::Retry => self.retry(id),
            JobAction::CheckAgain => self.rerun(id, |job| job.check_again(Utc::now())),
            JobAction::EditAndRerun => {
                if let Some(job) = self.jobs.get(&id) {
                    let effects = self.composer.edit(job.spec.clone());
                    self.run_effects(effects);
                }
            }
            JobAction::FollowUp(suggestion) => {
                if let Some(job) = self.jobs.get(&id) {
                    let spec = job.spec.clone();
                    self.composer.follow_up(id, &spec, &suggestion);
                }
            }
            JobAction::CompareWith(with) => self.compare(id, with),
        }
    }

    /// Retry: a job not known to have reached the server is sent again with the same
    /// Idempotency-Key (a submission that did arrive is not made twice); any other starts anew.
    fn retry(&mut self, id: String) {
        let unsent = (self.jobs.get(&id)).is_some_and(|j| j.phase == Phase::Submitting);
        if unsent {
            self.rerun(id, |_| {});
        } else {
            self.rerun(id, |job| job.restart());
        }
    }

    /// Sends a spec the composer handed over as a new job, and shows it.
    fn submit(&mut self, spec: crate::jobs::JobSpec) {
        let Some(connection) = self.connection() else {
            // Not connected (the key was removed in between): nothing is lost.
            self.composer.restore_unsent(spec);
            return;
        };
        let tracker = connection.tracker.clone();
        let mut job = JobRecord::from_spec(spec, Utc::now());
        job.api_base = Some(connection.base_url.clone());
        self.jobs.start_driving(&job.id);
        self.preview.select(Selection::Job(job.id.clone()));
        self.spawn(tasks::record_and_run(tracker, job, self.report.clone()));
    }

    pub(super) fn rerun(
        &mut self,
        id: String,
        change: impl FnOnce(&mut crate::jobs::JobRecord) + Send + 'static,
    ) {
        let Some(tracker) = self.connection().map(|c| c.tracker.clone()) else {
            return;
        };
        if !self.jobs.start_rerun(&id) {
            return;
        }
        self.preview.select(Selection::Job(id.clone()));
        self.spawn(tasks::change_and_run(
            tracker,
            id,
            change,
            self.report.clone(),
        ));
    }
}
