//! The preview's state: what the central area shows (a job's part or an opened file), the
//! models read for it by path, the 3D view, and the image thumbnails the cards and the form
//! show. The first of the window's slices (issue 27): the rest of the app reaches it through
//! one field.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::ui::result::ModelState;
use crate::viewer::ViewerState;

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

/// The preview.
#[derive(Default)]
pub(super) struct Preview {
    /// What the central area shows.
    pub selection: Option<Selection>,
    /// Models read (or being read) for the view, by file.
    pub models: HashMap<PathBuf, ModelState>,
    /// The 3D viewport's camera, tools and part visibility (kept without a GL context too:
    /// kittest drives it; only the drawing needs GL).
    pub viewer: ViewerState,
    /// The second view of a comparison (its camera linked to the first's).
    pub compare_viewer: ViewerState,
    /// The slicers installed here (found at start).
    pub slicers: Vec<crate::slicer::Slicer>,
    /// Thumbnails of attached images, by SHA-256.
    pub thumbnails: HashMap<String, egui::TextureHandle>,
}
