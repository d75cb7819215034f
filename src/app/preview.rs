//! The preview slice: what the central area shows (a job's part, an opened file, or two side by
//! side), the models read for it by file, the 3D views, the slicers found, and the pictures the
//! cards and the form show. Its state is private: the app tells it what to show and hands it
//! the 3D view's background answers ([`PreviewEvent`]); it asks for reads and stand-ins as
//! [`Effect`]s and spawns nothing itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::effect::{Effect, Task};
use super::tasks::PreviewEvent;
use crate::model::{LoadProgress, Model};
use crate::ui::Intent;
use crate::ui::compare::{CompareLayout, Side, compare_ui};
use crate::ui::result::{ModelState, ResultView, Shown};
use crate::viewer::{DrawSpeed, StandIn, ViewerState};

/// What the central area shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Selection {
    Job(String),
    File(PathBuf),
    /// Two parts side by side (each a job or a file, never a comparison).
    Compare(Box<[Selection; 2]>),
}

impl Selection {
    /// The job shown, or the first one compared.
    pub fn job(&self) -> Option<&str> {
        match self {
            Self::Job(id) => Some(id),
            Self::File(_) => None,
            Self::Compare(sides) => sides[0].job(),
        }
    }
}

/// What the history says about the centre this frame: the one thing shown, or the two sides
/// of a comparison (each named, with its file once there is one).
pub(super) enum Centre<'a> {
    One {
        shown: Shown<'a>,
        file: Option<PathBuf>,
        /// Finished jobs the shown one can be compared with (id, what the menu calls it).
        compare_with: Vec<(String, String)>,
    },
    Compare([(String, Option<PathBuf>); 2]),
}

impl Centre<'_> {
    /// Nothing selected (or a job no longer in the history).
    pub fn nothing() -> Self {
        Self::One {
            shown: Shown::Nothing,
            file: None,
            compare_with: Vec::new(),
        }
    }
}

/// The preview.
#[derive(Default)]
pub(super) struct Preview {
    selection: Option<Selection>,
    /// Models read (or being read) for the view, by file.
    models: HashMap<PathBuf, ModelState>,
    /// The 3D view's camera, tools and part visibility (kept without a GL context too:
    /// kittest drives it; only the drawing needs GL).
    viewer: ViewerState,
    /// The second view of a comparison (its camera linked to the first's).
    compare_viewer: ViewerState,
    /// The slicers installed here (found at start).
    slicers: Vec<crate::slicer::Slicer>,
    /// Pictures by key: attached images by SHA-256, jobs' parts by `job_thumbnail_key`.
    thumbnails: HashMap<String, egui::TextureHandle>,
    /// The files the centre shows, as last asked to [`Preview::load`] (a comparison's two
    /// in order), each with whether it is a job's.
    shown: Vec<(PathBuf, bool)>,
    /// A comparison shows both parts in one view (the user's choice, kept between
    /// comparisons).
    overlay_on: bool,
    /// The overlay of the compared models, by their ids, as made so far.
    overlay: Option<([crate::model::ModelId; 2], ModelState)>,
}

impl Preview {
    /// A preview whose views draw as fast as this GL is known to.
    pub fn new(speed: DrawSpeed) -> Self {
        let mut preview = Self::default();
        preview.viewer.speed = speed;
        preview
    }

    pub fn selection(&self) -> Option<&Selection> {
        self.selection.as_ref()
    }

    /// Shows `selection` (the app then asks for its files with [`Preview::load`]).
    pub fn select(&mut self, selection: Selection) {
        self.selection = Some(selection);
    }

    /// Shows a file opened by the user, read afresh (it may have changed on disk).
    pub fn open_file(&mut self, path: PathBuf) {
        self.forget_model(&path);
        self.selection = Some(Selection::File(path));
    }

    /// Shows two parts side by side. Both views frame their parts afresh, and then alike
    /// (see `ui::compare`); the second draws as fast as the first learnt this GL draws.
    pub fn compare(&mut self, first: Selection, second: Selection) {
        self.overlay = None;
        let mut view = ViewerState::default();
        view.speed = self.viewer.speed.clone();
        self.compare_viewer = view;
        self.viewer.frame_again();
        self.selection = Some(Selection::Compare(Box::new([first, second])));
    }

    /// Back to the first part alone.
    fn end_compare(&mut self) {
        self.overlay = None;
        if let Some(Selection::Compare(sides)) = self.selection.take() {
            let [first, _] = *sides;
            self.selection = Some(first);
        }
    }

    /// Starts reading the `shown` files (each with whether it is a job's) not read yet, and
    /// the overlay of a comparison where it is shown and both are read.
    /// Reads under way for other files are abandoned: the user moved on, and a large file
    /// would hold memory and a core for nothing.
    pub fn load(&mut self, shown: &[(PathBuf, bool)]) -> Vec<Effect> {
        self.shown = shown.to_vec();
        let wanted: Vec<&(PathBuf, bool)> = (shown.iter())
            .filter(|(path, _)| {
                crate::ui::result::previewable(path) && !self.models.contains_key(path)
            })
            .collect();
        if wanted.is_empty() {
            // A new comparison of parts read before: its overlay, where that is shown.
            return self.overlay_wanted();
        }
        self.models.retain(|file, state| match state {
            ModelState::Loading(progress) if !shown.iter().any(|(f, _)| f == file) => {
                progress.cancel();
                false
            }
            _ => true,
        });
        let mut effects = Vec::new();
        for (path, from_api) in wanted {
            let progress = Arc::new(LoadProgress::default());
            (self.models).insert(path.clone(), ModelState::Loading(progress.clone()));
            effects.push(Effect::Run(Task::LoadModel {
                path: path.clone(),
                from_api: *from_api,
                progress,
            }));
        }
        effects
    }

    /// Applies the 3D view's background answers.
    pub fn apply(&mut self, event: PreviewEvent) -> Vec<Effect> {
        match event {
            PreviewEvent::ModelLoaded { path, result } => {
                // A read abandoned meanwhile (another file opened) is not wanted.
                if !self.models.contains_key(&path) {
                    return Vec::new();
                }
                let state = match result {
                    Ok((summary, model)) => ModelState::Loaded {
                        summary,
                        model,
                        stand_in: StandIn::None,
                    },
                    Err(error) => ModelState::Failed(error),
                };
                // The view asks for a stand-in once the part shows whole, where this GL
                // draws it too slowly to follow the mouse (ViewerAction::WantsStandIn).
                self.models.insert(path, state);
                return self.overlay_wanted();
            }
            PreviewEvent::Overlay { of, made } => {
                if let Some((ids, state)) = &mut self.overlay
                    && *ids == of
                {
                    let (summary, model) = made;
                    *state = ModelState::Loaded {
                        summary,
                        model,
                        stand_in: StandIn::None,
                    };
                }
            }
            PreviewEvent::StandIn { path, of, stand_in } => {
                let overlay = self.overlay.as_mut().map(|(_, state)| state);
                let states = [overlay, self.models.get_mut(&path)];
                for state in states.into_iter().flatten() {
                    if let ModelState::Loaded {
                        model,
                        stand_in: slot,
                        ..
                    } = state
                        && model.id == of.id
                    {
                        *slot = StandIn::Ready(stand_in.clone());
                    }
                }
            }
            PreviewEvent::SurfacePoint { model, hit } => {
                self.viewer.picked(model, hit);
                self.compare_viewer.picked(model, hit);
            }
            PreviewEvent::Slicers(found) => self.slicers = found,
        }
        Vec::new()
    }

    /// Shows a comparison's parts in one view, or side by side.
    fn show_overlay(&mut self, on: bool) -> Vec<Effect> {
        self.overlay_on = on;
        if on {
            // One view frames both parts afresh.
            self.viewer.frame_again();
        }
        self.overlay_wanted()
    }

    /// Asks for the overlay of the two compared models where it is shown and not made (or
    /// being made) for them.
    fn overlay_wanted(&mut self) -> Vec<Effect> {
        let comparing = matches!(self.selection, Some(Selection::Compare(_)));
        let [first, second] = match self.shown.as_slice() {
            [(first, _), (second, _)] if comparing && self.overlay_on => [first, second],
            _ => return Vec::new(),
        };
        let (Some(a), Some(b)) = (self.loaded_model(first), self.loaded_model(second)) else {
            return Vec::new();
        };
        let ids = [a.id, b.id];
        if self.overlay.as_ref().is_some_and(|(of, _)| *of == ids) {
            return Vec::new();
        }
        let progress = Arc::new(LoadProgress::default());
        self.overlay = Some((ids, ModelState::Loading(progress)));
        let up = |path: &Path| match crate::viewer::up_axis_of(path) {
            crate::viewer::camera::UpAxis::Y => crate::model::overlay::Up::Y,
            crate::viewer::camera::UpAxis::Z => crate::model::overlay::Up::Z,
        };
        vec![Effect::Run(Task::MakeOverlay {
            models: [a, b],
            ups: [up(first), up(second)],
        })]
    }

    /// Asks for the lighter stand-in of `file`'s model, unless it has one or one is being
    /// made.
    fn make_stand_in(&mut self, file: PathBuf) -> Vec<Effect> {
        // The overlay's view asks under its first file's name: the copy is the overlay's.
        let overlay_shown =
            self.overlay_on && matches!(self.selection, Some(Selection::Compare(_)));
        let state = match &mut self.overlay {
            Some((_, state))
                if overlay_shown && self.shown.first().is_some_and(|(f, _)| *f == file) =>
            {
                Some(state)
            }
            _ => self.models.get_mut(&file),
        };
        match state {
            Some(ModelState::Loaded {
                model, stand_in, ..
            }) if matches!(stand_in, StandIn::None) => {
                *stand_in = StandIn::Making;
                let model = model.clone();
                vec![Effect::Run(Task::MakeStandIn { path: file, model })]
            }
            _ => Vec::new(),
        }
    }

    /// The model read from `file`, once it is loaded.
    fn loaded_model(&self, file: &Path) -> Option<Arc<Model>> {
        match self.models.get(file) {
            Some(ModelState::Loaded { model, .. }) => Some(model.clone()),
            _ => None,
        }
    }

    /// The installed slicer called `name`.
    fn slicer(&self, name: &str) -> Option<crate::slicer::Slicer> {
        self.slicers.iter().find(|s| s.name == name).cloned()
    }

    /// Nothing shown and no model kept (the history they came from is gone).
    pub fn forget(&mut self) {
        for state in self.models.values() {
            if let ModelState::Loading(progress) = state {
                progress.cancel();
            }
        }
        self.models.clear();
        self.overlay = None;
        self.selection = None;
    }

    fn forget_model(&mut self, path: &Path) {
        if let Some(ModelState::Loading(progress)) = self.models.remove(path) {
            progress.cancel();
        }
    }

    pub fn thumbnails(&self) -> &HashMap<String, egui::TextureHandle> {
        &self.thumbnails
    }

    pub fn has_thumbnail(&self, key: &str) -> bool {
        self.thumbnails.contains_key(key)
    }

    pub fn add_thumbnail(&mut self, key: String, texture: egui::TextureHandle) {
        self.thumbnails.insert(key, texture);
    }

    /// Lets go of the pictures of jobs no longer held (far from view): a history scrolled
    /// through keeps a screenful of textures, not one per job it passed.
    pub fn forget_job_pictures(&mut self, job_ids: &[String]) {
        for id in job_ids {
            self.thumbnails
                .remove(&crate::ui::jobs::job_thumbnail_key(id));
        }
    }

    /// The first frame of a screen with the view, before any part is in view (reading one
    /// takes longer): the time to have the GL compile the view's programs.
    pub fn warm_up_once(&mut self, ui: &mut egui::Ui) {
        self.viewer.warm_up_once(ui);
    }

    /// Deletes the views' GL objects (while the context is still current).
    pub fn free_gl(&mut self) {
        self.viewer.free_gl();
        self.compare_viewer.free_gl();
    }

    /// The centre: what `centre` describes, with its models and views, `visible_height`
    /// points tall without scrolling.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        centre: Centre<'_>,
        visible_height: f32,
        pace: Option<(std::time::Duration, std::time::Duration)>,
    ) -> Vec<Effect> {
        let intents = match centre {
            Centre::One {
                shown,
                file,
                compare_with,
            } => {
                let slicers: Vec<String> = self.slicers.iter().map(|s| s.name.clone()).collect();
                let view = ResultView {
                    model: file.as_ref().and_then(|f| self.models.get(f)),
                    now: chrono::Utc::now(),
                    instant: std::time::Instant::now(),
                    visible_height,
                    thumbnails: &self.thumbnails,
                    compare_with: &compare_with,
                    pace,
                    slicers: &slicers,
                };
                crate::ui::result::result_ui(ui, shown, &view, &mut self.viewer)
            }
            Centre::Compare([(first_title, first_path), (second_title, second_path)]) => {
                let sides = [
                    side(&self.models, first_title, &first_path),
                    side(&self.models, second_title, &second_path),
                ];
                let view_height = (visible_height * 0.55).max(crate::viewer::MIN_VIEW_HEIGHT);
                let layout = match (self.overlay_on, &self.overlay) {
                    (false, _) => CompareLayout::SideBySide,
                    (true, overlay) => CompareLayout::Overlay(overlay.as_ref().map(|(_, s)| s)),
                };
                compare_ui(
                    ui,
                    sides,
                    [&mut self.viewer, &mut self.compare_viewer],
                    (view_height, layout),
                )
            }
        };
        intents.into_iter().flat_map(|i| self.act(i)).collect()
    }

    /// What a request from the centre's widgets comes to: the view's own (stand-ins, the
    /// overlay, ending a comparison) are done here; the rest is asked of the app.
    fn act(&mut self, intent: Intent) -> Vec<Effect> {
        let run = |task| vec![Effect::Run(task)];
        match intent {
            Intent::MakeStandIn(file) => self.make_stand_in(file),
            Intent::CompareOverlay(on) => self.show_overlay(on),
            Intent::EndCompare => {
                self.end_compare();
                Vec::new()
            }
            Intent::PickModelFile => run(Task::PickModel {
                to_compare_with: None,
            }),
            Intent::SaveAs { file, name } => run(Task::SaveAs { file, name }),
            Intent::OpenExternally(path) => run(Task::OpenExternally {
                path,
                reveal: false,
            }),
            Intent::ShowInFolder(path) => run(Task::OpenExternally { path, reveal: true }),
            intent @ (Intent::Screenshot { .. }
            | Intent::PickSurfacePoint { .. }
            | Intent::Export { .. }
            | Intent::OpenInSlicer { .. }) => self.work_on_model(intent).into_iter().collect(),
            other => Effect::about_jobs(other).into_iter().collect(),
        }
    }

    /// Work on a model as shown (a picture, a measurement, an export, a slicer), where it is
    /// still read.
    fn work_on_model(&self, intent: Intent) -> Option<Effect> {
        let task = match intent {
            Intent::Screenshot {
                file,
                name,
                camera,
                look,
                size,
            } => Task::Screenshot {
                model: self.loaded_model(&file)?,
                name,
                camera,
                look,
                size,
            },
            Intent::PickSurfacePoint {
                file,
                origin,
                direction,
                hidden,
            } => Task::PickSurfacePoint {
                model: self.loaded_model(&file)?,
                origin,
                direction,
                hidden,
            },
            Intent::Export {
                file,
                stem,
                format,
                detail,
            } => Task::Export(super::tasks::Export {
                model: self.loaded_model(&file)?,
                file,
                stem,
                format,
                detail,
            }),
            Intent::OpenInSlicer { file, stem, slicer } => Task::OpenInSlicer {
                model: self.loaded_model(&file)?,
                slicer: self.slicer(&slicer)?,
                file,
                stem,
            },
            _ => return None,
        };
        Some(Effect::Run(task))
    }
}

/// One side of a comparison, with its model as read so far.
fn side<'a>(
    models: &'a HashMap<PathBuf, ModelState>,
    title: String,
    path: &'a Option<PathBuf>,
) -> Side<'a> {
    Side {
        title,
        path: path.as_deref(),
        state: path.as_ref().and_then(|p| models.get(p)),
    }
}

#[cfg(test)]
mod tests;
