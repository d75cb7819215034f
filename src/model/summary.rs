//! The facts of a read model that the views show (sizes, counts, names), taken once when it
//! is read so no frame walks the model for them.

use super::{Model, Units};

/// The facts of a loaded model the view shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSummary {
    /// Part names with their triangle counts and colours.
    pub parts: Vec<(String, usize, [f32; 4])>,
    /// Triangles in all parts.
    pub triangles: usize,
    /// Vertices in all parts.
    pub vertices: usize,
    /// Bounding-box size in the file's units.
    pub size: [f32; 3],
    /// Those units.
    pub units: Units,
    /// Faces the file has that could not be meshed (STEP), named.
    pub unmeshed: Vec<String>,
    /// Parts in other files that are not there (STEP assemblies), named.
    pub missing_files: Vec<String>,
}

impl ModelSummary {
    /// The summary of a loaded model.
    pub fn of(model: &Model) -> Self {
        Self {
            parts: model
                .parts
                .iter()
                .map(|p| (p.name.clone(), p.triangles(), p.color))
                .collect(),
            triangles: model.triangles(),
            vertices: model.vertices(),
            size: model.bounds.size(),
            units: model.units,
            unmeshed: model.unmeshed.clone(),
            missing_files: model.missing_files.clone(),
        }
    }
}
