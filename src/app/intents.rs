//! What the user asked for in the last frame, applied: keys, images, Generate, Retry, Edit and
//! re-run, follow-ups, files, the 3D view's requests; and which model the view loads.

use std::path::PathBuf;

use chrono::Utc;

use super::effect::{Effect, Task};
use super::tasks::{self};
use super::{MakistryApp, Selection};
use crate::jobs::{JobRecord, Phase};
use crate::keychain::parse_api_key;
use crate::ui::{self, Intent, Message};

impl MakistryApp {
    /// Starts reading the files the centre shows, where not read yet.
    pub(super) fn load_selected_model(&mut self) {
        let shown = self.shown_files();
        let effects = self.preview.load(&shown);
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
            }
        }
    }

    /// Starts the background work a slice asked for, with what tasks need from the window.
    fn run_task(&self, task: Task) {
        let report = self.report.clone();
        let images_dir = self.config.data_dir.join("images");
        match task {
            Task::SaveDraft(draft) => {
                self.spawn(tasks::save_draft(
                    self.config.data_dir.clone(),
                    draft,
                    report,
                ));
            }
            Task::AttachFiles { paths, batch } => {
                self.spawn(tasks::attach_files(paths, images_dir, batch, report));
            }
            Task::AttachClipboard { batch } => {
                self.spawn(tasks::attach_clipboard(images_dir, batch, report));
            }
            Task::PickImages => self.spawn(tasks::pick_images(report)),
            Task::ReloadImages { images, batch } => {
                self.spawn(tasks::reload_images(images, batch, report));
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
        }
    }

    pub(super) fn apply_intent(&mut self, intent: Intent) {
        match intent {
            Intent::SaveKey(input) => self.save_key(&input, tasks::KeyCheck::Required),
            Intent::SaveKeyUnchecked(input) => self.save_key(&input, tasks::KeyCheck::Skipped),
            Intent::ShowKeyForm => self.screen.open_key_form(),
            Intent::CancelKeyForm => self.screen.close_key_form(),
            Intent::StopKeyCheck => self.screen.stop_key_check(),
            Intent::RemoveKey => {
                self.spawn(tasks::remove_key(
                    self.config.keychain.clone(),
                    self.report.clone(),
                ));
            }
            Intent::StartDemo => {
                self.screen.close_key_form();
                self.start_demo();
            }
            Intent::SelectJob(id) => {
                self.preview.select(Selection::Job(id));
                self.load_selected_model();
            }
            Intent::Retry(id) => self.retry(id),
            Intent::CheckAgain(id) => self.rerun(id, |job| job.check_again(Utc::now())),
            Intent::EditAndRerun(id) => self.edit_and_rerun(&id),
            Intent::FollowUp { job_id, suggestion } => self.follow_up(job_id, &suggestion),
            Intent::SaveAs { file, name } => {
                self.spawn(tasks::save_as(file, name, self.report.clone()))
            }
            Intent::OpenExternally(path) => {
                self.spawn(tasks::open_externally(path, false, self.report.clone()))
            }
            Intent::ShowInFolder(path) => {
                self.spawn(tasks::open_externally(path, true, self.report.clone()))
            }
            Intent::MakeStandIn(file) => {
                let effects = self.preview.make_stand_in(file);
                self.run_effects(effects);
            }
            intent @ (Intent::Screenshot { .. } | Intent::PickSurfacePoint { .. }) => {
                self.apply_view_intent(intent)
            }
            Intent::PickModelFile => self.spawn(tasks::pick_model(self.report.clone(), None)),
            // The form's own controls are the composer's (see `Composer::ui`).
            Intent::PickImages
            | Intent::PasteImage
            | Intent::CancelImageChecks
            | Intent::RemoveImage(_)
            | Intent::MoveImageUp(_)
            | Intent::Generate
            | Intent::DetachFollowUp
            | Intent::DismissMessage(_) => {}
            Intent::Compare { job, with } => self.compare(job, with),
            Intent::EndCompare => self.end_compare(),
            Intent::CompareOverlay(on) => {
                let effects = self.preview.show_overlay(on);
                self.run_effects(effects);
            }
            Intent::Export {
                file,
                stem,
                format,
                detail,
            } => {
                if let Some(model) = self.preview.loaded_model(&file) {
                    let export = tasks::Export {
                        file,
                        model,
                        stem,
                        format,
                        detail,
                    };
                    self.spawn(tasks::export_as(export, self.report.clone()));
                }
            }
            Intent::OpenInSlicer { file, stem, slicer } => {
                self.open_in_slicer(&file, stem, &slicer)
            }
        }
    }

    /// Retry: a job not known to have reached the server is sent again with the same
    /// Idempotency-Key (a submission that did arrive is not made twice); any other starts anew.
    fn retry(&mut self, id: String) {
        let unsent = self
            .jobs
            .get(&id)
            .is_some_and(|j| j.phase == Phase::Submitting);
        if unsent {
            // Not known to have reached the server: send it again with the same
            // Idempotency-Key, so a submission that did arrive is not made twice.
            self.rerun(id, |_| {});
        } else {
            self.rerun(id, |job| job.restart());
        }
    }

    /// Edit and re-run: the job's prompt, choices and images back into the form.
    fn edit_and_rerun(&mut self, id: &str) {
        if let Some(job) = self.jobs.get(id) {
            let effects = self.composer.edit(job.spec.clone());
            self.run_effects(effects);
        }
    }

    /// A follow-up idea into the form, after its job's prompt.
    fn follow_up(&mut self, job_id: String, suggestion: &str) {
        if let Some(job) = self.jobs.get(&job_id) {
            self.composer
                .follow_up(job_id, &job.spec.clone(), suggestion);
        }
    }

    /// Hands the model read from `file` to the slicer named `slicer`, through the data dir's
    /// `exports/`.
    fn open_in_slicer(&mut self, file: &std::path::Path, stem: String, slicer: &str) {
        let found = self.preview.slicer(slicer);
        if let (Some(model), Some(slicer)) = (self.preview.loaded_model(file), found) {
            let exports = self.config.data_dir.join("exports");
            self.spawn(tasks::open_in_slicer(
                (file.to_path_buf(), model),
                stem,
                slicer,
                exports,
                self.report.clone(),
            ));
        }
    }

    /// The 3D view's requests: a screenshot, a surface point under a click.
    fn apply_view_intent(&mut self, intent: Intent) {
        match intent {
            Intent::Screenshot {
                file,
                name,
                camera,
                look,
                size,
            } => {
                if let Some(model) = self.preview.loaded_model(&file) {
                    self.spawn(tasks::screenshot(
                        model,
                        name,
                        camera,
                        look,
                        size,
                        self.config.data_dir.join("screenshots"),
                        self.report.clone(),
                    ));
                }
            }
            Intent::PickSurfacePoint {
                file,
                origin,
                direction,
                hidden,
            } => {
                if let Some(model) = self.preview.loaded_model(&file) {
                    self.spawn(tasks::pick_surface_point(
                        model,
                        origin,
                        direction,
                        hidden,
                        self.report.clone(),
                    ));
                }
            }
            _ => {}
        }
    }

    pub(super) fn save_key(&mut self, input: &str, check: tasks::KeyCheck) {
        match parse_api_key(input) {
            Ok(key) => {
                let (stop, stopped) = tokio::sync::oneshot::channel();
                if let Some(form) = self.screen.key_form_mut() {
                    form.busy = true;
                    form.problem = None;
                    form.offer_unchecked = false;
                    form.stop_check = Some(stop);
                }
                self.spawn(tasks::save_key(
                    key,
                    (check, stopped),
                    self.config.keychain.clone(),
                    self.connect_context(),
                ));
            }
            Err(e) => {
                if let Some(form) = self.screen.key_form_mut() {
                    form.problem = Some(Message::error(
                        format!("That is not a Makistry API key: {e}."),
                        e.action(),
                    ));
                }
            }
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
