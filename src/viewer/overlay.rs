//! What the view paints over the part: the mouse hint along its top, and the orientation of
//! the file's axes in its lower-left corner (as CAD programs show it). Both are painted, not
//! laid out: they take no room from the part, and never poke through it as axes drawn in the
//! scene at the file's origin did.

use super::camera::OrbitCamera;

/// The mouse hint, faint along the view's top.
pub(super) fn hint(ui: &egui::Ui, rect: egui::Rect) {
    let text = "Drag: turn · right-drag or Shift+drag: move · scroll: zoom · H: all keys";
    let color = ui.visuals().weak_text_color();
    let galley = ui.painter().layout(
        text.into(),
        egui::FontId::proportional(12.0),
        color,
        rect.width() - 16.0,
    );
    ui.painter()
        .galley(rect.left_top() + egui::vec2(8.0, 6.0), galley, color);
}

/// X (red), Y (green) and Z (blue) as the camera sees them, the nearer drawn last.
pub(super) fn axes_triad(ui: &egui::Ui, rect: egui::Rect, camera: &OrbitCamera) {
    const LENGTH: f32 = 22.0;
    let centre = rect.left_bottom() + egui::vec2(LENGTH + 14.0, -(LENGTH + 14.0));
    let (right, up, toward) = (camera.right(), camera.camera_up(), camera.direction());
    let dot = |a: [f32; 3], b: [f32; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let mut axes = [
        ("X", [1.0, 0.0, 0.0], egui::Color32::from_rgb(230, 80, 80)),
        ("Y", [0.0, 1.0, 0.0], egui::Color32::from_rgb(100, 200, 90)),
        ("Z", [0.0, 0.0, 1.0], egui::Color32::from_rgb(90, 140, 255)),
    ];
    // Farthest first: an axis pointing away from the eye goes under the others.
    axes.sort_by(|a, b| dot(b.1, toward).total_cmp(&dot(a.1, toward)));
    let painter = ui.painter().with_clip_rect(rect);
    for (name, axis, color) in axes {
        let tip = centre + egui::vec2(dot(axis, right), -dot(axis, up)) * LENGTH;
        painter.line_segment([centre, tip], egui::Stroke::new(2.0, color));
        let outward = (tip - centre).normalized() * 8.0;
        painter.text(
            tip + outward,
            egui::Align2::CENTER_CENTER,
            name,
            egui::FontId::proportional(11.0),
            color,
        );
    }
}

/// Where each axis's tip lands from the triad's centre, in screen directions (x right, y
/// down); for tests.
#[cfg(test)]
fn screen_directions(camera: &OrbitCamera) -> [[f32; 2]; 3] {
    let (right, up) = (camera.right(), camera.camera_up());
    let dot = |a: [f32; 3], b: [f32; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
        .map(|axis| [dot(axis, right), -dot(axis, up)])
}

#[cfg(test)]
mod tests {
    use super::super::camera::{StandardView, UpAxis};
    use super::*;

    #[test]
    fn from_the_front_x_points_right_and_the_up_axis_up() {
        for up_axis in [UpAxis::Z, UpAxis::Y] {
            let mut camera = OrbitCamera::new(up_axis);
            camera.set_view(StandardView::Front);
            let [x, y, z] = screen_directions(&camera);
            assert!(x[0] > 0.99 && x[1].abs() < 1e-3, "{up_axis:?}: X {x:?}");
            let up = if up_axis == UpAxis::Z { z } else { y };
            assert!(
                up[1] < -0.99,
                "{up_axis:?}: the up axis points up the screen: {up:?}"
            );
        }
    }
}
