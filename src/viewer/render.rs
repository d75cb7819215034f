//! Drawing a frame: the paint callback (backdrop, depth, the parts or their stand-in, the grid),
//! the edge pass, the lights and the camera conversion, shared with the headless renderer.

use std::sync::Arc;

use camera::OrbitCamera;
use three_d::{
    AmbientLight, Camera, ColorMaterial, Context, DirectionalLight, Gm, Mesh, RenderTarget,
    ScissorBox, Srgba, Viewport,
};

use crate::model::Model;

use super::frame_cache::{FrameCache, FrameKey};
use super::part_mesh::CHUNK_TRIANGLES;
use super::part_mesh::v3;
use super::scene::{GpuScene, PartObject, PartObjects, Scene, chunk_total, draw_only, srgba};
use super::*;

/// What one frame of the view shows, handed to the paint callback.
pub(super) struct FrameRequest {
    /// The model shown.
    pub model: Arc<Model>,
    /// Its lighter copy, if it has one.
    pub stand_in: Option<Arc<Model>>,
    /// The camera moves: the stand-in is drawn instead of the model.
    pub moving: bool,
    /// The camera at this frame.
    pub orbit: OrbitCamera,
    /// Hidden and highlighted parts, edges, grid.
    pub look: Look,
    /// Triangles of the full part a frame may draw (the rest waits for the next frames).
    pub slice_triangles: usize,
    /// Asks for the next frame while the part is still going up or being drawn.
    pub repaint: egui::Context,
}

/// Which kept picture.
#[derive(Clone, Copy, PartialEq)]
enum Picture {
    /// Of the part itself.
    Full,
    /// Of its lighter stand-in.
    Light,
}

/// Draws the request into the callback's rectangle (runs on the GL thread). The part's
/// picture is kept and copied while nothing in it changes. While the view moves, the
/// stand-in's is shown instead; while the part's picture is being drawn over several
/// frames (a big part on a slow GL), the stand-in's shows meanwhile, or else the part fills
/// in as its slices are drawn.
pub(super) fn draw(
    gpu: &GpuScene,
    info: &egui::PaintCallbackInfo,
    gl: &Arc<egui_glow::glow::Context>,
    frame: &FrameRequest,
) {
    let mut cell = gpu.lock();
    let Some(scene) = scene_for(&mut cell, gl) else {
        return;
    };
    let FrameRequest {
        model,
        stand_in,
        moving,
        orbit,
        repaint,
        ..
    } = frame;
    let kept: Vec<&Arc<Model>> = std::iter::once(model).chain(stand_in).collect();
    scene.keep_only(&kept);
    if !scene.grid.as_ref().is_some_and(|(m, _)| m.id == model.id) {
        let grid = scene_grid(&scene.context, model, orbit.up_axis);
        scene.grid = Some((model.clone(), grid));
    }
    let Some((viewport, scissor)) = viewport_and_scissor(info) else {
        return;
    };
    let was_uploaded = scene.is_uploaded(model);
    let model_uploaded = scene.upload_step(model).complete;
    let light = stand_in
        .as_ref()
        .filter(|stand_in| scene.upload_step(stand_in).complete);
    // Moving with no stand-in, each frame's picture is new: all of it is drawn, slowly but
    // whole (a slice would show part of the part).
    let budget = if *moving && light.is_none() {
        usize::MAX
    } else {
        frame.slice_triangles.div_ceil(CHUNK_TRIANGLES).max(1)
    };
    let (shown, pending, triangles) = match light {
        Some(light) if *moving || !model_uploaded => {
            let (_, drawn) = refine(scene, frame, Picture::Light, light, viewport, usize::MAX);
            (Picture::Light, !model_uploaded, drawn)
        }
        _ => {
            let (complete, drawn) = refine(scene, frame, Picture::Full, model, viewport, budget);
            match light {
                Some(light) if !complete => {
                    let (_, more) =
                        refine(scene, frame, Picture::Light, light, viewport, usize::MAX);
                    (Picture::Light, true, drawn + more)
                }
                _ => (Picture::Full, !complete, drawn),
            }
        }
    };
    // The frame after one that drew comes at once: the view measures how long this one
    // took, to learn the GL's speed (and the next slice or chunk goes on).
    scene.drawn_triangles = triangles;
    if pending || !was_uploaded || triangles > 0 {
        repaint.request_repaint();
    }
    let cache = match shown {
        Picture::Full => &scene.full,
        Picture::Light => &scene.light,
    };
    if let Some(cache) = cache {
        let [w, h] = info.screen_size_px;
        let screen = RenderTarget::screen(&scene.context, w, h);
        FrameCache::show(cache.picture(), &screen, scissor, viewport);
    }
}

/// Makes the scene and has the GL compile every program a part's frames use (flat and
/// smooth parts, the grid and edges, the copy to the screen) by drawing a two-triangle part
/// off screen. A software GL compiles a program on its first draw, 70 ms all told with
/// llvmpipe: done while nothing is shown yet, the first frames of a big part stay short.
pub(super) fn warm_up(
    gpu: &GpuScene,
    info: &egui::PaintCallbackInfo,
    gl: &Arc<egui_glow::glow::Context>,
) {
    let mut cell = gpu.lock();
    let Some(scene) = scene_for(&mut cell, gl) else {
        return;
    };
    let context = &scene.context;
    let triangle = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
    let grey = [0.5, 0.5, 0.5, 1.0];
    let model = Model::new(vec![
        crate::model::Part::new(
            "flat".into(),
            triangle.to_vec(),
            Vec::new(),
            vec![0, 1, 2],
            grey,
        ),
        crate::model::Part::new(
            "smooth".into(),
            triangle.to_vec(),
            vec![[0.0, 0.0, 1.0]; 3],
            vec![0, 1, 2],
            grey,
        ),
    ]);
    let objects = super::upload(context, &model);
    let grid = scene_grid(context, &model, camera::UpAxis::Z);
    let orbit = OrbitCamera::new(camera::UpAxis::Z);
    let size = Viewport::new_at_origo(1, 1);
    let camera = three_d_camera(&orbit, size);
    let lights = Lights::new(context, &orbit);
    let mut picture: Option<FrameCache> = None;
    for edges in [false, true] {
        let look = Look {
            edges,
            ..Look::default()
        };
        let key = FrameKey::new(
            &Arc::new(Model::new(Vec::new())),
            usize::from(edges),
            &orbit,
            &look,
            size,
        );
        FrameCache::refine(&mut picture, context, key, 1, 1, |target, whole, _| {
            let view = SceneView {
                camera: &camera,
                objects: &objects,
                grid: grid.as_ref(),
                look: &look,
                lights: &lights,
            };
            render_scene(context, target, whole, &view);
        });
    }
    // The copy of a picture to the screen (the window's pixel format is not the textures'):
    // a transparent one, over one pixel, which leaves it as it was.
    let mut blank = None;
    let key = FrameKey::new(
        &Arc::new(Model::new(Vec::new())),
        2,
        &orbit,
        &Look::default(),
        size,
    );
    FrameCache::refine(&mut blank, context, key, 1, 1, |_, _, _| {});
    if let (Some(blank), Some((viewport, scissor))) = (blank, viewport_and_scissor(info)) {
        let [w, h] = info.screen_size_px;
        let screen = RenderTarget::screen(context, w, h);
        FrameCache::show(blank.picture(), &screen, scissor, viewport);
    }
}

/// The scene, made on the first frame (with three-d's context on egui's GL).
fn scene_for<'a>(
    cell: &'a mut Option<Scene>,
    gl: &Arc<egui_glow::glow::Context>,
) -> Option<&'a mut Scene> {
    if cell.is_none() {
        match Context::from_gl_context(gl.clone()) {
            Ok(context) => {
                *cell = Some(Scene {
                    context,
                    meshes: Vec::new(),
                    grid: None,
                    full: None,
                    light: None,
                    drawn_triangles: 0,
                })
            }
            Err(e) => tracing::error!("the 3D view could not start: {e}"),
        }
    }
    cell.as_mut()
}

/// Brings the kept picture of `drawn` (the part or its stand-in) closer to done, by at most
/// `budget` chunks. Returns whether it is complete and how many triangles this drew.
fn refine(
    scene: &mut Scene,
    frame: &FrameRequest,
    which: Picture,
    drawn: &Arc<Model>,
    viewport: Viewport,
    budget: usize,
) -> (bool, usize) {
    let Scene {
        context,
        meshes,
        grid,
        full,
        light,
        ..
    } = scene;
    let Some(uploaded) = meshes.iter_mut().find(|u| u.model.id == drawn.id) else {
        return (false, 0);
    };
    let look = &frame.look;
    let key = FrameKey::new(drawn, uploaded.progress(), &frame.orbit, look, viewport);
    let objects = &mut uploaded.objects;
    colour_parts(objects, &frame.model, look);
    let total = chunk_total(objects);
    let camera = three_d_camera(
        &frame.orbit,
        Viewport::new_at_origo(viewport.width, viewport.height),
    );
    let lights = Lights::new(context, &frame.orbit);
    let grid = grid
        .as_ref()
        .and_then(|(_, grid)| grid.as_ref())
        .filter(|_| !look.hide_grid);
    let cache = if which == Picture::Full { full } else { light };
    let mut triangles = 0;
    let complete = FrameCache::refine(
        cache,
        context,
        key,
        total,
        budget,
        |target, whole, slice| {
            triangles = draw_only(objects, &slice.chunks);
            let view = SceneView {
                camera: &camera,
                objects,
                // The grid once, with the first slice: the kept depth holds it for the rest.
                grid: grid.filter(|_| slice.first),
                look,
                lights: &lights,
            };
            render_scene(context, target, whole, &view);
        },
    );
    draw_only(objects, &(0..usize::MAX));
    (complete, triangles)
}

/// The parts' colours, the highlighted one toward the selection blue (so it stands out
/// whatever its colour); `model`'s colours, which its stand-in shares.
fn colour_parts(objects: &mut PartObjects, model: &Model, look: &Look) {
    for (index, object) in objects.iter_mut() {
        let part = &model.parts[*index];
        object.material.physical.albedo = srgba(super::part_mesh::tint(
            part,
            look.highlighted == Some(*index),
        ));
    }
}

/// The callback's viewport, and the part of it to touch: only the viewport's own pixels, and
/// of those only the visible ones (the clip rect is the whole scrolled panel). `None` when
/// none shows.
fn viewport_and_scissor(info: &egui::PaintCallbackInfo) -> Option<(Viewport, ScissorBox)> {
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
        return None;
    }
    let scissor = ScissorBox {
        x: left,
        y: bottom,
        width: (right - left) as u32,
        height: (top - bottom) as u32,
    };
    Some((viewport, scissor))
}

/// The view's backdrop: a vertical gradient a shade lighter at the top, in the theme's tones,
/// so parts of any colour (dark ones too) stand out from it; painted by egui under the 3D
/// drawing.
pub(super) fn paint_backdrop(ui: &egui::Ui, rect: egui::Rect) {
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

/// What one frame shows, and from where.
#[derive(Clone, Copy)]
pub(crate) struct SceneView<'a> {
    /// The camera, in three-d's terms.
    pub camera: &'a Camera,
    /// The parts' GL objects, with each part's index.
    pub objects: &'a [(usize, PartObject)],
    /// The floor grid, when shown.
    pub grid: Option<&'a Gm<Mesh, ColorMaterial>>,
    /// Hidden parts, edges.
    pub look: &'a Look,
    /// The headlight and ambient light.
    pub lights: &'a Lights,
}

/// Renders the shown parts and the floor grid into `target`; with
/// `look.edges`, the triangles' edges go over the surface in a second pass (GL's line polygon
/// mode, with the surface pushed back a little so the lines win the depth test). The grid's
/// thin quads are drawn as outlines too, so its lines stay one pixel wide and unbroken
/// however flat the floor is seen. Shared by the window and the headless renderer, so
/// screenshots look like the view.
pub(crate) fn render_scene(
    context: &Context,
    target: &RenderTarget,
    scissor: ScissorBox,
    scene: &SceneView<'_>,
) {
    let SceneView {
        camera,
        objects,
        grid,
        look,
        lights,
    } = *scene;
    let shown = || {
        objects
            .iter()
            .filter(|(index, _)| !look.hidden.contains(index))
            .map(|(_, object)| object)
    };
    let visible: Vec<&dyn three_d::Object> = shown()
        .map(|object| object as &dyn three_d::Object)
        .collect();
    if look.edges {
        set_edge_pass(context, EdgePass::PushSurfaceBack);
    }
    target.render_partially(scissor, camera, visible, &lights.as_slice());
    if let Some(grid) = grid {
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
