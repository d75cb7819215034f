//! A model in the result view: the 3D viewport (toolbar, view, hint), then one line of facts
//! (size in the file's unit, triangles), faces that could not be meshed, and the parts.
//! Until the model is read, how far the read has got.

use std::path::Path;
use std::sync::Arc;

use super::format;
use super::{Intent, Message, message_ui};
pub use crate::model::ModelSummary;
use crate::model::{LoadError, Model, Units};
use crate::viewer::{StandIn, ViewerAction, ViewerState};

/// What the result view knows of a file's model.
#[derive(Debug, Clone)]
pub enum ModelState {
    /// Being read on a background task, this far.
    Loading(Arc<crate::model::LoadProgress>),
    /// Read.
    Loaded {
        /// Its facts.
        summary: ModelSummary,
        /// The model, for the viewport.
        model: Arc<Model>,
        /// A lighter copy of a large model, drawn while the view moves.
        stand_in: StandIn,
    },
    /// Could not be read (the sentence is made where it shows: see [`load_error_message`]).
    Failed(LoadError),
}

/// Room the facts line takes under the view (the mouse hint is painted over the view).
const FACTS_HEIGHT: f32 = 32.0;

/// Room what `model_ui` shows under the view takes: the hint and facts, the faces that could
/// not be meshed, and the parts list (up to 8 rows), so they show without scrolling too.
pub fn height_under_view(state: Option<&ModelState>) -> f32 {
    let Some(ModelState::Loaded { summary, .. }) = state else {
        return FACTS_HEIGHT;
    };
    let parts = summary.parts.len();
    let parts_list = if parts >= 2 {
        22.0 + 22.0 * parts.min(8) as f32
    } else {
        0.0
    };
    let notes = [
        summary.unmeshed.is_empty(),
        summary.missing_files.is_empty(),
    ]
    .iter()
    .filter(|empty| !**empty)
    .count();
    FACTS_HEIGHT + parts_list + 44.0 * notes as f32
}

/// The model: the 3D viewport `height` points tall (toolbar included), then its facts.
pub fn model_ui(
    ui: &mut egui::Ui,
    path: &Path,
    state: Option<&ModelState>,
    viewer: &mut ViewerState,
    (title, height): (&str, f32),
    intents: &mut Vec<Intent>,
) {
    match state {
        None => {
            ui.weak("No preview for this file type.");
        }
        Some(ModelState::Loading(progress)) => loading_ui(ui, progress),
        Some(ModelState::Failed(error)) => message_ui(ui, &load_error_message(error)),
        Some(ModelState::Loaded { model, .. }) if model.triangles() == 0 => {
            // An empty view would look like a failed draw: say what the file holds instead.
            egui::Frame::canvas(ui.style()).show(ui, |ui| {
                ui.set_min_size(egui::vec2(ui.available_width(), 120.0));
                ui.centered_and_justified(|ui| {
                    ui.label(
                        "This file holds no triangles, so there is nothing to show. Open it in \
                         the program that made it, or export it again.",
                    );
                });
            });
        }
        Some(ModelState::Loaded {
            summary,
            model,
            stand_in,
        }) => {
            let action = viewer.ui(ui, path, model, stand_in, height);
            if let Some(intent) = viewer_intent(action, path, title) {
                intents.push(intent);
            }
            facts_ui(ui, summary);
            // The list shows and hides parts, and highlights the hovered one.
            parts_ui(ui, viewer, model);
        }
    }
}

fn viewer_intent(action: Option<ViewerAction>, path: &Path, title: &str) -> Option<Intent> {
    Some(match action? {
        ViewerAction::WantsStandIn => Intent::MakeStandIn(path.to_path_buf()),
        ViewerAction::Screenshot { camera, look, size } => Intent::Screenshot {
            file: path.to_path_buf(),
            name: format!("{title} view.png"),
            camera,
            look,
            size,
        },
        ViewerAction::Pick {
            origin,
            direction,
            hidden,
        } => Intent::PickSurfacePoint {
            file: path.to_path_buf(),
            origin,
            direction,
            hidden,
        },
    })
}

/// "61.2 × 61.2 × 10.0 mm (…) · 5,986 triangles", and which unit that is where the file
/// could be read another way.
fn facts_ui(ui: &mut egui::Ui, summary: &ModelSummary) {
    let unit_note = match summary.units {
        Units::Metres => Some("In metres, glTF's unit (Makistry's files are in millimetres)."),
        Units::Unstated => Some("STL files do not store a unit: read as millimetres."),
        Units::Millimetres => None,
    };
    ui.horizontal_wrapped(|ui| {
        let size = ui.label(format!(
            "{} · {} triangles",
            format::size(summary.size, summary.units),
            format::count(summary.triangles)
        ));
        size.on_hover_text(format!("{} vertices", format::count(summary.vertices)));
        if let Some(note) = unit_note {
            ui.weak(note);
        }
    });
    if !summary.unmeshed.is_empty() {
        let count = summary.unmeshed.len();
        let title = if count == 1 {
            "1 face is not shown: it could not be meshed".to_string()
        } else {
            format!("{count} faces are not shown: they could not be meshed")
        };
        let hint = "The file itself is unchanged; open it in a CAD program to see those faces.";
        not_shown_ui(ui, &title, hint, "Which faces", &summary.unmeshed);
    }
    if !summary.missing_files.is_empty() {
        let count = summary.missing_files.len();
        let title = if count == 1 {
            "1 part is not shown: its file is not beside the assembly".to_string()
        } else {
            format!("{count} parts are not shown: their files are not beside the assembly")
        };
        let hint = "This assembly keeps parts in files of their own. Put them in the \
                    assembly's folder and open it again to see them.";
        not_shown_ui(ui, &title, hint, "Which files", &summary.missing_files);
    }
}

/// What a file has that is not shown (faces not meshed, part files missing): named, never
/// dropped silently.
fn not_shown_ui(ui: &mut egui::Ui, title: &str, hint: &str, which: &str, items: &[String]) {
    ui.colored_label(ui.visuals().warn_fg_color, title)
        .on_hover_text(hint);
    egui::CollapsingHeader::new(which)
        .id_salt(which)
        .show(ui, |ui| {
            for item in items {
                ui.label(item);
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

/// The parts list of an assembly: show or hide each part; hovering one highlights it.
pub fn parts_ui(ui: &mut egui::Ui, viewer: &mut ViewerState, model: &Model) {
    viewer.look.highlighted = None;
    if model.parts.len() < 2 {
        return;
    }
    ui.label(format!("{} parts:", model.parts.len()));
    for (index, part) in model.parts.iter().enumerate() {
        ui.horizontal(|ui| {
            let mut shown = !viewer.look.hidden.contains(&index);
            let name = if part.name.is_empty() {
                format!("part {}", index + 1)
            } else {
                part.name.clone()
            };
            super::color_swatch_ui(ui, part.color);
            let label = format!("{name}: {} triangles", format::count(part.triangles()));
            let response = ui.checkbox(&mut shown, label);
            if response.changed() {
                if shown {
                    viewer.look.hidden.remove(&index);
                } else {
                    viewer.look.hidden.insert(index);
                }
            }
            if response.hovered() {
                viewer.look.highlighted = Some(index);
            }
        });
    }
}

/// What the user reads when a file cannot be previewed: what happened, then what to do.
pub fn load_error_message(error: &LoadError) -> Message {
    let action = match error {
        LoadError::NoStepKernel => {
            "Reinstall Makistry Desktop; GLB, STL and 3MF files still preview."
        }
        LoadError::Unsupported(_) => "Open a STEP, GLB, STL or 3MF file.",
        LoadError::TooLarge { .. } => "Open it in a CAD program, or export a lighter version.",
        LoadError::NotYetReadable { .. } => {
            "Open it in the program that made it and export it as STEP, GLB, STL or 3MF."
        }
        LoadError::ExternalFiles { .. } | LoadError::Cancelled => "",
        LoadError::Io(_) | LoadError::Malformed { .. } | LoadError::NothingToShow { .. } => {
            "Check the file is complete: download or export it again."
        }
    };
    let said = error.to_string();
    let mut letters = said.chars();
    let sentence = match letters.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), letters.as_str()),
        None => String::new(),
    };
    Message::error(sentence, action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MeshFormat;

    #[test]
    fn a_file_that_cannot_be_previewed_is_explained_with_what_to_do() {
        let broken = load_error_message(&LoadError::Malformed {
            format: MeshFormat::Stl,
            reason: "it ends in the middle of a triangle".into(),
        });
        assert_eq!(
            broken.sentence,
            "This STL file is broken: it ends in the middle of a triangle."
        );
        assert!(broken.action.contains("download or export it again"));
        let unsupported = load_error_message(&LoadError::Unsupported("OBJ".into()));
        assert!(
            unsupported
                .sentence
                .starts_with("OBJ files cannot be previewed")
        );
        assert_eq!(unsupported.action, "Open a STEP, GLB, STL or 3MF file.");
    }
}
