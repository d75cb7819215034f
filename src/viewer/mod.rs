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

use crate::model::{MeshFormat, Model, linear_to_srgb};

/// Which parts show, and which one is highlighted (the parts list's hover).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Look {
    /// Indices of hidden parts.
    pub hidden: HashSet<usize>,
    /// Index of the highlighted part.
    pub highlighted: Option<usize>,
    /// The floor grid and axes are off.
    pub hide_grid: bool,
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
}

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
}

impl Default for ViewerState {
    fn default() -> Self {
        Self {
            camera: OrbitCamera::new(UpAxis::Z),
            look: Look::default(),
            fitted_for: None,
            last_size: egui::vec2(640.0, 480.0),
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

    /// The toolbar and a viewport `height` points tall for `model`, read from `path`.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        path: &Path,
        model: &Arc<Model>,
        height: f32,
    ) -> Option<ViewerAction> {
        let mut action = None;
        if self.fitted_for.as_deref() != Some(path) {
            self.frame(path, model);
        }
        ui.horizontal(|ui| {
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
                .checkbox(&mut grid, format!("Grid {}", format_step(step)))
                .on_hover_text(
                    "Floor grid under the part, and the X (red), Y (green), Z (blue) axes (G)",
                )
                .changed()
            {
                self.look.hide_grid = !grid;
            }
            if ui
                .button("Screenshot…")
                .on_hover_text("Save this view as a PNG")
                .clicked()
            {
                action = Some(self.screenshot());
            }
        });
        let size = egui::vec2(ui.available_width(), height);
        let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click_and_drag());
        self.last_size = rect.size();
        self.handle_input(ui, &response, rect, model);

        let snapshot = self.camera;
        let look = self.look.clone();
        let model = model.clone();
        let background = ui.visuals().extreme_bg_color;
        let callback = egui_glow::CallbackFn::new(move |info, painter| {
            draw(&info, painter.gl(), &model, &snapshot, &look, background);
        });
        ui.painter().add(egui::PaintCallback {
            rect,
            callback: Arc::new(callback),
        });
        ui.add(
            egui::Label::new(
                egui::RichText::new(
                    "Drag: turn · right-drag or Shift+drag: move · scroll: zoom · double-click or \
                     F: fit · 1 3 7 0: front, right, top, iso · 5: orthographic",
                )
                .weak(),
            )
            .wrap(),
        );
        action
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
            });
            if ui.input(|i| i.key_pressed(egui::Key::F)) {
                self.fit(model);
            }
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

/// "10 mm", "0.5 mm".
fn format_step(step: f32) -> String {
    if step >= 1.0 {
        format!("{step:.0} mm")
    } else {
        format!("{step} mm")
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

/// GL objects of the model on screen.
struct Scene {
    context: Context,
    /// Which model the meshes are of (its `Arc` address; the `Arc` is kept so it stays unique).
    model: Option<Arc<Model>>,
    /// Each part's index in the model, and its GL object.
    objects: Vec<(usize, Gm<Mesh, PhysicalMaterial>)>,
    /// The floor grid and the axes.
    grid: Option<(Gm<Mesh, ColorMaterial>, Axes)>,
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

/// Draws `model` into the callback's rectangle (runs on the GL thread).
fn draw(
    info: &egui::PaintCallbackInfo,
    gl: &Arc<egui_glow::glow::Context>,
    model: &Arc<Model>,
    orbit: &OrbitCamera,
    look: &Look,
    background: egui::Color32,
) {
    SCENE.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            match Context::from_gl_context(gl.clone()) {
                Ok(context) => {
                    *cell = Some(Scene {
                        context,
                        model: None,
                        objects: Vec::new(),
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
        if !scene.model.as_ref().is_some_and(|m| Arc::ptr_eq(m, model)) {
            scene.objects = upload(&scene.context, model);
            scene.grid = grid_object(&scene.context, model, orbit.up_axis).map(|grid| {
                let size = model.bounds.size();
                let length = size.iter().copied().fold(0.0, f32::max) * 0.25;
                (grid, Axes::new(&scene.context, length * 0.02, length))
            });
            scene.model = Some(model.clone());
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
        let [r, g, b, _] = background.to_normalized_gamma_f32();
        target.clear_partially(scissor, ClearState::color_and_depth(r, g, b, 1.0, 1.0));
        let lights = Lights::new(&scene.context, orbit);
        for (index, object) in scene.objects.iter_mut() {
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
        let mut visible: Vec<&dyn three_d::Object> = scene
            .objects
            .iter()
            .filter(|(index, _)| !look.hidden.contains(index))
            .map(|(_, object)| object as &dyn three_d::Object)
            .collect();
        if let Some((grid, axes)) = scene.grid.as_ref().filter(|_| !look.hide_grid) {
            visible.push(grid);
            visible.extend(axes);
        }
        target.render_partially(scissor, &camera, visible, &lights.as_slice());
    });
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
        Camera::new_orthographic(viewport, eye, target, up, orbit.view_height(), near, far)
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
