//! The 3D viewport: three-d drawing into the egui window through an `egui_glow` paint
//! callback that shares eframe's GL context. The camera lives in [`ViewerState`] (the UI
//! thread's state); the callback only draws. GL objects are made in the callback, once per
//! model, and kept in the [`GpuScene`] the state owns; [`ViewerState::free_gl`] drops them
//! before the context goes.

pub mod camera;
mod draw_speed;
mod frame_cache;
pub mod grid;
#[cfg(target_os = "linux")]
pub mod headless;
mod input;
mod overlay;
mod part_mesh;
mod render;
mod scene;
pub mod thumbnail;

pub use draw_speed::{DrawSpeed, StandIn};
use input::help_overlay;
pub use render::three_d_camera;
use render::{FrameRequest, draw, paint_backdrop};
pub(crate) use render::{Lights, SceneView, render_scene};
pub use scene::{GpuScene, gl_renderer};
pub(crate) use scene::{scene_grid, upload};

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use camera::{OrbitCamera, StandardView, UpAxis};

use crate::model::{Hit, MeshFormat, Model, ModelId};

/// Which parts show, and which one is highlighted (the parts list's hover).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Look {
    /// Indices of hidden parts.
    pub hidden: HashSet<usize>,
    /// Index of the highlighted part.
    pub highlighted: Option<usize>,
    /// The floor grid and axes are off.
    pub hide_grid: bool,
    /// The triangles' edges are drawn over the surface (the mesh's wireframe).
    pub edges: bool,
}

/// What the viewport asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum ViewerAction {
    /// Save a picture of the current view.
    Screenshot {
        /// The camera at the time.
        camera: OrbitCamera,
        /// Which parts show.
        look: Look,
        /// Size in pixels.
        size: [u32; 2],
    },
    /// Find where a ray from the eye first meets a shown part (the measuring tool's click);
    /// the answer goes to [`ViewerState::picked`].
    Pick {
        /// The ray's start, in model coordinates.
        origin: [f32; 3],
        /// Its unit direction.
        direction: [f32; 3],
        /// Parts the ray passes through.
        hidden: HashSet<usize>,
    },
    /// The full model's frames are too slow to follow the mouse, and it has no stand-in.
    WantsStandIn,
}

/// The viewport's state on the UI thread.
#[derive(Debug)]
pub struct ViewerState {
    /// The camera.
    pub camera: OrbitCamera,
    /// Part visibility and highlight.
    pub look: Look,
    /// The file the camera was last fitted to (a new file is framed on load).
    fitted_for: Option<ModelId>,
    /// The viewport's size in points at the last frame (screenshots match it).
    last_size: egui::Vec2,
    /// Clicks on the part pick points to measure between.
    pub measuring: bool,
    /// The picked points (two make a measurement; a third click starts a new one).
    measured: Vec<Hit>,
    /// The last click missed the part.
    missed: bool,
    /// The keys overlay is open.
    pub show_help: bool,
    /// When (egui time, seconds) the camera last moved.
    moved_at: Option<f64>,
    /// The GL objects drawn (uploaded by the paint callback; freed with [`Self::free_gl`]).
    gpu: GpuScene,
    /// A newly shown part is going up to the GPU: its frames so far and the longest.
    appearing: Option<Appearing>,
    /// How fast this GL draws, learnt from the frames of parts appearing.
    pub speed: DrawSpeed,
    /// The GL has been asked to compile the view's programs ([`Self::warm_up_once`]).
    warmed_up: bool,
}

/// Frames of a part appearing: counted until all of it is drawn, then logged, so a hitch
/// while a big part appears shows in the log.
#[derive(Debug)]
struct Appearing {
    frames: u32,
    longest: f32,
}

/// The smallest 3D view, in points, however little room the window leaves.
pub const MIN_VIEW_HEIGHT: f32 = 160.0;

/// Seconds without camera movement after which the full model replaces its light copy.
const STILL_AFTER: f64 = 0.3;

impl Default for ViewerState {
    fn default() -> Self {
        Self {
            camera: OrbitCamera::new(UpAxis::Z),
            look: Look::default(),
            fitted_for: None,
            last_size: egui::vec2(640.0, 480.0),
            measuring: false,
            measured: Vec::new(),
            missed: false,
            show_help: false,
            moved_at: None,
            gpu: GpuScene::default(),
            appearing: None,
            speed: DrawSpeed::default(),
            warmed_up: false,
        }
    }
}

/// The model's up axis, by its format.
pub fn up_axis_of(path: &Path) -> UpAxis {
    match MeshFormat::from_path(path) {
        Some(MeshFormat::Glb) => UpAxis::Y,
        _ => UpAxis::Z,
    }
}

/// The view a model opens with: isometric, the whole part framed.
pub fn opening_view(path: &Path, model: &Model) -> OrbitCamera {
    let mut camera = OrbitCamera::new(up_axis_of(path));
    camera.set_view(StandardView::Iso);
    if !model.bounds.is_empty() {
        camera.fit(model.bounds.min, model.bounds.max);
    }
    camera
}

impl ViewerState {
    /// The model the camera was last framed for (a new one is framed when first shown).
    pub fn framed_for(&self) -> Option<ModelId> {
        self.fitted_for
    }

    /// Frames the part afresh when next shown (as a newly opened file is).
    pub fn frame_again(&mut self) {
        self.fitted_for = None;
    }

    /// Frames the model from the iso view.
    fn frame(&mut self, path: &Path, model: &Model) {
        self.camera = opening_view(path, model);
        self.camera.fit_width(self.last_size.x / self.last_size.y);
        self.look = Look::default();
        self.fitted_for = Some(model.id);
        self.appearing = Some(Appearing {
            frames: 0,
            longest: 0.0,
        });
        self.measured.clear();
        self.missed = false;
    }

    /// The answer to a [`ViewerAction::Pick`] on the model `model`: the surface point the
    /// click met, if any.
    pub fn picked(&mut self, model: ModelId, hit: Option<Hit>) {
        if self.fitted_for != Some(model) || !self.measuring {
            return; // another file is shown now, or measuring was switched off
        }
        self.missed = hit.is_none();
        if let Some(hit) = hit {
            if self.measured.len() >= 2 {
                self.measured.clear();
            }
            self.measured.push(hit);
        }
    }

    /// What the measuring tool says: the distance and its components in the model's `units`,
    /// or what to do next.
    pub fn measurement_text(&self, units: crate::model::Units) -> Option<String> {
        if !self.measuring {
            return None;
        }
        let miss = if self.missed {
            "That click missed the part. "
        } else {
            ""
        };
        let unit = units.symbol();
        Some(match self.measured.as_slice() {
            [] => format!("{miss}Click a point on the part to start measuring."),
            [a] => format!(
                "{miss}First point at ({:.2}, {:.2}, {:.2}) {unit}. Click a second point.",
                a.point[0], a.point[1], a.point[2]
            ),
            [a, b, ..] => {
                let delta = [0, 1, 2].map(|i| b.point[i] - a.point[i]);
                let distance = delta.iter().map(|d| d * d).sum::<f32>().sqrt();
                format!(
                    "{miss}Distance {} · ΔX {:.2} · ΔY {:.2} · ΔZ {:.2} {unit}",
                    crate::format::length(distance, units),
                    delta[0].abs(),
                    delta[1].abs(),
                    delta[2].abs()
                )
            }
        })
    }

    /// Counts a frame of a part appearing; once all of it is drawn, logs the longest.
    fn note_appearing(&mut self, ui: &egui::Ui, model: &Arc<Model>) {
        let Some(appearing) = &mut self.appearing else {
            return;
        };
        // The time since the last frame began: that frame's whole work, paint included.
        if appearing.frames > 0 {
            appearing.longest = appearing.longest.max(ui.input(|i| i.unstable_dt));
        }
        appearing.frames += 1;
        if self.gpu.shows_all_of(model) {
            tracing::info!(
                "a {}-triangle part appeared over {} frames; the longest took {:.0} ms",
                model.triangles(),
                appearing.frames,
                appearing.longest * 1000.0
            );
            self.appearing = None;
        }
    }

    /// Once, on a frame with nothing in the 3D view yet: has the GL compile the view's
    /// programs, so the first frames of the first part are not slowed by it.
    pub fn warm_up_once(&mut self, ui: &egui::Ui) {
        if std::mem::replace(&mut self.warmed_up, true) {
            return;
        }
        let gpu = self.gpu.clone();
        let callback = egui_glow::CallbackFn::new(move |info, painter| {
            render::warm_up(&gpu, &info, painter.gl());
        });
        let corner = ui.max_rect().min;
        ui.painter().add(egui::PaintCallback {
            rect: egui::Rect::from_min_size(corner, egui::vec2(1.0, 1.0)),
            callback: Arc::new(callback),
        });
    }

    /// Drops the GL objects of the view. Call while the GL context is current (`on_exit`).
    pub fn free_gl(&self) {
        self.gpu.free();
    }

    fn toggle_measuring(&mut self) {
        self.measuring = !self.measuring;
        self.measured.clear();
        self.missed = false;
    }

    /// The toolbar and the viewport for `model`, read from `path`, `height` points tall
    /// together.
    /// `stand_in`, a lighter copy of a large model, is drawn while the view moves.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        path: &Path,
        model: &Arc<Model>,
        stand_in: &StandIn,
        height: f32,
    ) -> Option<ViewerAction> {
        let top = ui.cursor().top();
        self.note_appearing(ui, model);
        // The last frame's drawing, timed by the frame that follows it at once.
        let drawn = self.gpu.take_drawn_triangles();
        if drawn > 0 {
            let frame_ms = ui.input(|i| i.unstable_dt) * 1000.0;
            self.speed.measured(drawn, frame_ms);
        }
        let mut action = self.toolbar_ui(ui, model);
        // `height` holds the toolbar too: the view takes what the toolbar left, and at least
        // half the window's height (on a small window what is under it scrolls instead).
        let half_window = ui.ctx().content_rect().height() * 0.5;
        let canvas_height = (height - (ui.cursor().top() - top))
            .max(MIN_VIEW_HEIGHT)
            .max(half_window);
        let size = egui::vec2(ui.available_width(), canvas_height);
        let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click_and_drag());
        self.last_size = rect.size();
        // A new part is framed once its view's shape is known (a narrow one frames its width).
        if self.fitted_for != Some(model.id) {
            self.frame(path, model);
        }
        let camera_before = self.camera;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::Canvas, true, format!("3D view of {name}"))
        });
        self.handle_input(ui, &response, rect, model);
        if self.measuring
            && response.clicked()
            && let Some(pointer) = response.interact_pointer_pos()
        {
            let offset = pointer - rect.center();
            let ndc = [
                offset.x / (rect.width() / 2.0),
                -offset.y / (rect.height() / 2.0),
            ];
            let (origin, direction) = self.camera.ray(ndc, rect.width() / rect.height());
            action = Some(ViewerAction::Pick {
                origin,
                direction,
                hidden: self.look.hidden.clone(),
            });
        }

        // While the view moves, and a moment after, the light copy is drawn; then the full
        // model comes back with one more frame.
        let now = ui.input(|i| i.time);
        if self.camera != camera_before {
            self.moved_at = Some(now);
        }
        let moving = self.moved_at.is_some_and(|at| now - at < STILL_AFTER);
        // Once the part shows whole (not before: making a stand-in takes a core for about a
        // second, which the frames drawing the part want), where this GL draws it too slowly
        // to follow the mouse, as measured or expected of a software renderer.
        if self.appearing.is_none()
            && matches!(stand_in, StandIn::None)
            && self.speed.needs_stand_in(model.triangles())
        {
            action = action.or(Some(ViewerAction::WantsStandIn));
        }
        if moving {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs_f64(STILL_AFTER));
        }
        self.paint(ui, rect, model, stand_in.ready(), moving);
        self.measurement_markers(ui, rect);
        if self.show_help {
            help_overlay(ui, rect);
        }
        overlay::axes_triad(ui, rect, &self.camera);
        match self.measurement_text(model.units) {
            Some(text) => {
                ui.add(egui::Label::new(egui::RichText::new(text).strong()).wrap());
            }
            None if !self.show_help => overlay::hint(ui, rect),
            None => {}
        }
        action
    }

    /// The backdrop, and the paint callback that draws the part (or its stand-in) over it.
    fn paint(
        &self,
        ui: &egui::Ui,
        rect: egui::Rect,
        model: &Arc<Model>,
        stand_in: Option<&Arc<Model>>,
        moving: bool,
    ) {
        let frame = FrameRequest {
            model: model.clone(),
            stand_in: stand_in.cloned(),
            moving,
            orbit: self.camera,
            look: self.look.clone(),
            slice_triangles: self.speed.slice_triangles(),
            repaint: ui.ctx().clone(),
        };
        paint_backdrop(ui, rect);
        let gpu = self.gpu.clone();
        let callback = egui_glow::CallbackFn::new(move |info, painter| {
            draw(&gpu, &info, painter.gl(), &frame);
        });
        ui.painter().add(egui::PaintCallback {
            rect,
            callback: Arc::new(callback),
        });
    }

    /// Fit, the standard views, projection, grid, edges, Measure, Keys, Screenshot….
    fn toolbar_ui(&mut self, ui: &mut egui::Ui, model: &Model) -> Option<ViewerAction> {
        let mut action = None;
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Fit")
                .on_hover_text("Frame the whole part (F)")
                .clicked()
            {
                self.fit(model);
            }
            for (label, view, key) in [
                ("Front", StandardView::Front, "1"),
                ("Right", StandardView::Right, "3"),
                ("Top", StandardView::Top, "7"),
                ("Iso", StandardView::Iso, "0"),
            ] {
                if ui
                    .button(label)
                    .on_hover_text(format!("{label} view ({key})"))
                    .clicked()
                {
                    self.camera.set_view(view);
                }
            }
            ui.checkbox(&mut self.camera.orthographic, "Orthographic")
                .on_hover_text("Parallel projection, no perspective (5)");
            let mut grid = !self.look.hide_grid;
            let step = grid_step_of(model, self.camera.up_axis);
            if ui
                .checkbox(
                    &mut grid,
                    format!("Grid {}", format_step(step, model.units)),
                )
                .on_hover_text(
                    "Floor grid under the part (G); the corner shows the X (red), Y (green) and Z (blue) axes",
                )
                .changed()
            {
                self.look.hide_grid = !grid;
            }
            ui.checkbox(&mut self.look.edges, "Edges")
                .on_hover_text("Draw the triangles' edges over the surface (E)");
            // Framed buttons that stay lit while on: a selectable label looked like plain text.
            if ui
                .add(egui::Button::new("Measure").selected(self.measuring))
                .on_hover_text("Click two points on the part to measure between them (M)")
                .clicked()
            {
                self.toggle_measuring();
            }
            if ui
                .add(egui::Button::new("Keys").selected(self.show_help))
                .on_hover_text("Mouse and keyboard shortcuts (H)")
                .clicked()
            {
                self.show_help = !self.show_help;
            }
            if ui
                .button("Screenshot…")
                .on_hover_text("Save this view as a PNG")
                .clicked()
            {
                action = Some(self.screenshot());
            }
        });
        action
    }

    /// The picked points and the line between them, drawn over the viewport. A point whose
    /// surface has turned away from the eye is drawn hollow: it is behind the part now.
    fn measurement_markers(&self, ui: &egui::Ui, rect: egui::Rect) {
        if !self.measuring || self.measured.is_empty() {
            return;
        }
        let aspect = rect.width() / rect.height();
        let forward = self.camera.direction().map(|v| -v);
        let eye = self.camera.eye();
        let dot = |u: [f32; 3], v: [f32; 3]| u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
        let to_screen = |p: [f32; 3]| {
            let depth = dot([0, 1, 2].map(|i| p[i] - eye[i]), forward);
            let [x, y] = self.camera.project(p, aspect);
            (depth > 0.0 || self.camera.orthographic).then(|| {
                rect.center() + egui::vec2(x * rect.width() / 2.0, -y * rect.height() / 2.0)
            })
        };
        // Toward the eye: from the point to the eye (perspective), or against the view
        // direction (orthographic, where every ray is parallel).
        let faces_eye = |hit: &Hit| {
            let toward = if self.camera.orthographic {
                forward.map(|v| -v)
            } else {
                [0, 1, 2].map(|i| eye[i] - hit.point[i])
            };
            dot(hit.normal, toward) > 0.0
        };
        let painter = ui.painter_at(rect);
        let accent = egui::Color32::from_rgb(255, 140, 0);
        let outline = egui::Stroke::new(1.5, egui::Color32::BLACK);
        let points: Vec<Option<egui::Pos2>> = self
            .measured
            .iter()
            .map(|hit| to_screen(hit.point))
            .collect();
        if let [Some(a), Some(b)] = points.as_slice() {
            painter.line_segment([*a, *b], egui::Stroke::new(4.0, egui::Color32::BLACK));
            painter.line_segment([*a, *b], egui::Stroke::new(2.0, accent));
        }
        for (hit, point) in self.measured.iter().zip(points) {
            let Some(point) = point else { continue };
            if faces_eye(hit) {
                painter.circle(point, 5.0, accent, outline);
            } else {
                painter.circle_stroke(point, 5.0, egui::Stroke::new(2.0, accent));
            }
        }
    }

    /// A screenshot of the view at twice the viewport's size in points (sharp on any screen).
    fn screenshot(&self) -> ViewerAction {
        let width = self.last_size.x.max(160.0);
        let height = self.last_size.y.max(120.0);
        ViewerAction::Screenshot {
            camera: self.camera,
            look: Look {
                highlighted: None,
                ..self.look.clone()
            },
            size: [(width * 2.0) as u32, (height * 2.0) as u32],
        }
    }

    fn fit(&mut self, model: &Model) {
        if !model.bounds.is_empty() {
            self.camera.fit(model.bounds.min, model.bounds.max);
            self.camera.fit_width(self.last_size.x / self.last_size.y);
        }
    }
}

/// The grid spacing for a model, in its units.
fn grid_step_of(model: &Model, up: UpAxis) -> f32 {
    let (min, max) = (model.bounds.min, model.bounds.max);
    if model.bounds.is_empty() {
        return 10.0;
    }
    let (a, b) = match up {
        UpAxis::Z => (0, 1),
        UpAxis::Y => (0, 2),
    };
    grid::grid_step((max[a] - min[a]).max(max[b] - min[b]))
}

/// "10 mm", "0.5 mm", "0.1 m".
fn format_step(step: f32, units: crate::model::Units) -> String {
    let unit = units.symbol();
    if step >= 1.0 {
        format!("{step:.0} {unit}")
    } else {
        format!("{step} {unit}")
    }
}
