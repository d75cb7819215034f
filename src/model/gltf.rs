//! GLB (binary glTF 2.0): every mesh of the default scene's node tree, with its node's world
//! transform applied, as one part named after the mesh (or its node), coloured by its first
//! material's base colour. Only data inside the file is read: a GLB that points at external
//! files is refused, and buffers shorter than they claim are caught before any accessor is read.

use gltf::mesh::Mode;
use gltf::{Document, Glb};

use super::Units;
use super::normals::{normalize, smooth};
use super::{LoadError, MAX_TRIANGLES, MeshFormat, Model, Part};

type Mat4 = [[f32; 4]; 4];

const IDENTITY: Mat4 = [
    [1.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 0.0, 1.0, 0.0],
    [0.0, 0.0, 0.0, 1.0],
];

fn malformed(reason: impl Into<String>) -> LoadError {
    LoadError::malformed(MeshFormat::Glb, reason)
}

/// `a × b`, column-major as glTF stores matrices.
fn multiply(a: &Mat4, b: &Mat4) -> Mat4 {
    let mut out = [[0.0; 4]; 4];
    for (col, out_col) in out.iter_mut().enumerate() {
        for (row, value) in out_col.iter_mut().enumerate() {
            *value = (0..4).map(|k| a[k][row] * b[col][k]).sum();
        }
    }
    out
}

fn transform_point(m: &Mat4, p: [f32; 3]) -> [f32; 3] {
    [0, 1, 2].map(|row| m[0][row] * p[0] + m[1][row] * p[1] + m[2][row] * p[2] + m[3][row])
}

/// The inverse transpose of the 3×3 part (for normals), or `None` if it is singular.
fn normal_matrix(m: &Mat4) -> Option<[[f32; 3]; 3]> {
    let a = |r: usize, c: usize| m[c][r];
    let det = a(0, 0) * (a(1, 1) * a(2, 2) - a(1, 2) * a(2, 1))
        - a(0, 1) * (a(1, 0) * a(2, 2) - a(1, 2) * a(2, 0))
        + a(0, 2) * (a(1, 0) * a(2, 1) - a(1, 1) * a(2, 0));
    if det.abs() < f32::MIN_POSITIVE {
        return None;
    }
    // Cofactor matrix / det = inverse transpose.
    let cof = |r: usize, c: usize| {
        let (r1, r2) = ((r + 1) % 3, (r + 2) % 3);
        let (c1, c2) = ((c + 1) % 3, (c + 2) % 3);
        a(r1, c1) * a(r2, c2) - a(r1, c2) * a(r2, c1)
    };
    Some([0, 1, 2].map(|r| [0, 1, 2].map(|c| cof(r, c) / det)))
}

/// Loads a GLB file.
pub fn load(bytes: &[u8]) -> Result<Model, LoadError> {
    if bytes.len() >= 8 && &bytes[0..4] == b"glTF" && bytes[4..8] == 1u32.to_le_bytes() {
        return Err(LoadError::NotYetReadable {
            format: MeshFormat::Glb,
            feature: "glTF 1.0, the obsolete first version of glTF".into(),
        });
    }
    // Glb borrows the binary chunk; Gltf::from_slice would copy it (23 MB for 1.3 M triangles).
    let glb = Glb::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    // Compressed, quantized and embedded data made plain first (only where the file has any).
    let prepared = super::gltf_prepare::prepare(&glb.json, glb.bin.as_deref())?;
    let root =
        gltf::json::Root::from_slice(&prepared.json).map_err(|e| malformed(e.to_string()))?;
    // glTF's unit is the metre, but OpenCascade's writer (CadQuery's, so Makistry's) writes
    // the document's millimetres as they are.
    let units = match root.asset.generator.as_deref() {
        Some(g) if g.starts_with("Open CASCADE") => Units::Millimetres,
        _ => Units::Metres,
    };
    let gltf = Document::from_json(root).map_err(|e| malformed(e.to_string()))?;
    let buffers: Vec<&[u8]> = prepared.buffers.iter().map(AsRef::as_ref).collect();
    let scene = gltf.default_scene().or_else(|| gltf.scenes().next());
    let Some(scene) = scene else {
        let mut empty = Model::new(Vec::new());
        empty.units = units;
        return Ok(empty);
    };
    let identity: Mat4 = [
        [1.0, 0.0, 0.0, 0.0],
        [0.0, 1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 0.0, 1.0],
    ];
    let mut stack: Vec<(gltf::Node, Mat4, usize)> =
        scene.nodes().map(|n| (n, identity, 0)).collect();
    let mut parts = Vec::new();
    let mut triangles = 0usize;
    while let Some((node, parent, depth)) = stack.pop() {
        if depth > 64 {
            return Err(malformed("its node tree is more than 64 levels deep"));
        }
        let world = multiply(&parent, &node.transform().matrix());
        if let Some(mesh) = node.mesh() {
            let part = mesh_part(&mesh, node.name(), &world, &buffers)?;
            triangles += part.triangles();
            if triangles > MAX_TRIANGLES {
                return Err(LoadError::TooLarge {
                    format: MeshFormat::Glb,
                    reason: format!("over {MAX_TRIANGLES} triangles"),
                });
            }
            parts.push(part);
        }
        stack.extend(node.children().map(|child| (child, world, depth + 1)));
    }
    // The stack visits nodes last-first; file order reads better in a parts list.
    parts.reverse();
    let mut model = Model::new(parts);
    model.units = units;
    Ok(model)
}

/// The accessor's elements as `T`, copied in one go when they are tightly packed little-endian
/// `data_type` × `dimensions` with no sparse part; `None` means "use the generic reader".
fn read_packed<T: bytemuck::Pod>(
    accessor: &gltf::Accessor,
    buffers: &[&[u8]],
    data_type: gltf::accessor::DataType,
    dimensions: gltf::accessor::Dimensions,
) -> Option<Vec<T>> {
    if !cfg!(target_endian = "little")
        || accessor.data_type() != data_type
        || accessor.dimensions() != dimensions
        || accessor.normalized()
        || accessor.sparse().is_some()
    {
        return None;
    }
    let view = accessor.view()?;
    let element = std::mem::size_of::<T>();
    if view.stride().is_some_and(|stride| stride != element) {
        return None;
    }
    let start = view.offset().checked_add(accessor.offset())?;
    let end = start.checked_add(accessor.count().checked_mul(element)?)?;
    let data = buffers.get(view.buffer().index())?.get(start..end)?;
    // Copies into an aligned Vec whatever the source alignment.
    Some(bytemuck::pod_collect_to_vec(data))
}

/// Whether a (normal) matrix turns space inside out (a negative determinant).
fn mirrors(n: &[[f32; 3]; 3]) -> bool {
    let det = n[0][0] * (n[1][1] * n[2][2] - n[1][2] * n[2][1])
        - n[0][1] * (n[1][0] * n[2][2] - n[1][2] * n[2][0])
        + n[0][2] * (n[1][0] * n[2][1] - n[1][1] * n[2][0]);
    det < 0.0
}

/// The primitive's normals, one per vertex, if it has them. Without normals glTF asks for
/// flat shading, which the viewer derives on the GPU: such a part keeps none.
fn primitive_normals(
    primitive: &gltf::Primitive<'_>,
    buffers: &[&[u8]],
    count: usize,
) -> Option<Vec<[f32; 3]>> {
    use gltf::accessor::{DataType, Dimensions};
    let reader = primitive.reader(|buffer| buffers.get(buffer.index()).copied());
    let read = reader.read_normals().filter(|read| read.len() == count)?;
    Some(
        primitive
            .get(&gltf::Semantic::Normals)
            .and_then(|a| read_packed(&a, buffers, DataType::F32, Dimensions::Vec3))
            .unwrap_or_else(|| read.collect()),
    )
}

fn mesh_part(
    mesh: &gltf::Mesh,
    node_name: Option<&str>,
    world: &Mat4,
    buffers: &[&[u8]],
) -> Result<Part, LoadError> {
    let name = mesh
        .name()
        .or(node_name)
        .map_or_else(|| format!("mesh {}", mesh.index() + 1), str::to_string);
    let normal_matrix = normal_matrix(world);
    let mirrored = normal_matrix.as_ref().is_some_and(mirrors);
    let mut positions = Vec::new();
    let mut normals = Vec::new();
    let mut indices: Vec<u32> = Vec::new();
    let mut color = None;
    for primitive in mesh.primitives().filter(|p| p.mode() == Mode::Triangles) {
        let reader = primitive.reader(|buffer| buffers.get(buffer.index()).copied());
        let Some(read_positions) = reader.read_positions() else {
            continue;
        };
        use gltf::accessor::{DataType, Dimensions};
        let base = u32::try_from(positions.len()).map_err(|_| malformed("too many vertices"))?;
        let packed = primitive
            .get(&gltf::Semantic::Positions)
            .and_then(|a| read_packed(&a, buffers, DataType::F32, Dimensions::Vec3));
        let local: Vec<[f32; 3]> = packed.unwrap_or_else(|| read_positions.collect());
        let count = local.len();
        let packed = primitive
            .indices()
            .and_then(|a| read_packed(&a, buffers, DataType::U32, Dimensions::Scalar));
        let local_indices: Vec<u32> = match (packed, reader.read_indices()) {
            (Some(indices), _) => indices,
            (None, Some(read)) => read.into_u32().collect(),
            (None, None) => {
                (0..u32::try_from(count).map_err(|_| malformed("too many vertices"))?).collect()
            }
        };
        if local_indices.iter().any(|&i| i as usize >= count)
            || !local_indices.len().is_multiple_of(3)
        {
            return Err(malformed(format!(
                "mesh {name:?} has triangle indices outside its vertices"
            )));
        }
        let local_normals = primitive_normals(&primitive, buffers, count);
        if *world == IDENTITY && positions.is_empty() {
            // The common case (one primitive, no transform): take the data as it is.
            positions = local;
            normals = local_normals.unwrap_or_default();
            indices = local_indices;
        } else {
            // The primitives merged into one part share one kind of normals: flat while none
            // has any; once one has them, the others get smooth ones made.
            let has_normals = normals.len() == positions.len() && !positions.is_empty();
            let local_normals = match local_normals {
                Some(given) => {
                    if !has_normals && !positions.is_empty() {
                        normals = smooth(&positions, &indices);
                    }
                    given
                }
                None if has_normals => smooth(&local, &local_indices),
                None => Vec::new(),
            };
            positions.extend(local.iter().map(|p| transform_point(world, *p)));
            normals.extend(local_normals.iter().map(|n| match &normal_matrix {
                Some(m) => {
                    normalize([0, 1, 2].map(|r| m[r][0] * n[0] + m[r][1] * n[1] + m[r][2] * n[2]))
                }
                None => *n,
            }));
            for tri in local_indices.chunks_exact(3) {
                // A mirroring transform turns triangles inside out: keep them facing outwards.
                let (b, c) = if mirrored {
                    (tri[2], tri[1])
                } else {
                    (tri[1], tri[2])
                };
                indices.extend_from_slice(&[base + tri[0], base + b, base + c]);
            }
        }
        color.get_or_insert(
            primitive
                .material()
                .pbr_metallic_roughness()
                .base_color_factor(),
        );
    }
    // glTF colours are already linear.
    Ok(Part::new(
        name,
        positions,
        normals,
        indices,
        color.unwrap_or([0.8, 0.8, 0.8, 1.0]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrices_compose_and_invert_for_normals() {
        let translate: Mat4 = [
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [5.0, 0.0, 0.0, 1.0],
        ];
        let scale: Mat4 = [
            [2.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        let world = multiply(&translate, &scale);
        assert_eq!(transform_point(&world, [1.0, 1.0, 1.0]), [7.0, 1.0, 1.0]);
        let n = normal_matrix(&world).unwrap();
        assert_eq!(n[0][0], 0.5);
        assert!(load(b"glTF nonsense").is_err());
    }

    /// A primitive's positions, normals (if any) and indices.
    type Primitive<'a> = (&'a [[f32; 3]], Option<&'a [[f32; 3]]>, &'a [u32]);

    /// A GLB of one mesh whose primitives are triangles with positions, normals if given, and
    /// indices, all in one buffer.
    fn glb(primitives: &[Primitive<'_>]) -> Vec<u8> {
        let mut bin: Vec<u8> = Vec::new();
        let (mut views, mut accessors, mut json_primitives) = (vec![], vec![], vec![]);
        let mut add = |bin: &mut Vec<u8>,
                       bytes: &[u8],
                       count: usize,
                       kind: &str,
                       component: u32| {
            views.push(serde_json::json!({"buffer": 0, "byteOffset": bin.len(), "byteLength": bytes.len()}));
            bin.extend_from_slice(bytes);
            let mut accessor = serde_json::json!({"bufferView": views.len() - 1, "componentType": component, "count": count, "type": kind});
            if kind == "VEC3" {
                accessor["min"] = serde_json::json!([0.0, 0.0, 0.0]);
                accessor["max"] = serde_json::json!([1.0, 1.0, 1.0]);
            }
            accessors.push(accessor);
            accessors.len() - 1
        };
        for (positions, normals, indices) in primitives {
            let p = add(
                &mut bin,
                bytemuck::cast_slice(positions),
                positions.len(),
                "VEC3",
                5126,
            );
            let i = add(
                &mut bin,
                bytemuck::cast_slice(indices),
                indices.len(),
                "SCALAR",
                5125,
            );
            let mut attributes = serde_json::json!({"POSITION": p});
            if let Some(normals) = normals {
                attributes["NORMAL"] = add(
                    &mut bin,
                    bytemuck::cast_slice(normals),
                    normals.len(),
                    "VEC3",
                    5126,
                )
                .into();
            }
            json_primitives.push(serde_json::json!({"attributes": attributes, "indices": i}));
        }
        let json = serde_json::json!({
            "asset": {"version": "2.0"},
            "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
            "meshes": [{"primitives": json_primitives}],
            "buffers": [{"byteLength": bin.len()}],
            "bufferViews": views, "accessors": accessors,
        });
        let mut json = serde_json::to_vec(&json).unwrap();
        json.resize(json.len().next_multiple_of(4), b' ');
        bin.resize(bin.len().next_multiple_of(4), 0);
        let total = 12 + 8 + json.len() + 8 + bin.len();
        let mut out = Vec::new();
        out.extend_from_slice(b"glTF");
        for word in [2, total as u32, json.len() as u32, 0x4E4F_534A] {
            out.extend_from_slice(&u32::to_le_bytes(word));
        }
        out.extend_from_slice(&json);
        for word in [bin.len() as u32, 0x004E_4942] {
            out.extend_from_slice(&u32::to_le_bytes(word));
        }
        out.extend_from_slice(&bin);
        out
    }

    const TRIANGLE: [[f32; 3]; 3] = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
    const UP: [[f32; 3]; 3] = [[0.0, 0.0, 1.0]; 3];

    #[test]
    fn a_mesh_without_normals_is_flat_as_gltf_asks_and_mixed_primitives_all_get_normals() {
        let flat = load(&glb(&[
            (&TRIANGLE, None, &[0, 1, 2]),
            (&TRIANGLE, None, &[0, 2, 1]),
        ]));
        let part = &flat.unwrap().parts[0];
        assert_eq!((part.positions.len(), part.normals.len()), (6, 0));

        let given = load(&glb(&[(&TRIANGLE, Some(&UP), &[0, 1, 2])])).unwrap();
        assert_eq!(given.parts[0].normals, UP);

        let mixed = load(&glb(&[
            (&TRIANGLE, None, &[0, 1, 2]),
            (&TRIANGLE, Some(&UP), &[0, 1, 2]),
        ]));
        let part = &mixed.unwrap().parts[0];
        assert_eq!(part.normals.len(), part.positions.len());
        assert!(
            part.normals.iter().all(|n| (n[2] - 1.0).abs() < 1e-6),
            "{:?}",
            part.normals
        );
    }
}
