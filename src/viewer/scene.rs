//! What the GPU holds: each model's parts uploaded once (on the GL thread), the floor grid and
//! axes, in a scene the app owns through [`GpuScene`] and frees before the context goes.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use camera::UpAxis;
use three_d::{
    ColorMaterial, Context, CpuMaterial, CpuMesh, Gm, Indices, Mesh, PhysicalMaterial, Positions,
    Srgba,
};

use crate::model::{Model, linear_to_srgb8};

use super::frame_cache::FrameCache;
use super::part_mesh::{CHUNK_TRIANGLES, PartMaterial, PartMesh, v3};

use super::*;

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

/// The floor grid for `model` (the axes' orientation is painted over the view instead: see
/// `overlay::axes_triad`).
pub(crate) fn scene_grid(context: &Context, model: &Model, up: UpAxis) -> Option<GridObjects> {
    grid_object(context, model, up)
}

/// Each part's index in its model, and its GL object.
pub(crate) type PartObjects = Vec<(usize, PartObject)>;
/// A part's GL object.
pub(crate) type PartObject = Gm<PartMesh, PartMaterial>;
/// The floor grid.
pub(super) type GridObjects = Gm<Mesh, ColorMaterial>;

/// Time the paint callback spends uploading a model per frame, at most (one chunk at least):
/// a big part appears over a few frames instead of stalling one.
const UPLOAD_BUDGET: Duration = Duration::from_millis(8);

/// A model's GL objects, and how far their upload has got.
pub(super) struct Uploaded {
    pub(super) model: Arc<Model>,
    pub(super) objects: PartObjects,
    /// Every triangle is on the GPU.
    pub(super) complete: bool,
    /// When the upload started, and over how many frames it has run.
    started: Instant,
    frames: u32,
}

impl Uploaded {
    /// How far the upload has got: its frames so far, or `usize::MAX` once complete (what a
    /// picture of it depends on).
    pub(super) fn progress(&self) -> usize {
        if self.complete {
            usize::MAX
        } else {
            self.frames as usize
        }
    }
}

/// GL objects of the model on screen.
pub(super) struct Scene {
    pub(super) context: Context,
    /// GL objects of the shown model and of its lighter stand-in, by model (the `Arc`s are
    /// kept, so their addresses stay unique); at most two.
    pub(super) meshes: Vec<Uploaded>,
    /// The model the grid was made for, the floor grid and the axes.
    pub(super) grid: Option<(Arc<Model>, Option<GridObjects>)>,
    /// The last pictures of the view, of the part and of its stand-in, copied while nothing
    /// in them changes.
    pub(super) full: Option<FrameCache>,
    pub(super) light: Option<FrameCache>,
    /// Triangles the last frame drew, for the view to learn the GL's speed from.
    pub(super) drawn_triangles: usize,
}

impl Scene {
    /// The GL objects of `model`, with more of it uploaded (within this frame's budget)
    /// until all of it is.
    pub(super) fn upload_step(&mut self, model: &Arc<Model>) -> &mut Uploaded {
        let index = match self.meshes.iter().position(|u| u.model.id == model.id) {
            Some(index) => index,
            None => {
                if self.meshes.len() >= 2 {
                    self.meshes.remove(0);
                }
                self.meshes.push(Uploaded {
                    model: model.clone(),
                    objects: begin_upload(&self.context, model),
                    complete: false,
                    started: Instant::now(),
                    frames: 0,
                });
                self.meshes.len() - 1
            }
        };
        let uploaded = &mut self.meshes[index];
        if !uploaded.complete {
            uploaded.frames += 1;
            uploaded.complete = upload_more(&mut uploaded.objects, model, UPLOAD_BUDGET);
            if uploaded.complete {
                tracing::info!(
                    "uploaded {} triangles to the GPU in {} ms over {} frames",
                    model.triangles(),
                    uploaded.started.elapsed().as_millis(),
                    uploaded.frames
                );
            }
        }
        uploaded
    }

    /// Whether all of `model` is on the GPU.
    pub(super) fn is_uploaded(&self, model: &Arc<Model>) -> bool {
        self.meshes
            .iter()
            .any(|u| u.model.id == model.id && u.complete)
    }

    /// Drops the GL objects of models other than these, and then the kept pictures of them
    /// too (their GPU memory is better spent on what is shown).
    pub(super) fn keep_only(&mut self, models: &[&Arc<Model>]) {
        let before = self.meshes.len();
        self.meshes
            .retain(|u| models.iter().any(|kept| kept.id == u.model.id));
        if self.meshes.len() != before {
            (self.full, self.light) = (None, None);
        }
    }
}

/// The GL objects of the 3D view, shared by the widget (which owns it, inside the app) and
/// the paint callbacks it hands to egui (as egui's `custom3d_glow` example shares its
/// triangle). Made on the first frame that draws a model; [`GpuScene::free`] drops them.
#[derive(Clone, Default)]
pub struct GpuScene(Arc<Mutex<Option<Scene>>>);

impl std::fmt::Debug for GpuScene {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let models = self.lock().as_ref().map_or(0, |scene| scene.meshes.len());
        write!(f, "GpuScene({models} models on the GPU)")
    }
}

impl GpuScene {
    /// The scene; a frame that panicked while drawing leaves it usable.
    pub(super) fn lock(&self) -> MutexGuard<'_, Option<Scene>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Triangles the last frame drew (taken: 0 until a frame draws again).
    pub(super) fn take_drawn_triangles(&self) -> usize {
        self.lock()
            .as_mut()
            .map_or(0, |scene| std::mem::take(&mut scene.drawn_triangles))
    }

    /// Whether the view's picture of `model` is whole: all of it uploaded and drawn.
    pub(super) fn shows_all_of(&self, model: &Arc<Model>) -> bool {
        self.lock()
            .as_ref()
            .and_then(|scene| scene.full.as_ref())
            .is_some_and(|full| full.shows_all_of(model))
    }

    /// Drops the GL objects. Call while the GL context is still current (`on_exit`): GL
    /// objects dropped later would be deleted in no context.
    pub fn free(&self) {
        self.lock().take();
    }
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

pub(super) fn srgba(linear: [f32; 4]) -> Srgba {
    let [r, g, b, a] = linear_to_srgb8(linear);
    Srgba::new(r, g, b, a.max(1))
}

/// GL meshes of a model's parts (with each part's index), with their colours, uploaded from
/// the model's arrays as they are, whole.
pub(crate) fn upload(context: &Context, model: &Model) -> PartObjects {
    let mut objects = begin_upload(context, model);
    for (index, object) in &mut objects {
        object
            .geometry
            .upload_more(&model.parts[*index], usize::MAX);
    }
    objects
}

/// The parts' GL objects with their vertices uploaded and none of their triangles yet.
fn begin_upload(context: &Context, model: &Model) -> PartObjects {
    model
        .parts
        .iter()
        .enumerate()
        .filter(|(_, part)| !part.indices.is_empty())
        .map(|(index, part)| {
            let mesh = PartMesh::begin(context, part);
            let cpu = CpuMaterial {
                albedo: srgba(super::part_mesh::tint(part, false)),
                roughness: 0.55,
                metallic: 0.05,
                ..Default::default()
            };
            // A see-through part (the second of an overlay, a file's glass) is blended over
            // what is behind it, drawn after the solid ones.
            let physical = if part.color[3] < 0.99 {
                let mut material = PhysicalMaterial::new_transparent(context, &cpu);
                material.render_states.blend = super::frame_cache::SEE_THROUGH;
                material
            } else {
                PhysicalMaterial::new_opaque(context, &cpu)
            };
            let material = PartMaterial {
                flat: mesh.is_flat(),
                physical,
            };
            (index, Gm::new(mesh, material))
        })
        .collect()
}

/// Chunks of the parts, in order.
pub(super) fn chunk_total(objects: &PartObjects) -> usize {
    objects.iter().map(|(_, o)| o.geometry.chunk_count()).sum()
}

/// Makes draw calls draw only the chunks in `slice` (counted over the parts in order), and
/// returns how many triangles those are.
pub(super) fn draw_only(objects: &PartObjects, slice: &std::ops::Range<usize>) -> usize {
    let mut first = 0;
    let mut triangles = 0;
    for (_, object) in objects {
        let count = object.geometry.chunk_count();
        let local = part_chunks(slice, first, count);
        triangles += object.geometry.triangles_in(local.clone());
        object.geometry.draw_only(local);
        first += count;
    }
    triangles
}

/// Of the chunks in `slice` (counted over all parts), those of a part whose `count` chunks
/// come after `first` others, counted within the part.
fn part_chunks(
    slice: &std::ops::Range<usize>,
    first: usize,
    count: usize,
) -> std::ops::Range<usize> {
    slice.start.saturating_sub(first).min(count)..slice.end.saturating_sub(first).min(count)
}

/// Uploads chunks of the parts' triangles until `budget` has passed (one chunk at least).
/// Returns whether every triangle is up.
fn upload_more(objects: &mut PartObjects, model: &Model, budget: Duration) -> bool {
    let started = Instant::now();
    for (index, object) in objects.iter_mut() {
        let part = &model.parts[*index];
        while !object.geometry.is_complete(part) {
            if started.elapsed() >= budget {
                return false;
            }
            object.geometry.upload_more(part, CHUNK_TRIANGLES);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::part_chunks;

    #[test]
    fn a_slice_over_several_parts_takes_each_chunk_once() {
        // Parts of 3, 1 and 4 chunks; slices of 3 chunks.
        let counts = [3, 1, 4];
        let mut seen = Vec::new();
        for start in (0..8).step_by(3) {
            let slice = start..start + 3;
            let mut first = 0;
            for (part, &count) in counts.iter().enumerate() {
                for chunk in part_chunks(&slice, first, count) {
                    seen.push((part, chunk));
                }
                first += count;
            }
        }
        let all: Vec<_> = counts
            .iter()
            .enumerate()
            .flat_map(|(part, &count)| (0..count).map(move |chunk| (part, chunk)))
            .collect();
        assert_eq!(seen, all);
        assert_eq!(
            part_chunks(&(0..usize::MAX), 5, 4),
            0..4,
            "the whole picture at once"
        );
    }
}
