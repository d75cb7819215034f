//! What background work has to tell the user once, as facts: what happened, to which file,
//! and the system's reason. The sentences are made where messages show
//! (`app::notices::notice_message`), so a task never words anything and a test can tell one
//! outcome from another.

use std::path::PathBuf;

use crate::draft::DraftError;
use crate::jobs::StoreError;

/// Something a task reports to the user.
#[derive(Debug)]
pub enum Notice {
    /// A file was written to `to`: where the user chose, or (`chosen` false: there is no
    /// file dialog) where downloads go, under a name not yet taken.
    Saved { to: PathBuf, chosen: bool },
    /// Writing `to` failed, for `reason` (the system's words).
    NotSaved { to: PathBuf, reason: String },
    /// A save ended before it could say how (its work was cut short).
    SaveCut,
    /// There is no file dialog here; the user can do `instead`.
    NoFileDialog(WithoutDialog),
    /// Opening `path` (or, `reveal`, showing it in the file manager) failed, for `reason`.
    NotOpened {
        path: PathBuf,
        reveal: bool,
        reason: String,
    },
    /// The part was handed to `slicer` as `file`.
    InSlicer { slicer: String, file: PathBuf },
    /// Handing the part to `slicer` failed, for `reason`.
    NotInSlicer { slicer: String, reason: String },
    /// The picture of the view could not be rendered, for `reason`.
    NoScreenshot(String),
    /// A job could not be changed for a Retry or Check again.
    JobNotChanged(StoreError),
    /// The history could not be searched.
    NotSearched(StoreError),
    /// The draft could not be written.
    DraftNotSaved(DraftError),
}

/// What the user was doing when no file dialog could be shown (it decides what they can do
/// instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WithoutDialog {
    /// Choosing images to attach.
    PickImages,
    /// Choosing a 3D file to view.
    PickModel,
    /// Exporting a part (no folder to put it in either).
    Export,
    /// Saving the file at this path elsewhere (no folder to put it in either).
    SaveCopyOf(PathBuf),
}
