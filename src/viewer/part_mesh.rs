//! A part on the GPU, uploaded straight from the model's own arrays: no copy into three-d's
//! `CpuMesh` layout on the way (for a 1.3 M-triangle STL that copy was ~110 MB and most of the
//! upload's time), and in chunks, so a big part can go up across frames and its picture be
//! drawn a slice at a time. A part without normals (STL: every triangle is flat) uploads no
//! normals, and its material derives each triangle's normal on the GPU from the screen-space
//! slope of the surface, which is exactly the flat normal.
//!
//! [`PartMesh`] is a three-d `Geometry` (its vertex shader is three-d's mesh shader cut down to
//! positions, normals and, for a part whose faces differ in colour, a colour per vertex, which
//! three-d's fragment shaders multiply with the material's colour); [`PartMaterial`] is three-d's `PhysicalMaterial` with that one
//! change to its fragment shader for flat parts.

use three_d::{
    AxisAlignedBoundingBox, Context, EffectMaterialId, ElementBuffer, Geometry, GeometryId, Light,
    Mat4, Material, MaterialType, PhysicalMaterial, Program, RenderStates, SquareMatrix,
    VertexBuffer, Viewer,
};

use std::cell::Cell;
use std::ops::Range;

use crate::model::Part;

/// Geometry ids of our own, in three-d's range for public use (below 0x8000).
const PART_MESH_ID: u16 = 0x0D10;
/// Material ids of our own, in three-d's range for public use (below 0x5000).
const PART_MATERIAL_ID: u16 = 0x0D20;

/// Triangles per draw call and per upload step, so a big part uploads across frames.
pub const CHUNK_TRIANGLES: usize = 65_536;

/// A part's triangles on the GPU, in chunks of [`CHUNK_TRIANGLES`], each its own draw call.
/// A part whose vertices are used once each, in order (STL), has each chunk's vertices in a
/// buffer of its own, drawn with one shared index sequence, so it uploads chunk by chunk; a
/// part that shares vertices between triangles has one vertex buffer and an index buffer
/// per chunk.
pub struct PartMesh {
    context: Context,
    layout: Layout,
    /// The part has no normals (shaded flat).
    flat: bool,
    /// The part has a colour per vertex.
    colored: bool,
    /// The chunks a draw call draws (all unless a picture is drawn over several frames).
    drawn: Cell<(usize, usize)>,
    /// Triangles uploaded so far.
    uploaded: usize,
    aabb: AxisAlignedBoundingBox,
}

/// How a part's chunks sit on the GPU.
enum Layout {
    /// Shared vertices: one set of vertex buffers, an index buffer per chunk.
    Indexed {
        vertices: Vertices,
        chunks: Vec<ElementBuffer<u32>>,
    },
    /// Vertices in order: each chunk's own vertex buffers, drawn with `sequence` (0, 1, 2, …
    /// for one chunk).
    InOrder {
        chunks: Vec<Vertices>,
        sequence: ElementBuffer<u32>,
    },
}

/// Vertex buffers: positions, and normals and colours where the part has them.
struct Vertices {
    positions: VertexBuffer<[f32; 3]>,
    normals: Option<VertexBuffer<[f32; 3]>>,
    colors: Option<VertexBuffer<[f32; 4]>>,
}

impl Vertices {
    /// The buffers of `part`'s vertices in `range`.
    fn of(context: &Context, part: &Part, range: Range<usize>, flat: bool) -> Self {
        Self {
            positions: VertexBuffer::new_with_data(context, &part.positions[range.clone()]),
            normals: (!flat)
                .then(|| VertexBuffer::new_with_data(context, &part.normals[range.clone()])),
            colors: (!part.colors.is_empty())
                .then(|| VertexBuffer::new_with_data(context, &part.colors[range])),
        }
    }

    /// Hands the buffers to `program`'s attributes (each draw call disables them afterwards).
    fn use_in(&self, program: &Program) {
        program.use_vertex_attribute("position", &self.positions);
        if let Some(normals) = &self.normals
            && program.requires_attribute("normal")
        {
            program.use_vertex_attribute("normal", normals);
        }
        if let Some(colors) = &self.colors
            && program.requires_attribute("color")
        {
            program.use_vertex_attribute("color", colors);
        }
    }
}

impl PartMesh {
    /// Starts uploading the part (an indexed part's vertices go up now); its triangles are
    /// drawn as [`Self::upload_more`] adds them.
    pub fn begin(context: &Context, part: &Part) -> Self {
        let flat = part.normals.len() != part.positions.len() || part.normals.is_empty();
        let colored = part.colors.len() == part.positions.len() && !part.colors.is_empty();
        let in_order = part.indices.len() == part.positions.len()
            && part
                .indices
                .iter()
                .enumerate()
                .all(|(i, &index)| index as usize == i);
        let layout = if in_order {
            let length = (CHUNK_TRIANGLES * 3).min(part.indices.len()) as u32;
            let sequence: Vec<u32> = (0..length).collect();
            Layout::InOrder {
                chunks: Vec::new(),
                sequence: ElementBuffer::new_with_data(context, &sequence),
            }
        } else {
            Layout::Indexed {
                vertices: Vertices::of(context, part, 0..part.positions.len(), flat),
                chunks: Vec::new(),
            }
        };
        let (min, max) = (part.bounds.min, part.bounds.max);
        Self {
            context: context.clone(),
            layout,
            flat,
            colored,
            drawn: Cell::new((0, usize::MAX)),
            uploaded: 0,
            aabb: AxisAlignedBoundingBox::new_with_positions(&[v3(min), v3(max)]),
        }
    }

    /// Uploads at least one more chunk, and chunks up to `budget` triangles, of `part` (the
    /// part given to [`Self::begin`]). Returns how many triangles it uploaded: 0 once all are.
    pub fn upload_more(&mut self, part: &Part, budget: usize) -> usize {
        let total = part.indices.len() / 3;
        let start = self.uploaded;
        while self.uploaded < total && (self.uploaded == start || self.uploaded - start < budget) {
            let end = (self.uploaded + CHUNK_TRIANGLES).min(total);
            let range = self.uploaded * 3..end * 3;
            match &mut self.layout {
                Layout::Indexed { chunks, .. } => chunks.push(ElementBuffer::new_with_data(
                    &self.context,
                    &part.indices[range],
                )),
                Layout::InOrder { chunks, .. } => {
                    chunks.push(Vertices::of(&self.context, part, range, self.flat));
                }
            }
            self.uploaded = end;
        }
        self.uploaded - start
    }

    /// Chunks uploaded so far.
    pub fn chunk_count(&self) -> usize {
        match &self.layout {
            Layout::Indexed { chunks, .. } => chunks.len(),
            Layout::InOrder { chunks, .. } => chunks.len(),
        }
    }

    /// Triangles in these chunks (of those uploaded).
    pub fn triangles_in(&self, chunks: Range<usize>) -> usize {
        let end = chunks.end.min(self.chunk_count());
        let start = chunks.start.min(end);
        match &self.layout {
            Layout::Indexed { chunks, .. } => chunks[start..end]
                .iter()
                .map(|c| c.count() as usize / 3)
                .sum(),
            Layout::InOrder { chunks, .. } => chunks[start..end]
                .iter()
                .map(|v| v.positions.vertex_count() as usize / 3)
                .sum(),
        }
    }

    /// Draw calls draw only these chunks (clamped to those uploaded) from now on.
    pub fn draw_only(&self, chunks: Range<usize>) {
        self.drawn.set((chunks.start, chunks.end));
    }

    /// Every triangle of the part is uploaded.
    pub fn is_complete(&self, part: &Part) -> bool {
        self.uploaded * 3 >= part.indices.len()
    }

    /// The part has no normals: its material shades each triangle flat.
    pub fn is_flat(&self) -> bool {
        self.flat
    }
}

impl Geometry for PartMesh {
    fn draw(&self, viewer: &dyn Viewer, program: &Program, render_states: RenderStates) {
        program.use_uniform("viewProjection", viewer.projection() * viewer.view());
        program.use_uniform("modelMatrix", Mat4::identity());
        program.use_uniform_if_required("normalMatrix", Mat4::identity());
        let (start, end) = self.drawn.get();
        let end = end.min(self.chunk_count());
        let start = start.min(end);
        match &self.layout {
            Layout::Indexed { vertices, chunks } => {
                for indices in &chunks[start..end] {
                    vertices.use_in(program);
                    program.draw_elements(render_states, viewer.viewport(), indices);
                    flush(&self.context);
                }
            }
            Layout::InOrder { chunks, sequence } => {
                for vertices in &chunks[start..end] {
                    vertices.use_in(program);
                    let count = vertices.positions.vertex_count();
                    program.draw_subset_of_elements(
                        render_states,
                        viewer.viewport(),
                        sequence,
                        0,
                        count,
                    );
                    flush(&self.context);
                }
            }
        }
    }

    fn vertex_shader_source(&self) -> String {
        let normals = if self.flat {
            ""
        } else {
            "#define USE_NORMALS\n"
        };
        let colors = if self.colored {
            "#define USE_COLORS\n"
        } else {
            ""
        };
        format!("{normals}{colors}{VERTEX_SHADER}")
    }

    fn id(&self) -> GeometryId {
        GeometryId(PART_MESH_ID | u16::from(!self.flat) | (u16::from(self.colored) << 1))
    }

    fn render_with_material(
        &self,
        material: &dyn Material,
        viewer: &dyn Viewer,
        lights: &[&dyn Light],
    ) {
        if let Err(e) = three_d::render_with_material(&self.context, viewer, self, material, lights)
        {
            tracing::error!("a part could not be drawn: {e}");
        }
    }

    fn render_with_effect(
        &self,
        effect: &dyn three_d::Effect,
        viewer: &dyn Viewer,
        lights: &[&dyn Light],
        color_texture: Option<three_d::ColorTexture>,
        depth_texture: Option<three_d::DepthTexture>,
    ) {
        if let Err(e) = three_d::render_with_effect(
            &self.context,
            viewer,
            self,
            effect,
            lights,
            color_texture,
            depth_texture,
        ) {
            tracing::error!("a part could not be drawn: {e}");
        }
    }

    fn aabb(&self) -> AxisAlignedBoundingBox {
        self.aabb
    }
}

/// three-d's mesh vertex shader, with only what parts use: positions, and normals and colours
/// when given. `col` and `instance_id` are what three-d's fragment shaders read besides.
const VERTEX_SHADER: &str = "
uniform mat4 viewProjection;
uniform mat4 modelMatrix;
in vec3 position;
out vec3 pos;
#ifdef USE_NORMALS
uniform mat4 normalMatrix;
in vec3 normal;
out vec3 nor;
#endif
#ifdef USE_COLORS
in vec4 color;
#endif
out vec4 col;
flat out int instance_id;

void main()
{
    vec4 worldPosition = modelMatrix * vec4(position, 1.0);
    gl_Position = viewProjection * worldPosition;
    pos = worldPosition.xyz / worldPosition.w;
#ifdef USE_NORMALS
    nor = normalize(mat3(normalMatrix) * normal);
#endif
#ifdef USE_COLORS
    col = color;
#else
    col = vec4(1.0);
#endif
    instance_id = gl_InstanceID;
}
";

/// three-d's physical material, shading flat parts by each triangle's own normal.
pub struct PartMaterial {
    /// The physical material (colour, roughness, metalness).
    pub physical: PhysicalMaterial,
    /// The part has no normals: derive them per triangle.
    pub flat: bool,
}

/// The line of three-d's physical fragment shader that reads the interpolated normal, and the
/// flat one that replaces it: the surface's slope across the screen, whose cross product
/// points at the viewer, so the face is lit from the side it is seen from.
const SMOOTH_NORMAL: &str = "vec3 normal = normalize(gl_FrontFacing ? nor : -nor);";
const FLAT_NORMAL: &str = "vec3 normal = normalize(cross(dFdx(pos), dFdy(pos)));";

impl Material for PartMaterial {
    fn fragment_shader_source(&self, lights: &[&dyn Light]) -> String {
        let source = self.physical.fragment_shader_source(lights);
        if !self.flat {
            return source;
        }
        // The unit test below fails if a three-d upgrade changes the line replaced here.
        source
            .replace("in vec3 nor;", "")
            .replace(SMOOTH_NORMAL, FLAT_NORMAL)
    }

    fn id(&self) -> EffectMaterialId {
        if self.flat {
            EffectMaterialId(PART_MATERIAL_ID)
        } else {
            self.physical.id()
        }
    }

    fn use_uniforms(&self, program: &Program, viewer: &dyn Viewer, lights: &[&dyn Light]) {
        self.physical.use_uniforms(program, viewer, lights);
    }

    fn render_states(&self) -> RenderStates {
        self.physical.render_states()
    }

    fn material_type(&self) -> MaterialType {
        self.physical.material_type()
    }
}

/// Hands the chunk's triangles to the GL now. llvmpipe bins a whole frame's triangles before
/// its threads rasterize them; flushed chunk by chunk, it rasterizes while the next chunk is
/// set up and frees each chunk's bins: drawing the 1.3 M-triangle STL took 40–55 MB less
/// (`makistry render`'s peak: 269 → 213–227 MB), no slower. A GPU driver takes it as a hint.
#[allow(unsafe_code)]
fn flush(context: &Context) {
    use three_d::context::HasContext as _;
    // SAFETY: glFlush has no arguments and no preconditions beyond a current context, which
    // every draw call has.
    unsafe { context.flush() }
}

/// The material colour of `part`: its colour, or white where its vertices carry the colours
/// (the material multiplies them); moved toward the selection blue when `highlighted`.
pub(super) fn tint(part: &Part, highlighted: bool) -> [f32; 4] {
    let base = if part.colors.is_empty() {
        part.color
    } else {
        [1.0, 1.0, 1.0, part.color[3]]
    };
    if !highlighted {
        return base;
    }
    [
        base[0] * 0.5 + 0.1,
        base[1] * 0.5 + 0.35,
        base[2] * 0.5 + 0.6,
        base[3],
    ]
}

/// A point as three-d's vector.
pub(super) fn v3(p: [f32; 3]) -> three_d::Vec3 {
    three_d::Vec3::new(p[0], p[1], p[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_part_s_shader_derives_its_normal_and_reads_none() {
        // Fails if a three-d upgrade rewrites the line the flat shader replaces.
        let flat = PartMaterial {
            physical: PhysicalMaterial::default(),
            flat: true,
        };
        let source = flat.fragment_shader_source(&[]);
        assert!(source.contains(FLAT_NORMAL), "{source}");
        assert!(!source.contains(SMOOTH_NORMAL) && !source.contains("in vec3 nor;"));
        let smooth = PartMaterial {
            flat: false,
            ..flat
        };
        assert!(smooth.fragment_shader_source(&[]).contains(SMOOTH_NORMAL));
        assert!(smooth.id().0 != PART_MATERIAL_ID);
    }
}
