//! What the window's slices hand back instead of acting themselves: the one vocabulary that
//! passes between them and the app (after egui's demo app, whose panels return commands run at
//! the end of the frame, and rerun's one command queue). A slice spawns nothing; it asks for a
//! [`Task`], and the app starts it with the context tasks need (runtime, reporter, folders).

use std::path::PathBuf;
use std::sync::Arc;

use crate::attachments::ImageRef;
use crate::draft::Draft;
use crate::jobs::JobSpec;
use crate::model::{LoadProgress, Model};

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
}
