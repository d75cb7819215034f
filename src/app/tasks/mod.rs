//! Background work the window asks for. Every function here runs on the tokio runtime (file
//! and keychain IO inside `spawn_blocking`) and reports one [`Event`] through [`Reporter`],
//! which also wakes the window. Nothing here touches the window's state.
//!
//! Grouped by concern: [`connection`] (keys, connecting), [`images`] (attachments, the draft),
//! [`models`] (the 3D view's work), [`desktop`] (dialogs, opening files, notifications),
//! [`jobs`] (driving jobs).

mod connection;
mod desktop;
mod history_watch;
mod images;
mod jobs;
mod models;
mod notice;
mod spawn;
mod workshop;

pub use connection::*;
pub use desktop::*;
pub use images::*;
pub use jobs::*;
pub use models::*;
pub use notice::{Notice, WithoutDialog};
pub use spawn::spawn_reporting_panics;
pub use workshop::*;

use crate::draft::Draft;
use crate::jobs::{JobEvent, JobRecord};
use crate::keychain::{KeySource, KeychainError, Secret};
use crate::model::ModelSummary;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Sender;

/// What background work reports.
pub enum Event {
    /// The form's background work answered.
    Composer(ComposerEvent),
    /// The 3D view's background work answered.
    Preview(PreviewEvent),
    /// The key found at start-up (environment, then keychain).
    KeyFound(Result<Option<(Secret, KeySource)>, KeychainError>),
    /// No key, and the offline demo was in use when the app last ran: back to it.
    DemoInUseBefore,
    /// The stored key was removed (or the keychain said why not).
    KeyRemoved(Result<(), KeychainError>),
    /// Connected (or not) to an API, with its job history; a pasted key refused or not
    /// checked is one of the reasons why not.
    Connected(Result<Box<Connected>, ConnectProblem>),
    /// Images to check, chosen in the file picker.
    Picked(Vec<PathBuf>),
    /// Thumbnails of the history's images, by SHA-256, for the job cards.
    Thumbnails(Vec<(String, egui::ColorImage)>),
    /// A job could not be recorded; its prompt and images go back to the form.
    RecordFailed {
        /// The job.
        job: Box<JobRecord>,
        /// Why (the history's own error).
        error: crate::jobs::StoreError,
    },
    /// A file picked to compare with a job.
    PickedToCompare {
        /// The job.
        job: String,
        /// The file.
        file: PathBuf,
    },
    /// What a search of the history found (ids newest first; `None`: every job).
    Found {
        /// The search's generation (see `HistorySearch`).
        generation: u64,
        /// The ids.
        ids: Option<Vec<String>>,
    },
    /// Records read from the history, for the jobs `ids` asked for.
    JobsRead {
        /// The jobs asked for.
        ids: Vec<String>,
        /// Their records (those still in the history), or why none could be read.
        records: Result<Vec<crate::jobs::JobRecord>, crate::jobs::StoreError>,
    },
    /// A job's worker stopped (settled, or waiting for the user).
    WorkerStopped(String),
    /// Something to tell the user once.
    Notice(Notice),
    /// Unfinished jobs that no process drives any more (their driver died): resume them.
    Orphans(Vec<String>),
    /// A job tracker's report (forwarded from its channel: the window has one inbox).
    Job(JobEvent),
    /// A background task panicked (what it said): it will send nothing else.
    TaskPanicked(String),
}

/// What the 3D view's background work reports (the preview slice applies it).
pub enum PreviewEvent {
    /// The surface point under a click in the 3D view, if the click met the part.
    SurfacePoint {
        /// The model the click was on.
        model: crate::model::ModelId,
        /// Where the click met the part.
        hit: Option<crate::model::Hit>,
    },
    /// A lighter copy of a large model was made, for the view to draw while it moves.
    StandIn {
        /// The model's file.
        path: PathBuf,
        /// The model it stands in for.
        of: Arc<crate::model::Model>,
        /// The copy.
        stand_in: Arc<crate::model::Model>,
    },
    /// A model file was read (or not).
    ModelLoaded {
        /// The file.
        path: PathBuf,
        /// Its summary and the model.
        result: Result<(ModelSummary, Arc<crate::model::Model>), crate::model::LoadError>,
    },
    /// The slicers installed here.
    Slicers(Vec<crate::slicer::Slicer>),
    /// The overlay of two compared models was made.
    Overlay {
        /// The models it is made of.
        of: [crate::model::ModelId; 2],
        /// Its summary and the overlay.
        made: (ModelSummary, Arc<crate::model::Model>),
    },
}

/// What the form's background work reports (the composer slice applies it).
pub enum ComposerEvent {
    /// The stored draft and its images' thumbnails.
    DraftLoaded {
        /// The draft (images that could not be read again are dropped).
        draft: Draft,
        /// Thumbnails by SHA-256.
        thumbnails: Vec<(String, egui::ColorImage)>,
        /// What could not be restored.
        problems: Vec<DraftProblem>,
    },
    /// An image was checked.
    Attached {
        /// The form's check batch it belongs to.
        batch: u64,
        /// The image, or why it was not attached.
        result: Result<AttachedImage, AttachProblem>,
    },
    /// Paste found files (copied in a file manager): they go where dropped files go.
    PastedFiles {
        /// The form's check batch it belongs to.
        batch: u64,
        /// The files.
        paths: Vec<PathBuf>,
    },
}

/// Sends events and wakes the window.
#[derive(Clone)]
pub struct Reporter {
    events: Sender<Event>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl Reporter {
    /// A reporter that sends on `events` and calls `wake` after each.
    pub fn new(events: Sender<Event>, wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        Self { events, wake }
    }

    /// Reports one event.
    pub fn send(&self, event: Event) {
        let _ = self.events.send(event);
        (self.wake)();
    }

    /// The window's wake-up, for the job tracker.
    pub fn waker(&self) -> Arc<dyn Fn() + Send + Sync> {
        self.wake.clone()
    }
}

/// Runs blocking IO off the runtime's async threads.
/// Runs `f` on the blocking pool. A panic there goes on in the calling task, so the spawn
/// around it reports it ([`Event::TaskPanicked`]); `None` only when the runtime shuts down.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(value) => Some(value),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => None,
    }
}
