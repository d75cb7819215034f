//! The result view: the selected job's summary and file actions, or a file opened for viewing.
//! The 3D viewport takes the area marked for it; until then the model's facts are shown there.

use std::path::{Path, PathBuf};

use super::format;
use super::{Intent, Message, message_ui};
use crate::jobs::{JobRecord, Phase};
use crate::model::Model;
use crate::viewer::{ViewerAction, ViewerState};

/// What the result view knows of a file's model.
#[derive(Debug, Clone)]
pub enum ModelState {
    /// Being read on a background task, this far.
    Loading(std::sync::Arc<crate::model::LoadProgress>),
    /// Read.
    Loaded {
        /// Its facts.
        summary: ModelSummary,
        /// The model, for the viewport.
        model: std::sync::Arc<Model>,
        /// A lighter copy of a large model, drawn while the view moves (made after the load).
        stand_in: Option<std::sync::Arc<Model>>,
    },
    /// Could not be read.
    Failed(Message),
}

/// The facts of a loaded model the view shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSummary {
    /// Part names with their triangle counts and colours.
    pub parts: Vec<(String, usize, [f32; 4])>,
    /// Triangles in all parts.
    pub triangles: usize,
    /// Vertices in all parts.
    pub vertices: usize,
    /// Bounding-box size in the file's units (mm for Makistry's parts).
    pub size: [f32; 3],
    /// Faces the file has that could not be meshed (STEP), named.
    pub unmeshed: Vec<String>,
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
            unmeshed: model.unmeshed.clone(),
        }
    }
}

/// What is shown in the central area.
pub enum Shown<'a> {
    /// Nothing selected.
    Nothing,
    /// A job.
    Job(&'a JobRecord),
    /// A file opened for viewing.
    File(&'a Path),
}

/// A file name for saving a job's part: its project name, made safe for every file system.
pub fn suggested_name(job: &JobRecord) -> String {
    let title = job
        .brainstorm
        .as_ref()
        .map(|b| b.project_name.as_str())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or("Makistry part");
    let safe: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let safe = safe.trim_matches(|c: char| c == '.' || c == ' ' || c == '-');
    format!("{safe}.{}", job.format.extension())
}

fn file_actions_ui(ui: &mut egui::Ui, file: &Path, name: String, intents: &mut Vec<Intent>) {
    ui.horizontal(|ui| {
        if ui.button("Save As…").clicked() {
            intents.push(Intent::SaveAs {
                file: file.to_path_buf(),
                name,
            });
        }
        if ui
            .button("Open")
            .on_hover_text("Open with the system's default app")
            .clicked()
        {
            intents.push(Intent::OpenExternally(file.to_path_buf()));
        }
        if ui.button("Show in folder").clicked() {
            intents.push(Intent::ShowInFolder(file.to_path_buf()));
        }
    });
}

/// The model: the 3D viewport (when there is a GL context), then its facts.
fn model_ui(
    ui: &mut egui::Ui,
    path: &Path,
    state: Option<&ModelState>,
    viewer: &mut ViewerState,
    title: &str,
    intents: &mut Vec<Intent>,
) {
    if let Some(ModelState::Loaded { model, .. }) = state
        && model.triangles() == 0
    {
        // An empty view would look like a failed draw: say what the file holds instead.
        egui::Frame::canvas(ui.style()).show(ui, |ui| {
            ui.set_min_size(egui::vec2(ui.available_width(), 120.0));
            ui.centered_and_justified(|ui| {
                ui.label(
                    "This file holds no triangles, so there is nothing to show. Open it in the \
                     program that made it, or export it again.",
                );
            });
        });
    } else if let Some(ModelState::Loaded {
        model, stand_in, ..
    }) = state
    {
        let height = (ui.ctx().content_rect().height() * 0.55).max(280.0);
        match viewer.ui(ui, path, model, stand_in.as_ref(), height) {
            Some(ViewerAction::Screenshot { camera, look, size }) => {
                intents.push(Intent::Screenshot {
                    file: path.to_path_buf(),
                    name: format!("{title} view.png"),
                    camera,
                    look,
                    size,
                });
            }
            Some(ViewerAction::Pick {
                origin,
                direction,
                hidden,
            }) => intents.push(Intent::PickSurfacePoint {
                file: path.to_path_buf(),
                origin,
                direction,
                hidden,
            }),
            None => {}
        }
    }
    egui::Frame::canvas(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        match state {
            None => {
                ui.weak("No preview for this file type.");
            }
            Some(ModelState::Loading(progress)) => loading_ui(ui, progress),
            Some(ModelState::Failed(message)) => message_ui(ui, message),
            Some(ModelState::Loaded { summary, model, .. }) => {
                ui.label(format!(
                    "Size: {}",
                    if summary.triangles == 0 {
                        "empty (no triangles)".to_string()
                    } else {
                        format::size_mm(summary.size)
                    }
                ));
                ui.label(format!(
                    "{} triangles, {} vertices",
                    format::count(summary.triangles),
                    format::count(summary.vertices)
                ));
                if !summary.unmeshed.is_empty() {
                    unmeshed_ui(ui, &summary.unmeshed);
                }
                // The list shows and hides parts, and highlights the hovered one.
                viewer.parts_ui(ui, model);
            }
        }
    });
}

/// Faces of a STEP file that could not be meshed: named, never dropped silently.
fn unmeshed_ui(ui: &mut egui::Ui, faces: &[String]) {
    let count = faces.len();
    let title = if count == 1 {
        "1 face is not shown: it could not be meshed".to_string()
    } else {
        format!("{count} faces are not shown: they could not be meshed")
    };
    ui.colored_label(ui.visuals().warn_fg_color, title)
        .on_hover_text(
            "The file itself is unchanged; open it in a CAD program to see those faces.",
        );
    egui::CollapsingHeader::new("Which faces")
        .id_salt("unmeshed faces")
        .show(ui, |ui| {
            for face in faces {
                ui.label(face);
            }
        });
}

/// How far the model's load has got: a bar over the bytes read, then "building" (for STEP,
/// the faces meshed).
fn loading_ui(ui: &mut egui::Ui, progress: &crate::model::LoadProgress) {
    let (read, total) = progress.bytes();
    let (faces, all_faces) = progress.faces();
    if all_faces > 0 {
        ui.label(format!(
            "Meshing {} of {} faces…",
            format::count(faces as usize),
            format::count(all_faces as usize)
        ));
        ui.add(egui::ProgressBar::new(faces as f32 / all_faces as f32).desired_width(320.0));
        return;
    }
    let (text, fraction) = if progress.building() {
        ("Building the mesh…".to_string(), 1.0)
    } else if total > 0 {
        (
            format!(
                "Reading the model… {} of {}",
                format::bytes(read),
                format::bytes(total)
            ),
            read as f32 / total as f32,
        )
    } else {
        ("Reading the model…".to_string(), 0.0)
    };
    ui.label(&text);
    // Large files only: a small one is done before the bar would mean anything.
    if total > 8 << 20 {
        ui.add(egui::ProgressBar::new(fraction).desired_width(320.0));
    }
}

/// The central view.
pub fn result_ui(
    ui: &mut egui::Ui,
    shown: Shown<'_>,
    model: Option<&ModelState>,
    viewer: &mut ViewerState,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    match shown {
        Shown::Nothing => {
            ui.vertical_centered(|ui| {
                ui.add_space(40.0);
                ui.heading("Your part appears here");
                ui.weak(
                    "Describe it on the left and press Generate. You can also drop a STEP, GLB, \
                     STL or 3MF file here to look at it.",
                );
                if ui.button("Open a 3D file…").clicked() {
                    intents.push(Intent::PickModelFile);
                }
            });
        }
        Shown::File(path) => {
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            ui.heading(name);
            ui.weak(path.display().to_string());
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            file_actions_ui(ui, path, name, &mut intents);
            let title = path
                .file_stem()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            model_ui(ui, path, model, viewer, &title, &mut intents);
        }
        Shown::Job(job) => job_ui(ui, job, model, viewer, now, &mut intents),
    }
    intents
}

/// A job under way: where it is, time against the mode's typical duration, what happens next.
fn progress_ui(ui: &mut egui::Ui, job: &JobRecord, now: chrono::DateTime<chrono::Utc>) {
    let (_, typical_max) = job.mode.typical_duration();
    let since = job.submitted_at.unwrap_or(job.created_at);
    let elapsed = (now - since).to_std().unwrap_or_default();
    let (headline, fraction) = match job.phase {
        Phase::Submitting => ("Sending the job to Makistry…", 0.0),
        Phase::Queued => ("Waiting for a Makistry worker…", 0.02),
        Phase::Processing => (
            "Makistry is building your part…",
            // Never full: the typical time is not a promise.
            (elapsed.as_secs_f32() / typical_max.as_secs_f32()).min(0.95),
        ),
        Phase::Downloading => ("Downloading the file…", 0.97),
        Phase::Retrying { .. } => ("Trying again…", 0.0),
        _ => return,
    };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.strong(headline);
        ui.add(
            egui::ProgressBar::new(fraction)
                .text(format!(
                    "{} (usually {})",
                    format::clock(elapsed),
                    format::duration_range(job.mode.typical_duration())
                ))
                .animate(false),
        );
        ui.weak(
            "The file downloads by itself when it is ready. You can close the window or start \
             other jobs meanwhile: this one picks up where it was.",
        );
    });
}

fn job_ui(
    ui: &mut egui::Ui,
    job: &JobRecord,
    model: Option<&ModelState>,
    viewer: &mut ViewerState,
    now: chrono::DateTime<chrono::Utc>,
    intents: &mut Vec<Intent>,
) {
    let title = job
        .brainstorm
        .as_ref()
        .map(|b| b.project_name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| {
            if job.phase.is_settled() {
                "Job".into()
            } else {
                "New part".into()
            }
        });
    ui.heading(title);
    ui.add(egui::Label::new(egui::RichText::new(&job.prompt).italics()).wrap());
    ui.weak(format!(
        "{} mode · {} · {}",
        job.mode.as_str(),
        job.format.as_str(),
        job.phase.label()
    ));
    if let Some(tokens) = job.tokens_used {
        ui.weak(format!("{} credits used", format::count(tokens as usize)));
    }
    if let Some(error) = &job.error
        && job.phase != Phase::Done
    {
        message_ui(ui, &Message::error(&error.sentence, &error.action));
    }
    ui.add_space(6.0);
    progress_ui(ui, job, now);
    if let (Phase::Done, Some(file)) = (&job.phase, &job.file) {
        file_actions_ui(ui, file, suggested_name(job), intents);
        let title = suggested_name(job);
        let title = title
            .rsplit_once('.')
            .map_or(title.as_str(), |(stem, _)| stem);
        model_ui(ui, file, model, viewer, title, intents);
    }
    if let Some(brainstorm) = &job.brainstorm {
        ui.add_space(6.0);
        egui::CollapsingHeader::new("Design summary")
            .default_open(true)
            .show(ui, |ui| {
                let list = |ui: &mut egui::Ui, title: &str, items: &[String]| {
                    if !items.is_empty() {
                        ui.strong(title);
                        for item in items {
                            ui.label(format!("• {item}"));
                        }
                    }
                };
                list(ui, "Key features", &brainstorm.key_features);
                list(ui, "Components", &brainstorm.design_components);
                if !brainstorm.optimal_geometry.is_empty() {
                    ui.strong("Geometry");
                    ui.label(&brainstorm.optimal_geometry);
                }
                if !brainstorm.material_recommendations.is_empty() {
                    ui.strong("Materials");
                    ui.label(&brainstorm.material_recommendations);
                }
            });
        if !brainstorm.suggestions.is_empty() {
            ui.add_space(6.0);
            ui.strong("Follow-up ideas");
            for suggestion in &brainstorm.suggestions {
                if ui
                    .button(suggestion)
                    .on_hover_text("Put this into the form as a follow-up prompt")
                    .clicked()
                {
                    intents.push(Intent::FollowUp {
                        job_id: job.id.clone(),
                        suggestion: suggestion.clone(),
                    });
                }
            }
        }
    }
}

/// Whether a file has a preview (STEP, GLB, STL, 3MF).
pub fn previewable(path: &Path) -> bool {
    crate::model::MeshFormat::from_path(path).is_some()
}

/// The file a job shows, if it has one.
pub fn job_file(job: &JobRecord) -> Option<PathBuf> {
    (job.phase == Phase::Done)
        .then(|| job.file.clone())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_parts_are_named_after_their_project() {
        let mut job = JobRecord::new(
            "a cap".into(),
            vec![],
            crate::api::DesignMode::Standard,
            crate::api::OutputFormat::Glb,
            chrono::Utc::now(),
        );
        assert_eq!(suggested_name(&job), "Makistry part.glb");
        job.brainstorm = Some(crate::api::Brainstorm {
            project_name: "Lens Cap — 60mm OD / v2".into(),
            ..Default::default()
        });
        assert_eq!(suggested_name(&job), "Lens Cap - 60mm OD - v2.glb");
    }
}
