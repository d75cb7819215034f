//! The 3D viewport: three-d drawing into the egui window through an `egui_glow` paint
//! callback that shares eframe's GL context. The camera lives in [`ViewerState`] (the UI
//! thread's state); the callback only draws. GL objects are made on the GL thread, once per
//! model, and kept in a thread-local scene, since GL objects belong to the thread of their
//! context; [`free_gl`] drops them before the context goes.

pub mod camera;
pub mod grid;
#[cfg(target_os = "linux")]
pub mod headless;

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use camera::{OrbitCamera, StandardView, UpAxis};
use three_d::{
    AmbientLight, Axes, Camera, ClearState, ColorMaterial, Context, CpuMaterial, CpuMesh,
    DirectionalLight, Gm, Indices, Mesh, PhysicalMaterial, Positions, RenderTarget, ScissorBox,
    Srgba, Vec3, Viewport,
};

use crate::model::{Hit, MeshFormat, Model, linear_to_srgb};

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
}

/// The viewport's keys and mouse, for the help overlay (in the style of f3d).
const SHORTCUTS: &[(&str, &str)] = &[
    ("Drag", "turn the part"),
    ("Right-drag, Shift+drag", "move the view"),
    ("Scroll", "zoom toward the pointer"),
    ("Double-click, F", "fit the part in view"),
    ("1, 3, 7, 0", "front, right, top, isometric view"),
    ("5", "orthographic or perspective"),
    ("G", "floor grid and axes"),
    ("E", "triangle edges (wireframe)"),
    ("M", "measure: click two points on the part"),
    ("Esc", "clear the measurement"),
    ("H", "show or hide this help"),
];

/// The viewport's state on the UI thread.
#[derive(Debug)]
pub struct ViewerState {
    /// The camera.
    pub camera: OrbitCamera,
    /// Part visibility and highlight.
    pub look: Look,
    /// The file the camera was last fitted to (a new file is framed on load).
    fitted_for: Option<PathBuf>,
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
    /// The shown model's unit, for the measure readout and the grid.
    units: crate::model::Units,
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
            units: crate::model::Units::default(),
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
    /// Frames the model from the iso view.
    fn frame(&mut self, path: &Path, model: &Model) {
        self.camera = opening_view(path, model);
        self.look = Look::default();
        self.fitted_for = Some(path.to_path_buf());
        self.measured.clear();
        self.missed = false;
    }

    /// The answer to a [`ViewerAction::Pick`] for the file at `path`: the surface point the
    /// click met, if any.
    pub fn picked(&mut self, path: &Path, hit: Option<Hit>) {
        if self.fitted_for.as_deref() != Some(path) || !self.measuring {
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

    /// What the measuring tool says: the distance and its components, or what to do next.
    pub fn measurement_text(&self) -> Option<String> {
        if !self.measuring {
            return None;
        }
        let miss = if self.missed {
            "That click missed the part. "
        } else {
            ""
        };
        let unit = self.units.symbol();
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
                    crate::ui::format::length(distance, self.units),
                    delta[0].abs(),
                    delta[1].abs(),
                    delta[2].abs()
                )
            }
        })
    }

    fn toggle_measuring(&mut self) {
        self.measuring = !self.measuring;
        self.measured.clear();
        self.missed = false;
    }

    /// The parts list of an assembly: show or hide each part; hovering one highlights it.
    pub fn parts_ui(&mut self, ui: &mut egui::Ui, model: &Model) {
        self.look.highlighted = None;
        if model.parts.len() < 2 {
            return;
        }
        ui.label(format!("{} parts:", model.parts.len()));
        for (index, part) in model.parts.iter().enumerate() {
            ui.horizontal(|ui| {
                let mut shown = !self.look.hidden.contains(&index);
                let name = if part.name.is_empty() {
                    format!("part {}", index + 1)
                } else {
                    part.name.clone()
                };
                crate::ui::color_swatch_ui(ui, part.color);
                let label = format!(
                    "{name}: {} triangles",
                    crate::ui::format::count(part.triangles())
                );
                let response = ui.checkbox(&mut shown, label);
                if response.changed() {
                    if shown {
                        self.look.hidden.remove(&index);
                    } else {
                        self.look.hidden.insert(index);
                    }
                }
                if response.hovered() {
                    self.look.highlighted = Some(index);
                }
            });
        }
    }

    /// The toolbar and the viewport for `model`, read from `path`, `height` points tall
    /// together.
    /// `stand_in`, a lighter copy of a large model, is drawn while the view moves.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        path: &Path,
        model: &Arc<Model>,
        stand_in: Option<&Arc<Model>>,
        height: f32,
    ) -> Option<ViewerAction> {
        let mut action = None;
        let top = ui.cursor().top();
        self.units = model.units;
        if self.fitted_for.as_deref() != Some(path) {
            self.frame(path, model);
        }
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
                    "Floor grid under the part, and the X (red), Y (green), Z (blue) axes (G)",
                )
                .changed()
            {
                self.look.hide_grid = !grid;
            }
            ui.checkbox(&mut self.look.edges, "Edges")
                .on_hover_text("Draw the triangles' edges over the surface (E)");
            if ui
                .selectable_label(self.measuring, "Measure")
                .on_hover_text("Click two points on the part to measure between them (M)")
                .clicked()
            {
                self.toggle_measuring();
            }
            if ui
                .selectable_label(self.show_help, "Keys")
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
        // `height` holds the toolbar too: the view takes what the toolbar left.
        let canvas_height = (height - (ui.cursor().top() - top)).max(MIN_VIEW_HEIGHT);
        let size = egui::vec2(ui.available_width(), canvas_height);
        let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click_and_drag());
        self.last_size = rect.size();
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
        let stand_in = stand_in.cloned();
        if moving {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs_f64(STILL_AFTER));
        }
        let snapshot = self.camera;
        let look = self.look.clone();
        let model = model.clone();
        paint_backdrop(ui, rect);
        let callback = egui_glow::CallbackFn::new(move |info, painter| {
            draw(
                &info,
                painter.gl(),
                &model,
                stand_in.as_ref(),
                moving,
                &snapshot,
                &look,
            );
        });
        ui.painter().add(egui::PaintCallback {
            rect,
            callback: Arc::new(callback),
        });
        self.measurement_markers(ui, rect);
        if self.show_help {
            help_overlay(ui, rect);
        }
        match self.measurement_text() {
            Some(text) => {
                ui.add(egui::Label::new(egui::RichText::new(text).strong()).wrap());
            }
            None => {
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(
                            "Drag: turn · right-drag or Shift+drag: move · scroll: zoom · \
                             H: all keys",
                        )
                        .weak(),
                    )
                    .wrap(),
                );
            }
        }
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
        }
    }

    fn handle_input(
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
        // f3d-style keys while the pointer is over the view.
        if response.hovered() {
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
fn help_overlay(ui: &mut egui::Ui, rect: egui::Rect) {
    // A child that takes no room in the panel: the overlay floats over the viewport.
    let mut overlay = ui.new_child(egui::UiBuilder::new().max_rect(rect.shrink(8.0)));
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

/// The floor grid as thin quads (lines are not a three-d primitive), just under the part.
fn grid_object(context: &Context, model: &Model, up: UpAxis) -> Option<Gm<Mesh, ColorMaterial>> {
    if model.bounds.is_empty() {
        return None;
    }
    let (min, max) = (model.bounds.min, model.bounds.max);
    let (_, lines) = grid::grid_lines(min, max, up);
    let size = model.bounds.size();
    let radius = (size[0] * size[0] + size[1] * size[1] + size[2] * size[2]).sqrt() / 2.0;
    let half_width = radius * 0.0025;
    let (u, drop) = match up {
        UpAxis::Z => (2, radius * 0.002),
        UpAxis::Y => (1, radius * 0.002),
    };
    let mut positions = Vec::with_capacity(lines.len() * 4);
    let mut indices = Vec::with_capacity(lines.len() * 6);
    for (p, q) in lines {
        let direction = [0, 1, 2].map(|i| q[i] - p[i]);
        // Across the line, in the floor plane: the up axis crossed with the line.
        let mut across = match up {
            UpAxis::Z => [-direction[1], direction[0], 0.0],
            UpAxis::Y => [direction[2], 0.0, -direction[0]],
        };
        let length = (across[0] * across[0] + across[1] * across[1] + across[2] * across[2]).sqrt();
        if length == 0.0 {
            continue;
        }
        across = across.map(|c| c / length * half_width);
        let base = positions.len() as u32;
        for (point, sign) in [(p, -1.0), (p, 1.0), (q, 1.0), (q, -1.0)] {
            let mut v = [0, 1, 2].map(|i| point[i] + sign * across[i]);
            v[u] -= drop;
            positions.push(v3(v));
        }
        indices.extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
    }
    let mesh = CpuMesh {
        positions: Positions::F32(positions),
        indices: Indices::U32(indices),
        ..Default::default()
    };
    let mut material = ColorMaterial::new_opaque(
        context,
        &CpuMaterial {
            albedo: Srgba::new(128, 128, 128, 255),
            ..Default::default()
        },
    );
    // Seen from below too.
    material.render_states.cull = three_d::Cull::None;
    Some(Gm::new(Mesh::new(context, &mesh), material))
}

/// The floor grid and the file's axes for `model`.
pub(crate) fn scene_grid(context: &Context, model: &Model, up: UpAxis) -> Option<GridObjects> {
    grid_object(context, model, up).map(|grid| {
        let size = model.bounds.size();
        let length = size.iter().copied().fold(0.0, f32::max) * 0.25;
        (grid, Axes::new(context, length * 0.02, length))
    })
}

/// Each part's index in its model, and its GL object.
type PartObjects = Vec<(usize, Gm<Mesh, PhysicalMaterial>)>;
/// The floor grid and the file's axes.
type GridObjects = (Gm<Mesh, ColorMaterial>, Axes);

/// GL objects of the model on screen.
struct Scene {
    context: Context,
    /// GL objects of the shown model and of its lighter stand-in, by model (the `Arc`s are
    /// kept, so their addresses stay unique); at most two.
    meshes: Vec<(Arc<Model>, PartObjects)>,
    /// The model the grid was made for, the floor grid and the axes.
    grid: Option<(Arc<Model>, Option<GridObjects>)>,
}

impl Scene {
    /// The GL objects of `model`, uploaded on first use.
    fn objects_of(&mut self, model: &Arc<Model>) -> &mut PartObjects {
        let index = match self.meshes.iter().position(|(m, _)| Arc::ptr_eq(m, model)) {
            Some(index) => index,
            None => {
                let started = std::time::Instant::now();
                let objects = upload(&self.context, model);
                tracing::info!(
                    "uploaded {} triangles to the GPU in {} ms",
                    model.triangles(),
                    started.elapsed().as_millis()
                );
                if self.meshes.len() >= 2 {
                    self.meshes.remove(0);
                }
                self.meshes.push((model.clone(), objects));
                self.meshes.len() - 1
            }
        };
        &mut self.meshes[index].1
    }

    /// Drops the GL objects of models other than these.
    fn keep_only(&mut self, models: &[&Arc<Model>]) {
        self.meshes
            .retain(|(m, _)| models.iter().any(|kept| Arc::ptr_eq(m, kept)));
    }
}

thread_local! {
    static SCENE: RefCell<Option<Scene>> = const { RefCell::new(None) };
}

/// The GL renderer's name ("llvmpipe (LLVM 15.0.6, 256 bits)"), for diagnostics.
#[allow(unsafe_code)]
pub fn gl_renderer(gl: &egui_glow::glow::Context) -> String {
    use egui_glow::glow::HasContext as _;
    // SAFETY: called on the thread whose context is current (eframe's creation callback);
    // RENDERER and VERSION are plain string queries.
    let (renderer, version) = unsafe {
        (
            gl.get_parameter_string(egui_glow::glow::RENDERER),
            gl.get_parameter_string(egui_glow::glow::VERSION),
        )
    };
    format!("{renderer} (OpenGL {version})")
}

/// Drops the GL objects (call while the GL context is still current, e.g. in `on_exit`).
pub fn free_gl() {
    SCENE.with(|scene| scene.borrow_mut().take());
}

fn v3(p: [f32; 3]) -> Vec3 {
    Vec3::new(p[0], p[1], p[2])
}

fn srgba(linear: [f32; 4]) -> Srgba {
    let [r, g, b, a] = linear.map(|c| (linear_to_srgb(c.clamp(0.0, 1.0)) * 255.0).round() as u8);
    Srgba::new(r, g, b, a.max(1))
}

/// GL meshes of a model's parts (with each part's index), with their colours.
pub(crate) fn upload(context: &Context, model: &Model) -> Vec<(usize, Gm<Mesh, PhysicalMaterial>)> {
    model
        .parts
        .iter()
        .enumerate()
        .filter(|(_, part)| !part.indices.is_empty())
        .map(|(index, part)| {
            let cpu_mesh = CpuMesh {
                positions: Positions::F32(part.positions.iter().copied().map(v3).collect()),
                indices: Indices::U32(part.indices.clone()),
                normals: Some(part.normals.iter().copied().map(v3).collect()),
                ..Default::default()
            };
            let [r, g, b, a] = part
                .color
                .map(|c| (linear_to_srgb(c) * 255.0).round() as u8);
            let material = PhysicalMaterial::new_opaque(
                context,
                &CpuMaterial {
                    albedo: Srgba::new(r, g, b, a.max(1)),
                    roughness: 0.55,
                    metallic: 0.05,
                    ..Default::default()
                },
            );
            (index, Gm::new(Mesh::new(context, &cpu_mesh), material))
        })
        .collect()
}

/// Draws `model` into the callback's rectangle (runs on the GL thread); while the view is
/// `moving`, `stand_in` (its lighter copy) is drawn instead when there is one. Both stay
/// uploaded.
fn draw(
    info: &egui::PaintCallbackInfo,
    gl: &Arc<egui_glow::glow::Context>,
    model: &Arc<Model>,
    stand_in: Option<&Arc<Model>>,
    moving: bool,
    orbit: &OrbitCamera,
    look: &Look,
) {
    SCENE.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            match Context::from_gl_context(gl.clone()) {
                Ok(context) => {
                    *cell = Some(Scene {
                        context,
                        meshes: Vec::new(),
                        grid: None,
                    })
                }
                Err(e) => {
                    tracing::error!("the 3D view could not start: {e}");
                    return;
                }
            }
        }
        let Some(scene) = cell.as_mut() else { return };
        let kept: Vec<&Arc<Model>> = std::iter::once(model).chain(stand_in).collect();
        scene.keep_only(&kept);
        if !scene
            .grid
            .as_ref()
            .is_some_and(|(m, _)| Arc::ptr_eq(m, model))
        {
            let grid = scene_grid(&scene.context, model, orbit.up_axis);
            scene.grid = Some((model.clone(), grid));
        }

        let vp = info.viewport_in_pixels();
        let clip = info.clip_rect_in_pixels();
        let viewport = Viewport {
            x: vp.left_px,
            y: vp.from_bottom_px,
            width: vp.width_px.max(1) as u32,
            height: vp.height_px.max(1) as u32,
        };
        // Only the viewport's own pixels, and of those only the visible ones (the clip rect is
        // the whole scrolled panel).
        let left = vp.left_px.max(clip.left_px);
        let bottom = vp.from_bottom_px.max(clip.from_bottom_px);
        let right = (vp.left_px + vp.width_px).min(clip.left_px + clip.width_px);
        let top = (vp.from_bottom_px + vp.height_px).min(clip.from_bottom_px + clip.height_px);
        if right <= left || top <= bottom {
            return;
        }
        let scissor = ScissorBox {
            x: left,
            y: bottom,
            width: (right - left) as u32,
            height: (top - bottom) as u32,
        };
        let camera = three_d_camera(orbit, viewport);
        let [w, h] = info.screen_size_px;
        let target = RenderTarget::screen(&scene.context, w, h);
        // Depth only: the backdrop egui painted under the view shows through.
        target.clear_partially(scissor, ClearState::depth(1.0));
        let lights = Lights::new(&scene.context, orbit);
        let drawn = stand_in.filter(|_| moving).unwrap_or(model);
        scene.objects_of(drawn);
        let Scene {
            context,
            meshes,
            grid,
        } = scene;
        let Some((_, objects)) = meshes.iter_mut().find(|(m, _)| Arc::ptr_eq(m, drawn)) else {
            return;
        };
        for (index, object) in objects.iter_mut() {
            let base = model.parts[*index].color;
            let color = if look.highlighted == Some(*index) {
                // Toward the selection blue, so the part stands out whatever its colour.
                [
                    base[0] * 0.5 + 0.1,
                    base[1] * 0.5 + 0.35,
                    base[2] * 0.5 + 0.6,
                    base[3],
                ]
            } else {
                base
            };
            object.material.albedo = srgba(color);
        }
        let grid = grid
            .as_ref()
            .and_then(|(_, grid)| grid.as_ref())
            .filter(|_| !look.hide_grid);
        render_scene(
            context,
            &target,
            scissor,
            &camera,
            objects,
            grid.map(|(grid, axes)| (grid, axes)),
            look,
            &lights,
        );
    });
}

/// The view's backdrop: a vertical gradient a shade lighter at the top, in the theme's tones,
/// so parts of any colour (dark ones too) stand out from it; painted by egui under the 3D
/// drawing.
fn paint_backdrop(ui: &egui::Ui, rect: egui::Rect) {
    let (top, bottom) = if ui.visuals().dark_mode {
        (
            egui::Color32::from_rgb(72, 78, 88),
            egui::Color32::from_rgb(30, 32, 37),
        )
    } else {
        (
            egui::Color32::from_rgb(250, 251, 253),
            egui::Color32::from_rgb(200, 207, 217),
        )
    };
    let mut mesh = egui::Mesh::default();
    mesh.colored_vertex(rect.left_top(), top);
    mesh.colored_vertex(rect.right_top(), top);
    mesh.colored_vertex(rect.left_bottom(), bottom);
    mesh.colored_vertex(rect.right_bottom(), bottom);
    mesh.add_triangle(0, 1, 2);
    mesh.add_triangle(1, 3, 2);
    ui.painter().add(mesh);
}

/// Renders the shown parts and the floor grid with its axes into `target`; with
/// `look.edges`, the triangles' edges go over the surface in a second pass (GL's line polygon
/// mode, with the surface pushed back a little so the lines win the depth test). The grid's
/// thin quads are drawn as outlines too, so its lines stay one pixel wide and unbroken
/// however flat the floor is seen. Shared by the window and the headless renderer, so
/// screenshots look like the view.
#[allow(clippy::too_many_arguments)]
pub(crate) fn render_scene(
    context: &Context,
    target: &RenderTarget,
    scissor: ScissorBox,
    camera: &Camera,
    objects: &[(usize, Gm<Mesh, PhysicalMaterial>)],
    grid: Option<(&Gm<Mesh, ColorMaterial>, &Axes)>,
    look: &Look,
    lights: &Lights,
) {
    let shown = || {
        objects
            .iter()
            .filter(|(index, _)| !look.hidden.contains(index))
            .map(|(_, object)| object)
    };
    let mut visible: Vec<&dyn three_d::Object> = shown()
        .map(|object| object as &dyn three_d::Object)
        .collect();
    if let Some((_, axes)) = grid {
        visible.extend(axes.into_iter().map(|o| o as &dyn three_d::Object));
    }
    if look.edges {
        set_edge_pass(context, EdgePass::PushSurfaceBack);
    }
    target.render_partially(scissor, camera, visible, &lights.as_slice());
    if let Some((grid, _)) = grid {
        set_edge_pass(context, EdgePass::Lines);
        target.render_partially(scissor, camera, [grid], &[]);
        set_edge_pass(context, EdgePass::Done);
    }
    if look.edges {
        set_edge_pass(context, EdgePass::Lines);
        let material = ColorMaterial {
            color: Srgba::new(24, 24, 28, 255),
            ..Default::default()
        };
        target.render_partially_with_material(
            scissor,
            &material,
            camera,
            shown().map(|object| &object.geometry),
            &[],
        );
        set_edge_pass(context, EdgePass::Done);
    }
}

/// GL state around the edges pass (three-d's render states have no polygon mode or offset).
enum EdgePass {
    PushSurfaceBack,
    Lines,
    Done,
}

#[allow(unsafe_code)]
fn set_edge_pass(context: &Context, pass: EdgePass) {
    use three_d::context::{FILL, FRONT_AND_BACK, HasContext as _, LINE, POLYGON_OFFSET_FILL};
    // SAFETY: plain state changes on the context current on this thread (the paint callback
    // or the headless renderer); `Done` restores the defaults egui's painter expects.
    unsafe {
        match pass {
            EdgePass::PushSurfaceBack => {
                context.enable(POLYGON_OFFSET_FILL);
                context.polygon_offset(1.0, 1.0);
            }
            EdgePass::Lines => {
                context.disable(POLYGON_OFFSET_FILL);
                context.polygon_mode(FRONT_AND_BACK, LINE);
            }
            EdgePass::Done => context.polygon_mode(FRONT_AND_BACK, FILL),
        }
    }
}

/// The scene's lights: a headlight from just above the eye, and soft ambient light, so every
/// face the user turns toward them is lit.
pub(crate) struct Lights {
    headlight: DirectionalLight,
    ambient: AmbientLight,
}

impl Lights {
    pub(crate) fn new(context: &Context, orbit: &OrbitCamera) -> Self {
        let forward = orbit.direction().map(|v| -v);
        let up = orbit.camera_up();
        let direction = v3([0, 1, 2].map(|i| forward[i] - 0.35 * up[i]));
        Self {
            headlight: DirectionalLight::new(context, 2.2, Srgba::WHITE, direction),
            ambient: AmbientLight::new(context, 0.45, Srgba::WHITE),
        }
    }

    pub(crate) fn as_slice(&self) -> [&dyn three_d::Light; 2] {
        [&self.headlight, &self.ambient]
    }
}

/// The three-d camera for an orbit camera in `viewport`.
pub fn three_d_camera(orbit: &OrbitCamera, viewport: Viewport) -> Camera {
    let (near, far) = orbit.clip_planes();
    let (eye, target, up) = (v3(orbit.eye()), v3(orbit.target), v3(orbit.camera_up()));
    if orbit.orthographic {
        // three-d-asset multiplies an orthographic camera's height by its distance to the
        // target (so zooming by moving the eye works): pass the height per unit of distance.
        let height = orbit.view_height() / orbit.distance.max(f32::MIN_POSITIVE);
        Camera::new_orthographic(viewport, eye, target, up, height, near, far)
    } else {
        Camera::new_perspective(
            viewport,
            eye,
            target,
            up,
            three_d::radians(orbit.fov_y),
            near,
            far,
        )
    }
}
