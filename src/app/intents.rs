//! What the user asked for in the last frame, applied: keys, images, Generate, Retry, Edit and
//! re-run, follow-ups, files, the 3D view's requests; and which model the view loads.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;

use super::tasks::{self};
use super::{MakistryApp, Selection};
use crate::api::MAX_IMAGES;
use crate::jobs::{JobRecord, Phase};
use crate::keychain::parse_api_key;
use crate::ui::result::ModelState;
use crate::ui::{self, Intent, Message};
use crate::viewer::StandIn;

impl MakistryApp {
    pub(super) fn load_selected_model(&mut self) {
        let file = match &self.preview.selection {
            Some(Selection::Job(id)) => self
                .jobs
                .get(id)
                .and_then(ui::result::job_file)
                .map(|file| (file, true)),
            Some(Selection::File(path)) => Some((path.clone(), false)),
            None => None,
        };
        if let Some((file, from_api)) = file {
            self.load_model(file, from_api);
        }
    }

    /// Starts reading a model; `from_api`: a job's file (Makistry's files are in millimetres,
    /// whatever their format says).
    pub(super) fn load_model(&mut self, path: PathBuf, from_api: bool) {
        if !ui::result::previewable(&path) || self.preview.models.contains_key(&path) {
            return;
        }
        // Opening another file abandons loads still under way: the user moved on, and a large
        // file would hold memory and a core for nothing.
        self.preview.models.retain(|_, state| match state {
            ModelState::Loading(progress) => {
                progress.cancel();
                false
            }
            _ => true,
        });
        let progress = Arc::new(crate::model::LoadProgress::default());
        self.preview
            .models
            .insert(path.clone(), ModelState::Loading(progress.clone()));
        self.spawn(tasks::load_model(
            path,
            from_api,
            progress,
            self.report.clone(),
        ));
    }

    /// Routes files: 3D files open for viewing, anything else is checked as an image.
    pub(super) fn open_paths(&mut self, paths: Vec<PathBuf>) {
        let (models, images): (Vec<_>, Vec<_>) =
            paths.into_iter().partition(|p| ui::result::previewable(p));
        if let Some(model) = models.last() {
            self.preview.selection = Some(Selection::File(model.clone()));
            self.preview.models.remove(model);
            self.load_model(model.clone(), false);
        }
        self.attach_paths(images);
    }

    pub(super) fn room_for_images(&self) -> usize {
        self.form.room_for_images()
    }

    pub(super) fn attach_paths(&mut self, mut paths: Vec<PathBuf>) {
        if paths.is_empty() {
            return;
        }
        let room = self.room_for_images();
        if paths.len() > room {
            self.form.messages.push(Message::error(
                format!(
                    "{} of the files were not attached: a job takes at most {MAX_IMAGES} images.",
                    paths.len() - room
                ),
                "Remove an image to make room, then add the others.",
            ));
            paths.truncate(room);
        }
        let batch = self.form.start_checks(paths.len());
        self.spawn(tasks::attach_files(
            paths,
            self.images_dir(),
            batch,
            self.report.clone(),
        ));
    }

    pub(super) fn apply_intent(&mut self, intent: Intent) {
        match intent {
            Intent::SaveKey(input) => self.save_key(&input, tasks::KeyCheck::Required),
            Intent::SaveKeyUnchecked(input) => self.save_key(&input, tasks::KeyCheck::Skipped),
            Intent::ShowKeyForm => self.screen.open_key_form(),
            Intent::CancelKeyForm => self.screen.close_key_form(),
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
            Intent::PickImages => self.spawn(tasks::pick_images(self.report.clone())),
            Intent::CancelImageChecks => self.form.cancel_checks(),
            Intent::PasteImage => {
                if self.room_for_images() > 0 {
                    let batch = self.form.start_checks(1);
                    self.spawn(tasks::attach_clipboard(
                        self.images_dir(),
                        batch,
                        self.report.clone(),
                    ));
                }
            }
            Intent::RemoveImage(index) => {
                if index < self.form.draft.images.len() {
                    self.form.draft.images.remove(index);
                    self.draft_changed();
                }
            }
            Intent::MoveImageUp(index) => {
                if index > 0 && index < self.form.draft.images.len() {
                    self.form.draft.images.swap(index - 1, index);
                    self.draft_changed();
                }
            }
            Intent::Generate => self.generate(),
            Intent::SelectJob(id) => {
                self.preview.selection = Some(Selection::Job(id));
                self.load_selected_model();
            }
            Intent::Retry(id) => self.retry(id),
            Intent::CheckAgain(id) => self.rerun(id, |job| job.check_again(Utc::now())),
            Intent::EditAndRerun(id) => self.edit_and_rerun(&id),
            Intent::FollowUp { job_id, suggestion } => self.follow_up(job_id, &suggestion),
            Intent::DetachFollowUp => {
                self.form.draft.follow_up_of = None;
                self.draft_changed();
            }
            Intent::SaveAs { file, name } => {
                self.spawn(tasks::save_as(file, name, self.report.clone()))
            }
            Intent::OpenExternally(path) => {
                self.spawn(tasks::open_externally(path, false, self.report.clone()))
            }
            Intent::ShowInFolder(path) => {
                self.spawn(tasks::open_externally(path, true, self.report.clone()))
            }
            Intent::MakeStandIn(file) => self.make_stand_in(file),
            intent @ (Intent::Screenshot { .. } | Intent::PickSurfacePoint { .. }) => {
                self.apply_view_intent(intent)
            }
            Intent::PickModelFile => self.spawn(tasks::pick_model(self.report.clone())),
            Intent::DismissMessage(index) => {
                self.form.messages.dismiss(index);
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
            // The job's spec back in the form; its images come back as they are checked again.
            self.form.draft = job.spec.clone();
            let images = std::mem::take(&mut self.form.draft.images);
            let batch = self.form.start_checks(images.len());
            self.draft_changed();
            self.spawn(tasks::reload_images(images, batch, self.report.clone()));
        }
    }

    /// A follow-up idea into the form, after its job's prompt.
    fn follow_up(&mut self, job_id: String, suggestion: &str) {
        if let Some(job) = self.jobs.get(&job_id) {
            self.form.draft.prompt = format!("{}\n\n{suggestion}", job.spec.prompt.trim_end());
            self.form.draft.follow_up_of = Some(job_id);
            self.form.draft.mode = job.spec.mode;
            self.form.draft.format = job.spec.format;
            self.draft_changed();
        }
    }

    /// Starts making the lighter stand-in of `file`'s model, unless it has one or one is
    /// being made.
    pub(super) fn make_stand_in(&mut self, file: PathBuf) {
        if let Some(ModelState::Loaded {
            model, stand_in, ..
        }) = self.preview.models.get_mut(&file)
            && matches!(stand_in, StandIn::None)
        {
            *stand_in = StandIn::Making;
            let model = model.clone();
            self.spawn(tasks::make_stand_in(file, model, self.report.clone()));
        }
    }

    /// The model read from `file`, once it is loaded.
    pub(super) fn loaded_model(&self, file: &std::path::Path) -> Option<Arc<crate::model::Model>> {
        match self.preview.models.get(file) {
            Some(ModelState::Loaded { model, .. }) => Some(model.clone()),
            _ => None,
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
                if let Some(model) = self.loaded_model(&file) {
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
                if let Some(model) = self.loaded_model(&file) {
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
                if let Some(form) = self.screen.key_form_mut() {
                    form.busy = true;
                    form.problem = None;
                    form.offer_unchecked = false;
                }
                self.spawn(tasks::save_key(
                    key,
                    check,
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

    pub(super) fn generate(&mut self) {
        let Some(connection) = self.connection() else {
            return;
        };
        let tracker = connection.tracker.clone();
        let base_url = connection.base_url.clone();
        if self.form.draft.problem().is_some() {
            return;
        }
        let mut job = JobRecord::from_spec(self.form.draft.clone(), Utc::now());
        job.api_base = Some(base_url);
        self.form.draft.follow_up_of = None;
        self.jobs.start_driving(&job.id);
        self.preview.selection = Some(Selection::Job(job.id.clone()));
        // The job now holds the prompt and images ("Edit and re-run" brings them back);
        // the form starts fresh, keeping the choices.
        self.form.draft.prompt.clear();
        self.form.draft.images.clear();
        self.form.messages.clear();
        self.draft_changed();
        self.spawn(tasks::record_and_run(tracker, job, self.report.clone()));
    }

    /// Puts a job that could not be recorded back into the form (see `Form::restore_unsent`).
    pub(super) fn restore_unsent(&mut self, job: JobRecord) {
        self.form.restore_unsent(job);
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
        self.preview.selection = Some(Selection::Job(id.clone()));
        self.spawn(tasks::change_and_run(
            tracker,
            id,
            change,
            self.report.clone(),
        ));
    }
}
