//! 3MF: every build item, with its transform and its components' transforms, as parts named
//! after their objects and coloured by their base material. Transforms follow the 3MF core
//! spec (row vectors, `p' = p · M`, translation in the last row). The archive is checked for
//! decompression bombs before it is parsed.

use std::io::Cursor;

use super::normals::smooth;
use super::{LoadError, MAX_TRIANGLES, MeshFormat, Model, Part, srgb_to_linear};

/// Most bytes the archive may unpack to (its declared sizes, checked before reading).
const MAX_UNPACKED_BYTES: u64 = 1 << 30;
/// Deepest component nesting followed.
const MAX_DEPTH: usize = 16;
const IDENTITY: [f64; 12] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0];

fn malformed(reason: impl Into<String>) -> LoadError {
    LoadError::malformed(MeshFormat::ThreeMf, reason)
}

fn linear(t: &[f64; 12], p: [f64; 3]) -> [f64; 3] {
    [
        p[0] * t[0] + p[1] * t[3] + p[2] * t[6],
        p[0] * t[1] + p[1] * t[4] + p[2] * t[7],
        p[0] * t[2] + p[1] * t[5] + p[2] * t[8],
    ]
}

fn apply(t: &[f64; 12], p: [f64; 3]) -> [f64; 3] {
    let l = linear(t, p);
    [l[0] + t[9], l[1] + t[10], l[2] + t[11]]
}

/// `inner` first, then `outer`.
fn compose(inner: &[f64; 12], outer: &[f64; 12]) -> [f64; 12] {
    let mut out = [0.0; 12];
    for row in 0..3 {
        out[row * 3..row * 3 + 3].copy_from_slice(&linear(
            outer,
            [inner[row * 3], inner[row * 3 + 1], inner[row * 3 + 2]],
        ));
    }
    out[9..12].copy_from_slice(&apply(outer, [inner[9], inner[10], inner[11]]));
    out
}

fn determinant(t: &[f64; 12]) -> f64 {
    t[0] * (t[4] * t[8] - t[5] * t[7]) - t[1] * (t[3] * t[8] - t[5] * t[6])
        + t[2] * (t[3] * t[7] - t[4] * t[6])
}

/// Refuses archives that declare more than [`MAX_UNPACKED_BYTES`] (a zip bomb).
fn check_archive(bytes: &[u8]) -> Result<(), LoadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| malformed(format!("it is not a 3MF (zip) package: {e}")))?;
    let mut total = 0u64;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|e| malformed(e.to_string()))?;
        total = total.saturating_add(entry.size());
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(LoadError::TooLarge {
            format: "3MF",
            reason: format!("it unpacks to {} MiB", total >> 20),
        });
    }
    Ok(())
}

/// Loads a 3MF file.
pub fn load(bytes: &[u8]) -> Result<Model, LoadError> {
    check_archive(bytes)?;
    let model =
        lib3mf::Model::from_reader(Cursor::new(bytes)).map_err(|e| malformed(e.to_string()))?;
    let colour_of = |object: &lib3mf::Object| -> [f32; 4] {
        let pid = object.pid.or(object.basematerialid);
        let group = pid.and_then(|pid| {
            model
                .resources
                .base_material_groups
                .iter()
                .find(|g| g.id == pid)
        });
        let material = group.and_then(|g| g.materials.get(object.pindex.unwrap_or(0)));
        material.map_or([0.55, 0.57, 0.6, 1.0], |m| {
            let (r, g, b, a) = m.displaycolor;
            [
                srgb_to_linear(f32::from(r) / 255.0),
                srgb_to_linear(f32::from(g) / 255.0),
                srgb_to_linear(f32::from(b) / 255.0),
                f32::from(a) / 255.0,
            ]
        })
    };
    let mut parts = Vec::new();
    let mut triangles = 0usize;
    for item in &model.build.items {
        let mut stack = vec![(item.objectid, item.transform.unwrap_or(IDENTITY), 0usize)];
        while let Some((object_id, transform, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                return Err(malformed(format!(
                    "its components are nested more than {MAX_DEPTH} deep"
                )));
            }
            let object = model
                .resources
                .objects
                .iter()
                .find(|o| o.id == object_id)
                .ok_or_else(|| {
                    malformed(format!(
                        "a build item names object {object_id}, which does not exist"
                    ))
                })?;
            if let Some(mesh) = &object.mesh {
                triangles += mesh.triangles.len();
                if triangles > MAX_TRIANGLES {
                    return Err(LoadError::TooLarge {
                        format: "3MF",
                        reason: format!("over {MAX_TRIANGLES} triangles"),
                    });
                }
                let positions: Vec<[f32; 3]> = mesh
                    .vertices
                    .iter()
                    .map(|v| apply(&transform, [v.x, v.y, v.z]).map(|c| c as f32))
                    .collect();
                let mirrored = determinant(&transform) < 0.0;
                let mut indices = Vec::with_capacity(mesh.triangles.len() * 3);
                for t in &mesh.triangles {
                    if [t.v1, t.v2, t.v3].iter().any(|&v| v >= positions.len()) {
                        return Err(malformed(format!(
                            "object {object_id} has a triangle outside its vertices"
                        )));
                    }
                    let (b, c) = if mirrored { (t.v3, t.v2) } else { (t.v2, t.v3) };
                    indices.extend_from_slice(&[t.v1 as u32, b as u32, c as u32]);
                }
                // 3MF meshes share vertices within a surface: smooth normals follow them.
                let normals = smooth(&positions, &indices);
                let name = object
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("object {object_id}"));
                parts.push(Part::new(
                    name,
                    positions,
                    normals,
                    indices,
                    colour_of(object),
                ));
            }
            for component in &object.components {
                stack.push((
                    component.objectid,
                    compose(&component.transform.unwrap_or(IDENTITY), &transform),
                    depth + 1,
                ));
            }
        }
    }
    Ok(Model::new(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transforms_follow_the_spec_row_vector_convention() {
        let lift = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 24.0];
        assert_eq!(apply(&lift, [1.0, 2.0, 3.0]), [1.0, 2.0, 27.0]);
        // A quarter turn about Z (x → y), then the lift.
        let turn = [0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0];
        assert_eq!(
            apply(&compose(&turn, &lift), [1.0, 0.0, 0.0]),
            [0.0, 1.0, 24.0]
        );
        assert!(load(b"PK not really").is_err());
    }
}
