//! The window's panels. Each drawing function ends in `_ui`, does no IO, and returns what the
//! user asked for as [`Intent`]s; [`crate::app`] applies them (spawning background work).

pub use crate::format;
pub mod compare;
pub mod jobs;
pub mod messages;
pub mod model_view;
mod naming;
pub mod prompt;
pub mod result;
pub mod summary;
pub mod versions;
pub mod welcome;

use std::path::PathBuf;

/// What the user asked for, applied by the app after the frame is drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// Check a pasted API key, store it in the keychain and use it.
    SaveKey(String),
    /// Store and use a pasted key that could not be checked, as the user chose.
    SaveKeyUnchecked(String),
    /// Show the key form again (Replace, or leave the demo for a real key).
    ShowKeyForm,
    /// Close the key form without changes.
    CancelKeyForm,
    /// Stop checking the key with the API (it is not saved).
    StopKeyCheck,
    /// Remove the stored key.
    RemoveKey,
    /// Start the offline demo (the built-in emulator).
    StartDemo,
    /// Choose images with the system's file picker.
    PickImages,
    /// Attach the image on the clipboard.
    PasteImage,
    /// Stop waiting for the images being checked.
    CancelImageChecks,
    /// Remove an attached image.
    RemoveImage(usize),
    /// Move an attached image one place earlier.
    MoveImageUp(usize),
    /// Submit the draft as a new job.
    Generate,
    /// Show a job in the result view.
    SelectJob(String),
    /// Submit a failed job again, as a new job on the server.
    Retry(String),
    /// Load a job's prompt, images and choices back into the form.
    EditAndRerun(String),
    /// Poll a job the app stopped waiting for.
    CheckAgain(String),
    /// Put a suggestion from a job's summary into the form as a follow-up prompt.
    FollowUp {
        /// The job the suggestion came from.
        job_id: String,
        /// The suggestion.
        suggestion: String,
    },
    /// The form's prompt is no longer a follow-up of another job.
    DetachFollowUp,
    /// Save a file elsewhere (system dialog).
    SaveAs {
        /// The file.
        file: PathBuf,
        /// The name the dialog suggests.
        name: String,
    },
    /// Open a file with the system's default app.
    OpenExternally(PathBuf),
    /// Show a file in the system's file manager.
    ShowInFolder(PathBuf),
    /// Save a picture of the 3D view.
    Screenshot {
        /// The model's file.
        file: PathBuf,
        /// The picture's suggested file name.
        name: String,
        /// The camera at the time.
        camera: crate::viewer::camera::OrbitCamera,
        /// Which parts show.
        look: crate::viewer::Look,
        /// Size in pixels.
        size: [u32; 2],
    },
    /// Find the surface point under a click in the 3D view (the measuring tool).
    PickSurfacePoint {
        /// The model's file.
        file: PathBuf,
        /// The ray's start, in model coordinates.
        origin: [f32; 3],
        /// Its unit direction.
        direction: [f32; 3],
        /// Parts the ray passes through.
        hidden: std::collections::HashSet<usize>,
    },
    /// The 3D view's frames of this file's model are slow: make its lighter stand-in.
    MakeStandIn(PathBuf),
    /// Choose a STEP, GLB, STL or 3MF file to view.
    PickModelFile,
    /// Dismiss a message.
    DismissMessage(usize),
    /// Show a finished job beside another part, with linked views.
    Compare {
        /// The job shown first.
        job: String,
        /// What it is compared with.
        with: CompareWith,
    },
    /// Leave the comparison, back to its first part.
    EndCompare,
    /// Show the compared parts in one view (`true`) or side by side.
    CompareOverlay(bool),
    /// Write a shown file's part as STL or 3MF where the user chooses.
    Export {
        /// The shown file.
        file: PathBuf,
        /// The name to suggest, without extension.
        stem: String,
        /// The format.
        format: crate::model::export::ExportFormat,
        /// How finely a STEP file's surfaces are cut (mesh files are written as they are).
        detail: crate::model::Detail,
    },
    /// Hand a shown file's part to a slicer.
    OpenInSlicer {
        /// The shown file.
        file: PathBuf,
        /// The name to give the handed file, without extension.
        stem: String,
        /// The slicer's name.
        slicer: String,
    },
}

/// What a job is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompareWith {
    /// Another job (by id).
    Job(String),
    /// A file the user picks.
    File,
}

/// A message for the user: what happened and what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// What happened.
    pub sentence: String,
    /// What to do next (may be empty for plain information).
    pub action: String,
    /// An error (red) or information.
    pub is_error: bool,
}

impl Message {
    /// An error with its next step.
    pub fn error(sentence: impl Into<String>, action: impl Into<String>) -> Self {
        Self {
            sentence: sentence.into(),
            action: action.into(),
            is_error: true,
        }
    }

    /// Plain information.
    pub fn info(sentence: impl Into<String>) -> Self {
        Self {
            sentence: sentence.into(),
            action: String::new(),
            is_error: false,
        }
    }
}

/// Draws a message inline: the sentence, then the action, in the error colour for errors.
pub fn message_ui(ui: &mut egui::Ui, message: &Message) {
    let color = if message.is_error {
        ui.visuals().error_fg_color
    } else {
        ui.visuals().text_color()
    };
    let text = if message.action.is_empty() {
        message.sentence.clone()
    } else {
        format!("{} {}", message.sentence, message.action)
    };
    ui.add(egui::Label::new(egui::RichText::new(text).color(color)).wrap());
}

/// A small square in a part's colour (given linear, as models store it).
pub fn color_swatch_ui(ui: &mut egui::Ui, linear: [f32; 4]) {
    let [r, g, b, _] = crate::model::linear_to_srgb8(linear);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter()
        .rect_filled(rect, 2.0, egui::Color32::from_rgb(r, g, b));
}
