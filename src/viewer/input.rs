//! The view's mouse and keys: turn, move, zoom toward the cursor, fit, the standard views,
//! measuring clicks, and the keys overlay that lists them.

use camera::StandardView;

use crate::model::Model;

use super::*;

/// The viewport's keys and mouse, for the help overlay (in the style of f3d).
const SHORTCUTS: &[(&str, &str)] = &[
    ("Drag", "turn the part"),
    ("Right-drag, Shift+drag", "move the view"),
    ("Scroll", "zoom toward the pointer"),
    ("Double-click, F", "fit the part in view"),
    ("1, 3, 7, 0", "front, right, top, isometric view"),
    ("5", "orthographic or perspective"),
    ("G", "floor grid"),
    ("E", "triangle edges (wireframe)"),
    ("M", "measure: click two points on the part"),
    ("Esc", "clear the measurement"),
    ("H", "show or hide this help"),
];

impl ViewerState {
    pub(super) fn handle_input(
        &mut self,
        ui: &egui::Ui,
        response: &egui::Response,
        rect: egui::Rect,
        model: &Model,
    ) {
        let delta = response.drag_delta();
        let shift = ui.input(|i| i.modifiers.shift);
        if response.dragged_by(egui::PointerButton::Primary) && !shift {
            self.camera.orbit(delta.x, delta.y);
        } else if response.dragged_by(egui::PointerButton::Secondary)
            || response.dragged_by(egui::PointerButton::Middle)
            || (response.dragged_by(egui::PointerButton::Primary) && shift)
        {
            self.camera.pan(delta.x, delta.y, rect.height());
        }
        if response.double_clicked() {
            self.fit(model);
        }
        if response.hovered() {
            let scroll = ui.input(|i| i.smooth_scroll_delta.y);
            if scroll != 0.0
                && let Some(pointer) = response.hover_pos()
            {
                let offset = pointer - rect.center();
                let factor = (-scroll * 0.0015).exp();
                self.camera
                    .zoom_toward(factor, [offset.x, offset.y], rect.height());
            }
        }
        // f3d-style keys while the pointer is over the view, unless a text field has the
        // keyboard: typing "e" into the prompt must not turn the edges on.
        if response.hovered() && !ui.ctx().egui_wants_keyboard_input() {
            ui.input(|i| {
                for (key, view) in [
                    (egui::Key::Num1, StandardView::Front),
                    (egui::Key::Num3, StandardView::Right),
                    (egui::Key::Num7, StandardView::Top),
                    (egui::Key::Num0, StandardView::Iso),
                ] {
                    if i.key_pressed(key) {
                        self.camera.set_view(view);
                    }
                }
                if i.key_pressed(egui::Key::Num5) {
                    self.camera.orthographic = !self.camera.orthographic;
                }
                if i.key_pressed(egui::Key::G) {
                    self.look.hide_grid = !self.look.hide_grid;
                }
                if i.key_pressed(egui::Key::E) {
                    self.look.edges = !self.look.edges;
                }
                if i.key_pressed(egui::Key::H) {
                    self.show_help = !self.show_help;
                }
            });
            if ui.input(|i| i.key_pressed(egui::Key::M)) {
                self.toggle_measuring();
            }
            if ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                self.measured.clear();
                self.missed = false;
                self.show_help = false;
            }
            if ui.input(|i| i.key_pressed(egui::Key::F)) {
                self.fit(model);
            }
        }
    }
}

/// The keys and mouse table, over the viewport's top-left corner.
pub(super) fn help_overlay(ui: &mut egui::Ui, rect: egui::Rect) {
    // A child that takes no room in the panel: the overlay floats over the viewport. Its text
    // is not selectable, so it takes neither the pointer nor a drag from the view under it:
    // H closes it with the pointer over it, and a drag there turns the part.
    let mut overlay = ui.new_child(egui::UiBuilder::new().max_rect(rect.shrink(8.0)));
    overlay.style_mut().interaction.selectable_labels = false;
    egui::Frame::popup(overlay.style()).show(&mut overlay, |ui| {
        ui.strong("Mouse and keys in the 3D view");
        egui::Grid::new("viewer keys")
            .num_columns(2)
            .spacing([16.0, 4.0])
            .show(ui, |ui| {
                for (keys, what) in SHORTCUTS {
                    ui.monospace(*keys);
                    ui.label(*what);
                    ui.end_row();
                }
            });
    });
}
