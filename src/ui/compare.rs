//! Two parts side by side: two jobs (versions of one design, or any two), or a job and a file.
//! Each has its own 3D view, and the cameras are linked: turning, moving or zooming one does
//! the same to the other, so the parts are always seen alike. Below them, each part's size and
//! the differences (each dimension, triangles, parts).

use std::path::Path;

use super::format;
use super::model_view::{ModelState, ModelSummary, model_ui};
use super::{Intent, Message, message_ui};
use crate::model::overlay::{FIRST_COLOUR, SECOND_COLOUR};
use crate::model::{ModelId, Units};
use crate::viewer::ViewerState;
use crate::viewer::camera::OrbitCamera;

/// One side of the comparison.
pub struct Side<'a> {
    /// What it is called ("v2: Lens Cap — 60mm OD", a file's name).
    pub title: String,
    /// Its file, once there is one.
    pub path: Option<&'a Path>,
    /// Its model, as read so far.
    pub state: Option<&'a ModelState>,
}

/// How the two parts are shown.
pub enum CompareLayout<'a> {
    /// Each in its own view, the cameras linked.
    SideBySide,
    /// Both in one view, the second see-through: their overlay as made so far (`None` before
    /// both parts are read).
    Overlay(Option<&'a ModelState>),
}

/// The comparison: a heading with the layout and Close, the views, then the differences.
pub fn compare_ui(
    ui: &mut egui::Ui,
    sides: [Side<'_>; 2],
    viewers: [&mut ViewerState; 2],
    (view_height, layout): (f32, CompareLayout<'_>),
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let overlay = matches!(layout, CompareLayout::Overlay(_));
    ui.horizontal(|ui| {
        ui.heading("Compare");
        if ui
            .selectable_label(!overlay, "Side by side")
            .on_hover_text("Each part in its own view, turned alike")
            .clicked()
        {
            intents.push(Intent::CompareOverlay(false));
        }
        if ui
            .selectable_label(overlay, "Overlay")
            .on_hover_text("Both parts in one view, the second see-through")
            .clicked()
        {
            intents.push(Intent::CompareOverlay(true));
        }
        if ui
            .button("Close")
            .on_hover_text("Back to the first part alone")
            .clicked()
        {
            intents.push(Intent::EndCompare);
        }
    });
    let [left_viewer, right_viewer] = viewers;
    if let CompareLayout::Overlay(state) = layout {
        overlay_ui(ui, &sides, state, left_viewer, view_height, &mut intents);
        ui.add_space(8.0);
        differences_ui(ui, &sides);
        return intents;
    }
    ui.weak("The views are linked: turn, move or zoom either one.");
    let before = [
        (left_viewer.camera, left_viewer.framed_for()),
        (right_viewer.camera, right_viewer.framed_for()),
    ];
    ui.columns(2, |columns| {
        for ((ui, side), viewer) in columns
            .iter_mut()
            .zip(&sides)
            .zip([&mut *left_viewer, &mut *right_viewer])
        {
            ui.add(egui::Label::new(egui::RichText::new(&side.title).strong()).truncate());
            match side.path {
                Some(path) => {
                    let title = side.title.as_str();
                    model_ui(
                        ui,
                        path,
                        side.state,
                        viewer,
                        (title, view_height),
                        &mut intents,
                    );
                }
                None => message_ui(
                    ui,
                    &Message::error(
                        "This job has no file to show.",
                        "Pick another job to compare with.",
                    ),
                ),
            }
        }
    });
    link_cameras(left_viewer, right_viewer, before);
    ui.add_space(8.0);
    differences_ui(ui, &sides);
    intents
}

/// Both parts in one view, under a legend of their colours.
fn overlay_ui(
    ui: &mut egui::Ui,
    sides: &[Side<'_>; 2],
    state: Option<&ModelState>,
    viewer: &mut ViewerState,
    view_height: f32,
    intents: &mut Vec<Intent>,
) {
    let (Some(path), Some(_)) = (sides[0].path, sides[1].path) else {
        message_ui(
            ui,
            &Message::error(
                "One of these jobs has no file to show.",
                "Pick another job to compare with.",
            ),
        );
        return;
    };
    ui.horizontal_wrapped(|ui| {
        for (side, colour, how) in [
            (&sides[0], FIRST_COLOUR, "solid"),
            (&sides[1], SECOND_COLOUR, "see-through"),
        ] {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
            let [r, g, b, _] = colour;
            ui.painter()
                .rect_filled(rect, 2.0, egui::Rgba::from_rgb(r, g, b));
            ui.label(format!("{} ({how})", side.title));
            ui.add_space(8.0);
        }
    });
    // Until both parts are read, the first one's progress.
    let state = state.or(sides[0].state);
    model_ui(ui, path, state, viewer, ("overlay", view_height), intents);
}

/// A view that framed its part this frame (it was just read) takes the farther of the two
/// framings, and so does the other: both parts show whole, at one scale. Otherwise the camera
/// the user moved turns, tilts and zooms the other alike. Each view keeps its own part in its
/// middle (its target) and its own up axis (a glTF file is Y-up).
fn link_cameras(
    left: &mut ViewerState,
    right: &mut ViewerState,
    before: [(OrbitCamera, Option<ModelId>); 2],
) {
    let framed = [
        left.framed_for() != before[0].1,
        right.framed_for() != before[1].1,
    ];
    if framed[0] || framed[1] {
        let shown = [left.framed_for(), right.framed_for()];
        if shown[0].is_some() && shown[1].is_some() {
            let distance = left.camera.distance.max(right.camera.distance);
            left.camera.distance = distance;
            right.camera.distance = distance;
        }
        return;
    }
    let (from, to) = match [left.camera != before[0].0, right.camera != before[1].0] {
        [true, false] => (&*left, right),
        [false, true] => (&*right, left),
        _ => return,
    };
    let (up, target) = (to.camera.up_axis, to.camera.target);
    to.camera = from.camera;
    to.camera.up_axis = up;
    to.camera.target = target;
}

fn summary<'a>(side: &Side<'a>) -> Option<&'a ModelSummary> {
    match side.state {
        Some(ModelState::Loaded { summary, .. }) => Some(summary),
        _ => None,
    }
}

/// The size in millimetres, whatever the file's unit.
fn in_mm(summary: &ModelSummary) -> [f32; 3] {
    let scale = match summary.units {
        Units::Metres => 1000.0,
        Units::Millimetres | Units::Unstated => 1.0,
    };
    summary.size.map(|v| v * scale)
}

/// Each dimension, triangles and parts of both sides, and how the second differs.
fn differences_ui(ui: &mut egui::Ui, sides: &[Side<'_>; 2]) {
    let (Some(left), Some(right)) = (summary(&sides[0]), summary(&sides[1])) else {
        return;
    };
    let (a, b) = (in_mm(left), in_mm(right));
    egui::Grid::new("compare-differences")
        .num_columns(4)
        .striped(true)
        .spacing([24.0, 4.0])
        .show(ui, |ui| {
            for heading in ["", "first", "second", "difference"] {
                ui.strong(heading);
            }
            ui.end_row();
            for (axis, name) in ["X", "Y", "Z"].iter().enumerate() {
                ui.label(format!("Size {name}"));
                ui.label(mm(a[axis]));
                ui.label(mm(b[axis]));
                ui.label(signed_mm(b[axis] - a[axis]));
                ui.end_row();
            }
            let counts = [
                ("Triangles", left.triangles, right.triangles),
                ("Parts", left.parts.len(), right.parts.len()),
            ];
            for (name, first, second) in counts {
                ui.label(name);
                ui.label(format::count(first));
                ui.label(format::count(second));
                ui.label(signed_count(second as i64 - first as i64));
                ui.end_row();
            }
        });
}

/// "61.2 mm".
fn mm(value: f32) -> String {
    format!("{value:.1} mm")
}

/// "+2.0 mm", "−0.4 mm", "same" (within 0.05 mm).
fn signed_mm(delta: f32) -> String {
    if delta.abs() < 0.05 {
        "same".into()
    } else if delta > 0.0 {
        format!("+{}", mm(delta))
    } else {
        format!("−{}", mm(-delta))
    }
}

fn signed_count(delta: i64) -> String {
    match delta {
        0 => "same".into(),
        d if d > 0 => format!("+{}", format::count(d.unsigned_abs() as usize)),
        d => format!("−{}", format::count(d.unsigned_abs() as usize)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::viewer::camera::UpAxis;

    #[test]
    fn the_camera_that_moved_moves_the_other_which_keeps_its_up_axis() {
        let mut step = ViewerState::default();
        let mut glb = ViewerState::default();
        glb.camera.up_axis = UpAxis::Y;
        glb.camera.target = [5.0, 0.0, 0.0];
        let now = |a: &ViewerState, b: &ViewerState| [(a.camera, None), (b.camera, None)];
        let before = now(&step, &glb);
        glb.camera.orbit(40.0, 10.0);
        link_cameras(&mut step, &mut glb, before);
        assert_eq!(
            step.camera.yaw, glb.camera.yaw,
            "the first follows the second"
        );
        assert_eq!(step.camera.pitch, glb.camera.pitch);
        assert_eq!(
            (step.camera.up_axis, glb.camera.up_axis),
            (UpAxis::Z, UpAxis::Y)
        );
        assert_eq!(
            step.camera.target, [0.0; 3],
            "each keeps its part in the middle"
        );

        let before = now(&step, &glb);
        step.camera.distance *= 2.0;
        link_cameras(&mut step, &mut glb, before);
        assert_eq!(
            glb.camera.distance, step.camera.distance,
            "and the other way"
        );
    }

    #[test]
    fn differences_read_as_signed_amounts() {
        assert_eq!(signed_mm(0.02), "same");
        assert_eq!(signed_mm(1.2), "+1.2 mm");
        assert_eq!(signed_mm(-30.0), "−30.0 mm");
        assert_eq!(signed_count(-1200), "−1,200");
        assert_eq!(signed_count(0), "same");
    }
}
