//! The 3D viewport: three-d drawing into the egui window through an `egui_glow` paint
//! callback that shares eframe's GL context. The camera lives in [`ViewerState`] (the UI
//! thread's state); the callback only draws. GL objects are made on the GL thread, once per
//! model, and kept in a thread-local scene, since GL objects belong to the thread of their
//! context; [`free_gl`] drops them before the context goes.

pub mod camera;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use camera::{OrbitCamera, StandardView, UpAxis};
use three_d::{
    AmbientLight, Camera, ClearState, Context, CpuMaterial, CpuMesh, DirectionalLight, Gm, Indices,
    Mesh, PhysicalMaterial, Positions, RenderTarget, ScissorBox, Srgba, Vec3, Viewport,
};

use crate::model::{MeshFormat, Model, linear_to_srgb};

/// The viewport's state on the UI thread.
#[derive(Debug)]
pub struct ViewerState {
    /// The camera.
    pub camera: OrbitCamera,
    /// The file the camera was last fitted to (a new file is framed on load).
    fitted_for: Option<PathBuf>,
}

impl Default for ViewerState {
    fn default() -> Self {
        Self {
            camera: OrbitCamera::new(UpAxis::Z),
            fitted_for: None,
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

impl ViewerState {
    /// Frames the model from the iso view.
    fn frame(&mut self, path: &Path, model: &Model) {
        self.camera = OrbitCamera::new(up_axis_of(path));
        self.camera.set_view(StandardView::Iso);
        if !model.bounds.is_empty() {
            self.camera.fit(model.bounds.min, model.bounds.max);
        }
        self.fitted_for = Some(path.to_path_buf());
    }

    /// The toolbar and a viewport `height` points tall for `model`, read from `path`.
    pub fn ui(&mut self, ui: &mut egui::Ui, path: &Path, model: &Arc<Model>, height: f32) {
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
            ui.weak("Drag: turn · right-drag: move · scroll: zoom · double-click: fit");
        });
        let size = egui::vec2(ui.available_width(), height);
        let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click_and_drag());
        self.handle_input(ui, &response, rect, model);

        let snapshot = self.camera;
        let model = model.clone();
        let background = ui.visuals().extreme_bg_color;
        let callback = egui_glow::CallbackFn::new(move |info, painter| {
            draw(&info, painter.gl(), &model, &snapshot, background);
        });
        ui.painter().add(egui::PaintCallback {
            rect,
            callback: Arc::new(callback),
        });
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
            });
            if ui.input(|i| i.key_pressed(egui::Key::F)) {
                self.fit(model);
            }
        }
    }
}

/// GL objects of the model on screen.
struct Scene {
    context: Context,
    /// Which model the meshes are of (its `Arc` address; the `Arc` is kept so it stays unique).
    model: Option<Arc<Model>>,
    objects: Vec<Gm<Mesh, PhysicalMaterial>>,
}

thread_local! {
    static SCENE: RefCell<Option<Scene>> = const { RefCell::new(None) };
}

/// Drops the GL objects (call while the GL context is still current, e.g. in `on_exit`).
pub fn free_gl() {
    SCENE.with(|scene| scene.borrow_mut().take());
}

fn v3(p: [f32; 3]) -> Vec3 {
    Vec3::new(p[0], p[1], p[2])
}

fn upload(context: &Context, model: &Model) -> Vec<Gm<Mesh, PhysicalMaterial>> {
    model
        .parts
        .iter()
        .filter(|part| !part.indices.is_empty())
        .map(|part| {
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
            Gm::new(Mesh::new(context, &cpu_mesh), material)
        })
        .collect()
}

/// Draws `model` into the callback's rectangle (runs on the GL thread).
fn draw(
    info: &egui::PaintCallbackInfo,
    gl: &Arc<egui_glow::glow::Context>,
    model: &Arc<Model>,
    orbit: &OrbitCamera,
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
        // A headlight from just above the eye, and soft ambient light.
        let forward = orbit.direction().map(|v| -v);
        let up = orbit.camera_up();
        let light_direction = v3([0, 1, 2].map(|i| forward[i] - 0.35 * up[i]));
        let headlight = DirectionalLight::new(&scene.context, 2.2, Srgba::WHITE, light_direction);
        let ambient = AmbientLight::new(&scene.context, 0.45, Srgba::WHITE);
        target.render_partially(scissor, &camera, &scene.objects, &[&headlight, &ambient]);
    });
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
