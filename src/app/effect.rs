//! What the window's slices hand back instead of acting themselves: the one vocabulary that
//! passes between them and the app (after egui's demo app, whose panels return commands run at
//! the end of the frame, and rerun's one command queue). A slice spawns nothing; it asks for a
//! [`Task`], and the app starts it with the context tasks need (runtime, reporter, folders).

use std::path::PathBuf;
use std::sync::Arc;

use super::Selection;
use crate::attachments::ImageRef;
use crate::draft::Draft;
use crate::jobs::JobSpec;
use crate::model::{LoadProgress, Model};
use crate::ui::{CompareWith, Intent};

/// What a slice asks the app to do.
#[must_use]
#[derive(Debug)]
pub(super) enum Effect {
    /// Start background work.
    Run(Task),
    /// Send this spec as a new job on the connection in use.
    Submit(JobSpec),
    /// Files to open: 3D files go to the view, images to the form.
    Open(Vec<PathBuf>),
    /// An image's thumbnail, by SHA-256, for the form and the job cards.
    Thumbnail(String, egui::ColorImage),
    /// Show this in the centre (a job, a file, two parts side by side) and read its files.
    Show(Selection),
    /// Do this with the job of this id (the app holds the connection and the form it needs).
    Job(String, JobAction),
}

/// What a slice asks the app to do with a job of the history.
#[derive(Debug)]
pub(super) enum JobAction {
    /// Send it again: with the same Idempotency-Key where it is not known to have reached
    /// the server, else as a new job.
    Retry,
    /// Poll again a job the client stopped waiting for.
    CheckAgain,
    /// Its prompt, choices and images back into the form.
    EditAndRerun,
    /// One of its follow-up ideas into the form, after its prompt.
    FollowUp(String),
    /// Show it beside another job, or beside a file the user picks.
    CompareWith(CompareWith),
}

impl Effect {
    /// What a widget's request about jobs asks of the app, for the slices whose widgets
    /// show jobs (the list, the result); `None` for any other request.
    pub(super) fn about_jobs(intent: Intent) -> Option<Self> {
        let job = |id, action| Some(Self::Job(id, action));
        match intent {
            Intent::SelectJob(id) => Some(Self::Show(Selection::Job(id))),
            Intent::Retry(id) => job(id, JobAction::Retry),
            Intent::CheckAgain(id) => job(id, JobAction::CheckAgain),
            Intent::EditAndRerun(id) => job(id, JobAction::EditAndRerun),
            Intent::FollowUp { job_id, suggestion } => job(job_id, JobAction::FollowUp(suggestion)),
            Intent::Compare { job: id, with } => job(id, JobAction::CompareWith(with)),
            _ => None,
        }
    }
}

/// Background work a slice asks for.
#[derive(Debug)]
pub(super) enum Task {
    /// Write the draft to the data dir.
    SaveDraft(Draft),
    /// Check image files and keep copies; answers carry `batch`.
    AttachFiles { paths: Vec<PathBuf>, batch: u64 },
    /// Check the clipboard's image (or image files); answers carry `batch`.
    AttachClipboard { batch: u64 },
    /// Let the user choose images with the system's file picker.
    PickImages,
    /// Check a job's kept images again, for Edit and re-run; answers carry `batch`.
    ReloadImages { images: Vec<ImageRef>, batch: u64 },
    /// Read these jobs' records from the history (cards come into view, versions shown).
    ReadJobs(Vec<String>),
    /// Search the history; the answer carries `generation`.
    SearchHistory { text: String, generation: u64 },
    /// Read a model for the view, reporting how far through `progress` (which also cancels
    /// it); `from_api`: a job's file, in millimetres whatever its format says.
    LoadModel {
        path: PathBuf,
        from_api: bool,
        progress: Arc<LoadProgress>,
    },
    /// Make the lighter copy of a large model that the view draws while it moves.
    MakeStandIn { path: PathBuf, model: Arc<Model> },
    /// Make the overlay of two compared models (see [`crate::model::overlay`]).
    MakeOverlay {
        models: [Arc<Model>; 2],
        ups: [crate::model::overlay::Up; 2],
    },
    /// Let the user choose a 3D file to view, or to compare the job `to_compare_with` with.
    PickModel { to_compare_with: Option<String> },
    /// Ask where, then copy `file` there (the dialog suggests `name`).
    SaveAs { file: PathBuf, name: String },
    /// Open a file with the system's default app, or (`reveal`) show it in the file manager.
    OpenExternally { path: PathBuf, reveal: bool },
    /// Render the view of `model` off screen and save it as a picture.
    Screenshot {
        model: Arc<Model>,
        name: String,
        camera: crate::viewer::camera::OrbitCamera,
        look: crate::viewer::Look,
        size: [u32; 2],
    },
    /// Find where a ray from a click meets `model` (the measuring tool).
    PickSurfacePoint {
        model: Arc<Model>,
        origin: [f32; 3],
        direction: [f32; 3],
        hidden: std::collections::HashSet<usize>,
    },
    /// Ask where, then write the part as STL or 3MF.
    Export(super::tasks::Export),
    /// Write the part for a slicer and start it on the file.
    OpenInSlicer {
        file: PathBuf,
        model: Arc<Model>,
        stem: String,
        slicer: crate::slicer::Slicer,
    },
}
