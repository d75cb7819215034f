//! Checks that CAD files are what they claim to be: STEP through a Part 21 parser written
//! here, GLB and STL through three-d-asset (a reader the app does not use), 3MF through what
//! trimesh said of the same bytes (`tests/corpus/reference.json`).

use std::collections::{BTreeMap, HashSet};

use three_d_asset::io::RawAssets;
use three_d_asset::{Geometry, Model};

/// What a STEP file holds.
#[derive(Debug)]
pub struct StepSummary {
    /// Number of `#id = …;` instances in the DATA section.
    pub instances: usize,
    /// Instance count per entity type (upper case).
    pub types: BTreeMap<String, usize>,
}

/// Splits Part 21 text into statements, honouring strings ('…' with '' escapes) and comments.
fn statements(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            current.push(c);
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    current.push('\'');
                    chars.next();
                } else {
                    in_string = false;
                }
            }
            continue;
        }
        match c {
            '\'' => {
                in_string = true;
                current.push(c);
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                loop {
                    let Some(c) = chars.next() else {
                        return Err("unterminated comment".into());
                    };
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
            }
            ';' => out.push(std::mem::take(&mut current).trim().to_string()),
            _ => current.push(c),
        }
    }
    if in_string {
        return Err("unterminated string".into());
    }
    if !current.trim().is_empty() {
        return Err(format!(
            "text after the last statement: {:?}",
            current.trim()
        ));
    }
    Ok(out)
}

/// Outside strings: checks that parentheses balance and collects `#n` references.
fn scan_parameters(body: &str) -> Result<Vec<u64>, String> {
    let mut depth = 0i32;
    let mut refs = Vec::new();
    let mut in_string = false;
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            in_string = c != b'\'';
        } else {
            match c {
                b'\'' => in_string = true,
                b'(' => depth += 1,
                b')' => depth -= 1,
                b'#' => {
                    let digits: String = body[i + 1..]
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    refs.push(
                        digits
                            .parse()
                            .map_err(|_| format!("bad reference in {body:.60}"))?,
                    );
                    i += digits.len();
                }
                _ => {}
            }
            if depth < 0 {
                return Err(format!("unbalanced parentheses in {body:.60}"));
            }
        }
        i += 1;
    }
    if depth != 0 {
        return Err(format!("unbalanced parentheses in {body:.60}"));
    }
    Ok(refs)
}

/// Parses an ISO 10303-21 exchange file: header and data sections, every instance well
/// formed, ids unique, every reference resolved.
pub fn parse_step(bytes: &[u8]) -> Result<StepSummary, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not text".to_string())?;
    let statements = statements(text)?;
    let mut iter = statements.iter().map(String::as_str);
    if iter.next() != Some("ISO-10303-21") {
        return Err("missing ISO-10303-21 header".into());
    }
    if iter.next() != Some("HEADER") {
        return Err("missing HEADER section".into());
    }
    let header: Vec<&str> = iter.by_ref().take_while(|s| *s != "ENDSEC").collect();
    for required in ["FILE_DESCRIPTION", "FILE_NAME", "FILE_SCHEMA"] {
        if !header.iter().any(|s| s.starts_with(required)) {
            return Err(format!("header lacks {required}"));
        }
    }
    if iter.next() != Some("DATA") {
        return Err("missing DATA section".into());
    }
    let mut ids = HashSet::new();
    let mut references = Vec::new();
    let mut types = BTreeMap::new();
    let mut ended = false;
    for statement in iter.by_ref() {
        if statement == "ENDSEC" {
            ended = true;
            break;
        }
        let (id, body) = statement
            .split_once('=')
            .ok_or_else(|| format!("not an instance: {statement:.60}"))?;
        let id: u64 = id
            .trim()
            .strip_prefix('#')
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("bad id: {id}"))?;
        if !ids.insert(id) {
            return Err(format!("duplicate id #{id}"));
        }
        let body = body.trim();
        references.extend(scan_parameters(body)?);
        // A simple instance starts with its type; a complex one with `(`.
        let name: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let name = if name.is_empty() {
            "(complex)".to_string()
        } else {
            name
        };
        *types.entry(name).or_insert(0) += 1;
    }
    if !ended {
        return Err("DATA section not closed".into());
    }
    if iter.next() != Some("END-ISO-10303-21") {
        return Err("missing END-ISO-10303-21".into());
    }
    if let Some(missing) = references.iter().find(|r| !ids.contains(r)) {
        return Err(format!("reference to undefined #{missing}"));
    }
    Ok(StepSummary {
        instances: ids.len(),
        types,
    })
}

/// What a mesh file holds once loaded.
#[derive(Debug)]
pub struct MeshSummary {
    /// Triangle primitives.
    pub parts: usize,
    /// Triangles over all parts.
    pub triangles: usize,
    /// Bounding box of all parts, transforms applied.
    pub min: [f32; 3],
    /// Bounding box of all parts, transforms applied.
    pub max: [f32; 3],
    /// Distinct base colours used (RGBA, 8 bit).
    pub colours: Vec<[u8; 4]>,
}

/// What the reference reader (trimesh, recorded in `tests/corpus/reference.json`) says of a
/// 3MF file with exactly these bytes: the project's own corpus or the emulator's parts.
fn three_mf_reference(bytes: &[u8]) -> Result<MeshSummary, String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/corpus/reference.json"))
        .map_err(|e| e.to_string())?;
    let references: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| e.to_string())?;
    for (file, reference) in references {
        if file.to_ascii_lowercase().ends_with(".3mf")
            && std::fs::read(root.join(&file)).is_ok_and(|known| known == bytes)
        {
            let corner = |key: &str| -> [f32; 3] {
                let values = reference[key].as_array().cloned().unwrap_or_default();
                [0, 1, 2].map(|i| values.get(i).and_then(|v| v.as_f64()).unwrap_or(0.0) as f32)
            };
            return Ok(MeshSummary {
                parts: reference["parts"].as_u64().unwrap_or(0) as usize,
                triangles: reference["triangles"].as_u64().unwrap_or(0) as usize,
                min: corner("min"),
                max: corner("max"),
                colours: Vec::new(),
            });
        }
    }
    Err("these 3MF bytes are not in tests/corpus/reference.json (run reference.py)".into())
}

/// Loads a GLB or STL file from memory with three-d-asset (the extension of `file_name` picks
/// the format); a 3MF file is looked up in the reference readers' record.
pub fn load_mesh(file_name: &str, bytes: Vec<u8>) -> Result<MeshSummary, String> {
    if file_name.ends_with(".3mf") {
        return three_mf_reference(&bytes);
    }
    let mut raw = RawAssets::new();
    raw.insert(file_name, bytes);
    let model: Model = raw.deserialize(file_name).map_err(|e| e.to_string())?;
    let mut summary = MeshSummary {
        parts: 0,
        triangles: 0,
        min: [f32::MAX; 3],
        max: [f32::MIN; 3],
        colours: Vec::new(),
    };
    for primitive in &model.geometries {
        let Geometry::Triangles(mesh) = &primitive.geometry else {
            continue;
        };
        let mut mesh = mesh.clone();
        mesh.transform(primitive.transformation)
            .map_err(|e| e.to_string())?;
        let aabb = mesh.compute_aabb();
        let (lo, hi) = (aabb.min(), aabb.max());
        for (axis, (l, h)) in [(lo.x, hi.x), (lo.y, hi.y), (lo.z, hi.z)]
            .into_iter()
            .enumerate()
        {
            summary.min[axis] = summary.min[axis].min(l);
            summary.max[axis] = summary.max[axis].max(h);
        }
        summary.parts += 1;
        summary.triangles += mesh.triangle_count();
        if let Some(material) = primitive
            .material_index
            .and_then(|i| model.materials.get(i))
        {
            let c = material.albedo;
            let rgba = [c.r, c.g, c.b, c.a];
            if !summary.colours.contains(&rgba) {
                summary.colours.push(rgba);
            }
        }
    }
    Ok(summary)
}
