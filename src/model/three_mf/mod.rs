//! 3MF as real exporters write it (CadQuery, PrusaSlicer, Bambu Studio, Cura, trimesh): every
//! build item with its transform and its components' transforms — also components in other
//! model parts (the production extension Bambu Studio uses) — as parts named after their
//! objects, in millimetres whatever the file's unit, coloured by their base material or colour
//! group (an object whose triangles mix colours takes the one most of them use).
//!
//! As lenient as trimesh and PrusaSlicer: the content types are not checked, ids may be zero or
//! sparse, materials may be missing. Refused are only files that cannot be meshed: not a zip,
//! no model part, XML that does not parse, a triangle outside its vertices. Transforms follow
//! the core spec (row vectors, `p' = p · M`, translation in the last row). The archive is
//! checked for decompression bombs before it is read.

mod xml;

use std::collections::HashMap;
use std::io::{BufReader, Cursor, Read};

use super::normals::smooth;
use super::{LoadError, MAX_TRIANGLES, MeshFormat, Model, Part, srgb_to_linear};
use xml::{Mesh, ModelPart, Object, Transform};

/// Most bytes the archive may unpack to (its declared sizes, checked before reading).
const MAX_UNPACKED_BYTES: u64 = 1 << 30;
/// Deepest component nesting followed.
const MAX_DEPTH: usize = 16;
/// Colour of a part the file gives none (linear).
const DEFAULT_COLOUR: [f32; 4] = [0.55, 0.57, 0.6, 1.0];
/// Where the core spec says the root model usually is.
const USUAL_ROOT: &str = "3D/3dmodel.model";

fn malformed(reason: impl Into<String>) -> LoadError {
    LoadError::malformed(MeshFormat::ThreeMf, reason)
}

fn linear(t: &Transform, p: [f64; 3]) -> [f64; 3] {
    [
        p[0] * t[0] + p[1] * t[3] + p[2] * t[6],
        p[0] * t[1] + p[1] * t[4] + p[2] * t[7],
        p[0] * t[2] + p[1] * t[5] + p[2] * t[8],
    ]
}

fn apply(t: &Transform, p: [f64; 3]) -> [f64; 3] {
    let l = linear(t, p);
    [l[0] + t[9], l[1] + t[10], l[2] + t[11]]
}

/// `inner` first, then `outer`.
fn compose(inner: &Transform, outer: &Transform) -> Transform {
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

fn determinant(t: &Transform) -> f64 {
    t[0] * (t[4] * t[8] - t[5] * t[7]) - t[1] * (t[3] * t[8] - t[5] * t[6])
        + t[2] * (t[3] * t[7] - t[4] * t[6])
}

/// A part's name inside the package, as the archive spells it: no leading slash, any case.
fn normalise(path: &str) -> String {
    path.trim_start_matches('/')
        .replace('\\', "/")
        .to_ascii_lowercase()
}

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// Opens the package, refusing archives that declare more than [`MAX_UNPACKED_BYTES`].
fn open_archive(bytes: &[u8]) -> Result<Archive<'_>, LoadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
        malformed("it is not a 3MF package (a 3MF file is a zip archive, and this one is not)")
    })?;
    let mut total = 0u64;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|e| malformed(format!("its archive is damaged ({e})")))?;
        total = total.saturating_add(entry.size());
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(LoadError::TooLarge {
            format: MeshFormat::ThreeMf,
            reason: format!("it unpacks to {} MiB", total >> 20),
        });
    }
    Ok(archive)
}

/// The archive's entry names by their normalised form.
fn entry_names(archive: &Archive<'_>) -> HashMap<String, String> {
    archive
        .file_names()
        .map(|name| (normalise(name), name.to_string()))
        .collect()
}

fn read_entry(archive: &mut Archive<'_>, name: &str) -> Result<Vec<u8>, LoadError> {
    let mut entry = archive
        .by_name(name)
        .map_err(|e| malformed(format!("its part {name} cannot be opened ({e})")))?;
    let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
    entry
        .read_to_end(&mut bytes)
        .map_err(|e| malformed(format!("its part {name} is damaged ({e})")))?;
    Ok(bytes)
}

/// The root model part: the target of the package's 3D-model relationship, else the usual
/// name, else the only `.model` part there is.
fn root_model(archive: &mut Archive<'_>, names: &HashMap<String, String>) -> Option<String> {
    if let Some(rels) = names.get("_rels/.rels")
        && let Ok(bytes) = read_entry(archive, &rels.clone())
    {
        let text = String::from_utf8_lossy(&bytes);
        let target = text.split("<Relationship").skip(1).find_map(|element| {
            let value = |key: &str| {
                let start = element.find(&format!("{key}=\""))? + key.len() + 2;
                element[start..].split('"').next()
            };
            value("Type")
                .filter(|t| t.ends_with("/3dmodel"))
                .and(value("Target"))
                .map(normalise)
        });
        if let Some(target) = target.filter(|t| names.contains_key(t)) {
            return Some(target);
        }
    }
    if names.contains_key(&USUAL_ROOT.to_ascii_lowercase()) {
        return Some(USUAL_ROOT.to_ascii_lowercase());
    }
    let mut models = names.keys().filter(|n| n.ends_with(".model"));
    match (models.next(), models.next()) {
        (Some(only), None) => Some(only.clone()),
        _ => None,
    }
}

/// Model parts by normalised name, read as the build asks for them.
struct Package<'a> {
    archive: Archive<'a>,
    names: HashMap<String, String>,
    parts: HashMap<String, ModelPart>,
}

impl Package<'_> {
    fn part(&mut self, path: &str) -> Result<&ModelPart, LoadError> {
        if !self.parts.contains_key(path) {
            let name = self
                .names
                .get(path)
                .ok_or_else(|| malformed(format!("it refers to a part {path} it does not hold")))?
                .clone();
            let entry = self
                .archive
                .by_name(&name)
                .map_err(|e| malformed(format!("its part {name} cannot be opened ({e})")))?;
            let part = xml::read(BufReader::new(entry)).map_err(|e| malformed(e.0))?;
            self.parts.insert(path.to_string(), part);
        }
        self.parts
            .get(path)
            .ok_or_else(|| malformed(format!("its part {path} cannot be read")))
    }
}

/// The colour an object shows, linear RGBA.
fn colour_of(object: &Object, colours: &HashMap<u32, Vec<[f32; 4]>>) -> [f32; 4] {
    let most_used = object.mesh.as_ref().and_then(|mesh| {
        mesh.colour_uses
            .iter()
            .max_by_key(|(key, count)| (**count, std::cmp::Reverse(**key)))
            .map(|(key, _)| *key)
    });
    most_used
        .or(object.colour)
        .and_then(|(group, index)| colours.get(&group)?.get(index as usize).copied())
        .map_or(DEFAULT_COLOUR, |c| {
            [
                srgb_to_linear(c[0]),
                srgb_to_linear(c[1]),
                srgb_to_linear(c[2]),
                c[3],
            ]
        })
}

/// One object's mesh, placed by `transform` and scaled to millimetres.
fn place(
    object_id: u32,
    object: &Object,
    transform: &Transform,
    colours: &HashMap<u32, Vec<[f32; 4]>>,
) -> Result<Option<Part>, LoadError> {
    let Some(mesh) = object.mesh.as_ref().filter(|m| !m.triangles.is_empty()) else {
        return Ok(None);
    };
    let positions: Vec<[f32; 3]> = mesh
        .vertices
        .iter()
        .map(|v| apply(transform, v.map(f64::from)).map(|c| c as f32))
        .collect();
    let mirrored = determinant(transform) < 0.0;
    let mut indices = Vec::with_capacity(mesh.triangles.len() * 3);
    for &[a, b, c] in &mesh.triangles {
        if [a, b, c].iter().any(|&v| v as usize >= positions.len()) {
            return Err(malformed(format!(
                "object {object_id} has a triangle whose corner is not one of its {} vertices",
                positions.len()
            )));
        }
        let (b, c) = if mirrored { (c, b) } else { (b, c) };
        indices.extend_from_slice(&[a, b, c]);
    }
    // 3MF meshes share vertices within a surface: smooth normals follow them.
    let normals = smooth(&positions, &indices);
    let name = object
        .name
        .clone()
        .unwrap_or_else(|| format!("object {object_id}"));
    let colour = colour_of(object, colours);
    let part = match corner_colours(mesh, colours, colour, mirrored) {
        Some(corners) => {
            // Each corner its own vertex, so that a colour stops at its triangle's edge.
            let positions = indices.iter().map(|&v| positions[v as usize]).collect();
            let normals = indices.iter().map(|&v| normals[v as usize]).collect();
            let sequence = (0..indices.len() as u32).collect();
            Part::new(name, positions, normals, sequence, colour).with_vertex_colors(corners)
        }
        None => Part::new(name, positions, normals, indices, colour),
    };
    Ok(Some(part))
}

/// The colour of each triangle's corners, linear RGBA, in the order the part's indices have
/// them (`mirrored`: the second and third swapped); `None` when they are all one colour. A
/// corner whose colour is not a colour (a texture, a multi-property) takes `fallback`.
fn corner_colours(
    mesh: &Mesh,
    colours: &HashMap<u32, Vec<[f32; 4]>>,
    fallback: [f32; 4],
    mirrored: bool,
) -> Option<Vec<[f32; 4]>> {
    if mesh.corner_colours.is_empty() {
        return None;
    }
    let mut linear: HashMap<(u32, u32), [f32; 4]> = HashMap::new();
    let mut resolve = |key: (u32, u32)| {
        *linear.entry(key).or_insert_with(|| {
            colours
                .get(&key.0)
                .and_then(|group| group.get(key.1 as usize))
                .map_or(fallback, |c| {
                    [
                        srgb_to_linear(c[0]),
                        srgb_to_linear(c[1]),
                        srgb_to_linear(c[2]),
                        c[3],
                    ]
                })
        })
    };
    let mut out = Vec::with_capacity(mesh.triangles.len() * 3);
    for [a, b, c] in &mesh.corner_colours {
        let (b, c) = if mirrored { (c, b) } else { (b, c) };
        out.extend([resolve(*a), resolve(*b), resolve(*c)]);
    }
    let first = out.first().copied();
    (out.len() == mesh.triangles.len() * 3 && out.iter().any(|c| Some(*c) != first)).then_some(out)
}

/// Loads a 3MF file.
pub fn load(bytes: &[u8]) -> Result<Model, LoadError> {
    let mut archive = open_archive(bytes)?;
    let names = entry_names(&archive);
    let root = root_model(&mut archive, &names)
        .ok_or_else(|| malformed("it holds no 3D model (no .model part)"))?;
    let mut package = Package {
        archive,
        names,
        parts: HashMap::new(),
    };
    let root_part = package.part(&root)?;
    let scale = root_part.unit_mm;
    let to_mm: Transform = [
        scale, 0.0, 0.0, 0.0, scale, 0.0, 0.0, 0.0, scale, 0.0, 0.0, 0.0,
    ];
    let items = root_part.items.clone();
    let mut parts = Vec::new();
    let mut triangles = 0usize;
    for item in items {
        let placed = compose(&item.transform, &to_mm);
        let path = item.path.as_deref().map_or(root.clone(), normalise);
        let mut stack = vec![(path, item.id, placed, 0usize)];
        while let Some((path, object_id, transform, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                return Err(malformed(format!(
                    "its components are nested more than {MAX_DEPTH} deep"
                )));
            }
            let part = package.part(&path)?;
            let Some(object) = part.objects.get(&object_id) else {
                // A dangling reference shows nothing; the rest of the build still shows.
                tracing::warn!("3MF: object {object_id} in {path} does not exist");
                continue;
            };
            if let Some(placed) = place(object_id, object, &transform, &part.colours)? {
                triangles += placed.triangles();
                if triangles > MAX_TRIANGLES {
                    return Err(LoadError::TooLarge {
                        format: MeshFormat::ThreeMf,
                        reason: format!("over {MAX_TRIANGLES} triangles"),
                    });
                }
                parts.push(placed);
            }
            for component in object.components.iter().rev() {
                let inner_path = component.path.as_deref().map_or(path.clone(), normalise);
                let inner = compose(&component.transform, &transform);
                stack.push((inner_path, component.id, inner, depth + 1));
            }
        }
    }
    if parts.is_empty() {
        return Err(LoadError::NothingToShow {
            format: MeshFormat::ThreeMf,
            reason: "its build places no triangle mesh (beam lattices and slices are not shown)"
                .into(),
        });
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
        assert_eq!(compose(&xml::IDENTITY, &lift), lift);
        assert!(load(b"PK not really").is_err());
    }
}
