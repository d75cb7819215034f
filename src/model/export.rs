//! Writing a model as a printer wants it: binary STL (one mesh, no unit: millimetres by custom)
//! or 3MF (one object per part, with its name and colour, in millimetres); or as viewers and
//! the web want it: GLB (a mesh and a material per part, in metres, Y up). A job gives one
//! format; this makes the others here instead of a second paid job.
//!
//! Each part's vertices are joined where they are the same point: OpenCascade meshes an edge
//! two faces share alike on both, so the mesh of a closed solid comes out closed (a slicer
//! repairs nothing), and a 3MF's shared vertices stay shared.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;

use super::{Model, Units};

/// A format a model can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Binary STL.
    Stl,
    /// 3MF (core specification).
    ThreeMf,
    /// Binary glTF 2.0 (metres, Y up, as glTF has them).
    Glb,
}

impl ExportFormat {
    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Stl => "stl",
            Self::ThreeMf => "3mf",
            Self::Glb => "glb",
        }
    }

    /// The format a file name asks for, by its extension.
    pub fn of_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_string_lossy().to_ascii_lowercase();
        match extension.as_str() {
            "stl" => Some(Self::Stl),
            "3mf" => Some(Self::ThreeMf),
            "glb" => Some(Self::Glb),
            _ => None,
        }
    }
}

/// Why a model was not written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Nothing to write.
    #[error("the part has no triangles to write")]
    Empty,
    /// The file could not be written.
    #[error("{path} could not be written: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// Whether a model read from `path` has Y up (glTF's convention; the other formats have Z up,
/// as CAD programs and slicers do).
pub fn read_with_y_up(path: &Path) -> bool {
    super::MeshFormat::from_path(path) == Some(super::MeshFormat::Glb)
}

/// Writes `model` (read with Y up if `y_up`: see [`read_with_y_up`]) to `out` in `format`,
/// turned to the format's up axis, whole or not at all.
pub fn write(
    model: &Model,
    y_up: bool,
    format: ExportFormat,
    out: &Path,
) -> Result<(), ExportError> {
    if model.triangles() == 0 {
        return Err(ExportError::Empty);
    }
    let turn = match (y_up, format) {
        (true, ExportFormat::Stl | ExportFormat::ThreeMf) => Turn::YUpToZUp,
        (false, ExportFormat::Glb) => Turn::ZUpToYUp,
        _ => Turn::None,
    };
    let parts = welded_parts(model, turn);
    let bytes = match format {
        ExportFormat::Stl => stl_bytes(&parts),
        ExportFormat::ThreeMf => three_mf_bytes(&parts).map_err(|source| io_error(out, source))?,
        ExportFormat::Glb => glb_bytes(&parts),
    };
    crate::atomic_file::write(out, &bytes).map_err(|source| io_error(out, source))
}

fn io_error(path: &Path, source: std::io::Error) -> ExportError {
    ExportError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Millimetres per unit of the model's coordinates.
fn to_mm(units: Units) -> f32 {
    match units {
        Units::Metres => 1000.0,
        Units::Millimetres | Units::Unstated => 1.0,
    }
}

/// A part's mesh with each point once: positions (in mm) and triangles indexing them.
/// Triangles left with two corners on one point (slivers) are dropped.
struct Welded {
    name: String,
    color: [f32; 4],
    positions: Vec<[f32; 3]>,
    triangles: Vec<[u32; 3]>,
}

/// How points are turned on the way out.
#[derive(Clone, Copy)]
enum Turn {
    None,
    YUpToZUp,
    ZUpToYUp,
}

fn welded_parts(model: &Model, turn: Turn) -> Vec<Welded> {
    let scale = to_mm(model.units);
    model
        .parts
        .iter()
        .filter(|part| part.triangles() > 0)
        .map(|part| {
            let mut index_of: HashMap<[u32; 3], u32> = HashMap::new();
            let mut positions = Vec::new();
            let mut joined = |p: [f32; 3]| {
                let [x, y, z] = p.map(|v| v * scale);
                let p = match turn {
                    Turn::None => [x, y, z],
                    Turn::YUpToZUp => [x, -z, y],
                    Turn::ZUpToYUp => [x, z, -y],
                };
                // -0.0 and 0.0 are one point.
                let key = p.map(|v| (v + 0.0).to_bits());
                *index_of.entry(key).or_insert_with(|| {
                    positions.push(p);
                    (positions.len() - 1) as u32
                })
            };
            let triangles = part
                .indices
                .chunks_exact(3)
                .map(|t| {
                    let corner = |k: usize| part.positions[t[k] as usize];
                    [joined(corner(0)), joined(corner(1)), joined(corner(2))]
                })
                .filter(|[a, b, c]| a != b && b != c && a != c)
                .collect::<Vec<_>>();
            Welded {
                name: part.name.clone(),
                color: part.color,
                positions,
                triangles,
            }
        })
        .collect()
}

fn stl_bytes(parts: &[Welded]) -> Vec<u8> {
    let count: usize = parts.iter().map(|p| p.triangles.len()).sum();
    let mut out = Vec::with_capacity(84 + count * 50);
    // Not "solid …": readers take a header starting so for ASCII STL.
    let mut header = [b' '; 80];
    let text = b"binary STL written by Makistry Desktop; units: millimetres";
    header[..text.len()].copy_from_slice(text);
    out.extend_from_slice(&header);
    out.extend_from_slice(&u32::try_from(count).unwrap_or(u32::MAX).to_le_bytes());
    for part in parts {
        for triangle in &part.triangles {
            let [a, b, c] = triangle.map(|i| part.positions[i as usize]);
            for value in face_normal(a, b, c).into_iter().chain(a).chain(b).chain(c) {
                out.extend_from_slice(&value.to_le_bytes());
            }
            out.extend_from_slice(&[0, 0]);
        }
    }
    out
}

fn face_normal(a: [f32; 3], b: [f32; 3], c: [f32; 3]) -> [f32; 3] {
    let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    let n = [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ];
    let length = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    if length > 0.0 {
        n.map(|x| x / length)
    } else {
        [0.0; 3]
    }
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>
"#;

const RELATIONSHIPS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>
"#;

fn three_mf_bytes(parts: &[Welded]) -> std::io::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES.to_string()),
        ("_rels/.rels", RELATIONSHIPS.to_string()),
        ("3D/3dmodel.model", model_xml(parts)),
    ] {
        zip.start_file(name, options)
            .map_err(std::io::Error::other)?;
        zip.write_all(text.as_bytes())?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

/// The 3MF model part: a base material per part (its colour), an object per part, and a build
/// item for each.
fn model_xml(parts: &[Welded]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<model unit=\"millimeter\" xml:lang=\"en-US\" \
         xmlns=\"http://schemas.microsoft.com/3dmanufacturing/core/2015/02\">\n\
         <metadata name=\"Application\">Makistry Desktop</metadata>\n<resources>\n\
         <basematerials id=\"1\">\n",
    );
    for part in parts {
        xml += &format!(
            "<base name=\"{}\" displaycolor=\"{}\"/>\n",
            escape(&part.name),
            srgb_hex(part.color)
        );
    }
    xml += "</basematerials>\n";
    for (index, part) in parts.iter().enumerate() {
        xml += &format!(
            "<object id=\"{}\" name=\"{}\" type=\"model\" pid=\"1\" pindex=\"{index}\">\n<mesh>\n<vertices>\n",
            index + 2,
            escape(&part.name)
        );
        for [x, y, z] in &part.positions {
            xml += &format!("<vertex x=\"{x}\" y=\"{y}\" z=\"{z}\"/>\n");
        }
        xml += "</vertices>\n<triangles>\n";
        for [a, b, c] in &part.triangles {
            xml += &format!("<triangle v1=\"{a}\" v2=\"{b}\" v3=\"{c}\"/>\n");
        }
        xml += "</triangles>\n</mesh>\n</object>\n";
    }
    xml += "</resources>\n<build>\n";
    for index in 0..parts.len() {
        xml += &format!("<item objectid=\"{}\"/>\n", index + 2);
    }
    xml + "</build>\n</model>\n"
}

/// A GLB: a node, mesh and material per part; positions in metres (already turned Y up), no
/// normals (viewers shade the faces flat, as the spec says).
fn glb_bytes(parts: &[Welded]) -> Vec<u8> {
    let mut bin: Vec<u8> = Vec::new();
    let (mut nodes, mut meshes, mut materials) = (Vec::new(), Vec::new(), Vec::new());
    let (mut views, mut accessors) = (Vec::new(), Vec::new());
    for (index, part) in parts.iter().enumerate() {
        let metres: Vec<[f32; 3]> = (part.positions.iter())
            .map(|p| p.map(|v| v / 1000.0))
            .collect();
        let (mut min, mut max) = ([f32::MAX; 3], [f32::MIN; 3]);
        for p in &metres {
            for axis in 0..3 {
                min[axis] = min[axis].min(p[axis]);
                max[axis] = max[axis].max(p[axis]);
            }
        }
        let start = bin.len();
        bin.extend(metres.iter().flatten().flat_map(|v| v.to_le_bytes()));
        views.push(serde_json::json!({"buffer": 0, "byteOffset": start, "byteLength": bin.len() - start, "target": 34962}));
        accessors.push(serde_json::json!({"bufferView": views.len() - 1, "componentType": 5126, "count": metres.len(), "type": "VEC3", "min": min, "max": max}));
        let start = bin.len();
        bin.extend(
            part.triangles
                .iter()
                .flatten()
                .flat_map(|i| i.to_le_bytes()),
        );
        views.push(serde_json::json!({"buffer": 0, "byteOffset": start, "byteLength": bin.len() - start, "target": 34963}));
        accessors.push(serde_json::json!({"bufferView": views.len() - 1, "componentType": 5125, "count": part.triangles.len() * 3, "type": "SCALAR"}));
        materials.push(serde_json::json!({"name": part.name, "pbrMetallicRoughness": {"baseColorFactor": part.color, "metallicFactor": 0.0, "roughnessFactor": 0.8}}));
        meshes.push(serde_json::json!({"name": part.name, "primitives": [{"attributes": {"POSITION": accessors.len() - 2}, "indices": accessors.len() - 1, "material": index}]}));
        nodes.push(serde_json::json!({"name": part.name, "mesh": index}));
    }
    let json = serde_json::json!({
        "asset": {"version": "2.0", "generator": "Makistry Desktop"},
        "scene": 0,
        "scenes": [{"nodes": (0..nodes.len()).collect::<Vec<_>>()}],
        "nodes": nodes, "meshes": meshes, "materials": materials,
        "buffers": [{"byteLength": bin.len()}],
        "bufferViews": views, "accessors": accessors,
    });
    let mut json = json.to_string().into_bytes();
    json.resize(json.len().next_multiple_of(4), b' ');
    bin.resize(bin.len().next_multiple_of(4), 0);
    let total = 12 + 8 + json.len() + 8 + bin.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    for word in [2, total, json.len()] {
        out.extend_from_slice(&u32::try_from(word).unwrap_or(u32::MAX).to_le_bytes());
    }
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json);
    out.extend_from_slice(&u32::try_from(bin.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin);
    out
}

fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// "#RRGGBBAA" of a linear colour.
fn srgb_hex(linear: [f32; 4]) -> String {
    let encode = |c: f32| {
        let c = c.clamp(0.0, 1.0);
        let s = if c <= 0.003_130_8 {
            c * 12.92
        } else {
            1.055 * c.powf(1.0 / 2.4) - 0.055
        };
        (s * 255.0).round() as u8
    };
    let [r, g, b, a] = linear;
    format!(
        "#{:02X}{:02X}{:02X}{:02X}",
        encode(r),
        encode(g),
        encode(b),
        (a.clamp(0.0, 1.0) * 255.0).round() as u8
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Part;

    #[test]
    fn shared_points_are_joined_and_slivers_dropped() {
        // Two triangles of a square, each with its own copies of the shared corners, and a
        // sliver; in metres.
        let positions = vec![
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [1.0, 1.0, 0.0],
            [-0.0, 0.0, 0.0],
            [1.0, 1.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 1.0, 0.0],
        ];
        let part = Part::new(
            "plate".into(),
            positions,
            Vec::new(),
            vec![0, 1, 2, 3, 4, 5, 5, 6, 0],
            [1.0; 4],
        );
        let mut model = Model::new(vec![part]);
        model.units = Units::Metres;
        let [welded] = welded_parts(&model, Turn::None)
            .try_into()
            .ok()
            .unwrap_or_else(|| panic!("one part"));
        assert_eq!(welded.positions.len(), 4, "each corner once");
        assert_eq!(welded.triangles.len(), 2, "the sliver dropped");
        assert!(
            welded.positions.contains(&[1000.0, 1000.0, 0.0]),
            "in millimetres"
        );
    }

    #[test]
    fn colours_are_written_in_srgb() {
        assert_eq!(srgb_hex([1.0, 0.0, 0.214_041_14, 1.0]), "#FF0080FF");
    }
}
