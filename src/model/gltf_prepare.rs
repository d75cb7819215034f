//! GLB as other tools write it, made plain before it is read: buffers embedded as `data:` URIs
//! (Maya), meshopt-compressed buffer views (`EXT_meshopt_compression`: gltfpack), Draco
//! primitives (`KHR_draco_mesh_compression`) and quantized positions and normals
//! (`KHR_mesh_quantization`) become plain little-endian data in buffers of their own. The JSON
//! is rewritten to point at them and those extensions leave `extensionsRequired`, so the reader
//! after this sees an ordinary glTF 2.0 file.

use base64::Engine;
use serde_json::{Value, json};

use super::gltf_component::component_reader;
use super::{LoadError, MeshFormat};

/// Extensions this module turns into plain data.
const RESOLVED: [&str; 3] = [
    "EXT_meshopt_compression",
    "KHR_draco_mesh_compression",
    "KHR_mesh_quantization",
];

/// The document rewritten, and every buffer's bytes (index for index with the JSON's).
pub struct Prepared<'a> {
    /// The JSON to read.
    pub json: Vec<u8>,
    /// Each buffer's data: the file's binary chunk, or data made here.
    pub buffers: Vec<std::borrow::Cow<'a, [u8]>>,
}

fn malformed(reason: impl Into<String>) -> LoadError {
    LoadError::malformed(MeshFormat::Glb, reason)
}

fn not_yet(feature: impl Into<String>) -> LoadError {
    LoadError::NotYetReadable {
        format: MeshFormat::Glb,
        feature: feature.into(),
    }
}

fn index(value: &Value) -> Option<usize> {
    value.as_u64().and_then(|v| usize::try_from(v).ok())
}

/// Makes the document at `json` (with the file's binary chunk `bin`) plain.
pub fn prepare<'a>(json: &[u8], bin: Option<&'a [u8]>) -> Result<Prepared<'a>, LoadError> {
    let mut doc: Value = serde_json::from_slice(json).map_err(|e| malformed(e.to_string()))?;
    let version = doc["asset"]["version"].as_str().unwrap_or("2.0");
    if version.starts_with('1') {
        return Err(not_yet("glTF 1.0, the obsolete first version of glTF"));
    }
    for required in doc["extensionsRequired"].as_array().into_iter().flatten() {
        let name = required.as_str().unwrap_or_default();
        if !RESOLVED.contains(&name)
            && !gltf::json::extensions::SUPPORTED_EXTENSIONS.contains(&name)
        {
            return Err(not_yet(format!("the glTF extension {name}")));
        }
    }
    let mut prepared = Prepared {
        json: Vec::new(),
        buffers: read_buffers(&doc, bin)?,
    };
    decompress_meshopt_views(&mut doc, &mut prepared.buffers)?;
    decode_draco_primitives(&mut doc, &mut prepared.buffers)?;
    dequantize_attributes(&mut doc, &mut prepared.buffers)?;
    fill_views_of_zeros(&mut doc, &mut prepared.buffers);
    finish(&mut doc, &prepared.buffers);
    prepared.json = serde_json::to_vec(&doc).map_err(|e| malformed(e.to_string()))?;
    Ok(prepared)
}

/// Each buffer's bytes: the binary chunk for the one without a URI, a `data:` URI decoded, or
/// nothing for a meshopt fallback buffer (its views are all compressed elsewhere).
fn read_buffers<'a>(
    doc: &Value,
    bin: Option<&'a [u8]>,
) -> Result<Vec<std::borrow::Cow<'a, [u8]>>, LoadError> {
    let mut buffers = Vec::new();
    let mut bin = bin;
    for buffer in doc["buffers"].as_array().into_iter().flatten() {
        let fallback = buffer["extensions"]["EXT_meshopt_compression"]["fallback"] == true;
        let data = match buffer["uri"].as_str() {
            _ if fallback => std::borrow::Cow::Owned(Vec::new()),
            None => std::borrow::Cow::Borrowed(
                bin.take()
                    .ok_or_else(|| malformed("it has no binary chunk"))?,
            ),
            Some(uri) if uri.starts_with("data:") => {
                let (_, encoded) = uri
                    .split_once(";base64,")
                    .ok_or_else(|| malformed("a buffer's data: URI is not base64"))?;
                std::borrow::Cow::Owned(
                    base64::engine::general_purpose::STANDARD
                        .decode(encoded.trim())
                        .map_err(|e| malformed(format!("a buffer's data: URI: {e}")))?,
                )
            }
            Some(uri) => {
                return Err(LoadError::NotYetReadable {
                    format: MeshFormat::Glb,
                    feature: format!("a buffer kept in another file ({uri})"),
                });
            }
        };
        let declared = buffer["byteLength"].as_u64().unwrap_or(0);
        if !fallback && (data.len() as u64) < declared {
            return Err(malformed(format!(
                "a buffer claims {declared} bytes but has {}; the file was probably cut short",
                data.len()
            )));
        }
        buffers.push(data);
    }
    Ok(buffers)
}

/// The bytes of `length` at `offset` of buffer `buffer`.
fn slice<'b>(
    buffers: &'b [std::borrow::Cow<'_, [u8]>],
    buffer: Option<usize>,
    offset: u64,
    length: u64,
) -> Result<&'b [u8], LoadError> {
    let data = buffer
        .and_then(|b| buffers.get(b))
        .ok_or_else(|| malformed("a buffer view names a buffer that is not there"))?;
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    let end = start.saturating_add(usize::try_from(length).unwrap_or(usize::MAX));
    data.get(start..end)
        .ok_or_else(|| malformed("a buffer view reaches past its buffer"))
}

/// A new buffer holding `data`; returns its index.
fn add_buffer(buffers: &mut Vec<std::borrow::Cow<'_, [u8]>>, data: Vec<u8>) -> usize {
    buffers.push(std::borrow::Cow::Owned(data));
    buffers.len() - 1
}

/// A new buffer holding `data` and a view of all of it; returns the view's index.
fn add_view(
    doc: &mut Value,
    buffers: &mut Vec<std::borrow::Cow<'_, [u8]>>,
    data: Vec<u8>,
) -> usize {
    let length = data.len();
    let buffer = add_buffer(buffers, data);
    push(
        doc,
        "bufferViews",
        json!({"buffer": buffer, "byteOffset": 0, "byteLength": length}),
    )
}

/// Takes extension `name` off a JSON object that has been made plain.
fn remove_extension(object: &mut Value, name: &str) {
    if let Some(extensions) = object["extensions"].as_object_mut() {
        extensions.remove(name);
    }
}

fn push(doc: &mut Value, key: &str, item: Value) -> usize {
    if !doc[key].is_array() {
        doc[key] = Value::Array(Vec::new());
    }
    doc[key].as_array_mut().map_or(0, |list| {
        list.push(item);
        list.len() - 1
    })
}

/// `EXT_meshopt_compression`: each compressed view decoded into a buffer of its own.
fn decompress_meshopt_views(
    doc: &mut Value,
    buffers: &mut Vec<std::borrow::Cow<'_, [u8]>>,
) -> Result<(), LoadError> {
    let views = doc["bufferViews"].as_array().cloned().unwrap_or_default();
    for (i, view) in views.iter().enumerate() {
        let ext = &view["extensions"]["EXT_meshopt_compression"];
        if ext.is_null() {
            continue;
        }
        let count = ext["count"].as_u64().unwrap_or(0) as usize;
        let stride = ext["byteStride"].as_u64().unwrap_or(0) as usize;
        let source = slice(
            buffers,
            index(&ext["buffer"]),
            ext["byteOffset"].as_u64().unwrap_or(0),
            ext["byteLength"].as_u64().unwrap_or(0),
        )?;
        let decoded = super::gltf_meshopt::decode_view(
            source,
            count,
            stride,
            ext["mode"].as_str().unwrap_or("ATTRIBUTES"),
            ext["filter"].as_str().unwrap_or("NONE"),
        )
        .map_err(|e| malformed(format!("a meshopt-compressed buffer view: {e}")))?;
        let length = decoded.len();
        let buffer = add_buffer(buffers, decoded);
        let plain = &mut doc["bufferViews"][i];
        plain["buffer"] = json!(buffer);
        plain["byteOffset"] = json!(0);
        plain["byteLength"] = json!(length);
        remove_extension(plain, "EXT_meshopt_compression");
    }
    Ok(())
}

/// Adds a float accessor of `values` (`kind` "VEC3") with its min and max; returns its index.
fn add_float_accessor(
    doc: &mut Value,
    buffers: &mut Vec<std::borrow::Cow<'_, [u8]>>,
    values: &[[f32; 3]],
) -> usize {
    let view = add_view(doc, buffers, bytemuck::cast_slice(values).to_vec());
    let mut min = [f32::INFINITY; 3];
    let mut max = [f32::NEG_INFINITY; 3];
    for value in values {
        for axis in 0..3 {
            min[axis] = min[axis].min(value[axis]);
            max[axis] = max[axis].max(value[axis]);
        }
    }
    if values.is_empty() {
        (min, max) = ([0.0; 3], [0.0; 3]);
    }
    push(
        doc,
        "accessors",
        json!({"bufferView": view, "componentType": 5126, "count": values.len(),
               "type": "VEC3", "min": min, "max": max}),
    )
}

/// `KHR_draco_mesh_compression`: each primitive decoded, its positions, normals and indices
/// put in plain accessors.
fn decode_draco_primitives(
    doc: &mut Value,
    buffers: &mut Vec<std::borrow::Cow<'_, [u8]>>,
) -> Result<(), LoadError> {
    let meshes = doc["meshes"].as_array().cloned().unwrap_or_default();
    for (m, mesh) in meshes.iter().enumerate() {
        let primitives = mesh["primitives"].as_array().cloned().unwrap_or_default();
        for (p, primitive) in primitives.iter().enumerate() {
            let ext = &primitive["extensions"]["KHR_draco_mesh_compression"];
            if ext.is_null() {
                continue;
            }
            let view = index(&ext["bufferView"])
                .and_then(|v| doc["bufferViews"].get(v))
                .cloned()
                .ok_or_else(|| malformed("a Draco primitive names no buffer view"))?;
            let bytes = slice(
                buffers,
                index(&view["buffer"]),
                view["byteOffset"].as_u64().unwrap_or(0),
                view["byteLength"].as_u64().unwrap_or(0),
            )?;
            // The attribute's id in the Draco stream, and whether the glTF accessor calls its
            // (quantized) integers normalized.
            let attribute = |name: &str| {
                let id = ext["attributes"][name].as_u64()?;
                let normalized = index(&primitive["attributes"][name])
                    .is_some_and(|a| doc["accessors"][a]["normalized"] == true);
                Some((u32::try_from(id).ok()?, normalized))
            };
            let decoded =
                super::gltf_draco::decode(bytes, attribute("POSITION"), attribute("NORMAL"))
                    .map_err(|e| malformed(format!("a Draco-compressed mesh: {e}")))?;
            let positions = add_float_accessor(doc, buffers, &decoded.positions);
            let normals = decoded
                .normals
                .map(|normals| add_float_accessor(doc, buffers, &normals));
            let index_view = add_view(
                doc,
                buffers,
                bytemuck::cast_slice(&decoded.indices).to_vec(),
            );
            let indices = push(
                doc,
                "accessors",
                json!({"bufferView": index_view, "componentType": 5125,
                       "count": decoded.indices.len(), "type": "SCALAR"}),
            );
            let plain = &mut doc["meshes"][m]["primitives"][p];
            plain["attributes"]["POSITION"] = json!(positions);
            match normals {
                Some(normals) => plain["attributes"]["NORMAL"] = json!(normals),
                None => {
                    if let Some(attributes) = plain["attributes"].as_object_mut() {
                        attributes.remove("NORMAL");
                    }
                }
            }
            plain["indices"] = json!(indices);
            remove_extension(plain, "KHR_draco_mesh_compression");
        }
    }
    Ok(())
}

/// `KHR_mesh_quantization`: positions and normals stored as 8- or 16-bit integers, read into
/// floats (normalized ones scaled to [-1, 1] or [0, 1]); the nodes' transforms undo the rest.
fn dequantize_attributes(
    doc: &mut Value,
    buffers: &mut Vec<std::borrow::Cow<'_, [u8]>>,
) -> Result<(), LoadError> {
    let meshes = doc["meshes"].as_array().cloned().unwrap_or_default();
    for (m, mesh) in meshes.iter().enumerate() {
        let primitives = mesh["primitives"].as_array().cloned().unwrap_or_default();
        for (p, primitive) in primitives.iter().enumerate() {
            for semantic in ["POSITION", "NORMAL"] {
                let Some(a) = index(&primitive["attributes"][semantic]) else {
                    continue;
                };
                let accessor = doc["accessors"][a].clone();
                let component = accessor["componentType"].as_u64().unwrap_or(5126);
                if component == 5126 || accessor["bufferView"].is_null() {
                    continue;
                }
                let values = read_quantized(doc, buffers, &accessor, component)?;
                let plain = add_float_accessor(doc, buffers, &values);
                doc["meshes"][m]["primitives"][p]["attributes"][semantic] = json!(plain);
            }
        }
    }
    Ok(())
}

/// A VEC3 accessor of 8- or 16-bit integers, as floats.
fn read_quantized(
    doc: &Value,
    buffers: &[std::borrow::Cow<'_, [u8]>],
    accessor: &Value,
    component: u64,
) -> Result<Vec<[f32; 3]>, LoadError> {
    let (size, read) = component_reader(component)
        .filter(|_| component != 5126)
        .ok_or_else(|| malformed(format!("an attribute has component type {component}")))?;
    let normalized = accessor["normalized"] == true;
    let count = accessor["count"].as_u64().unwrap_or(0) as usize;
    let view = index(&accessor["bufferView"])
        .and_then(|v| doc["bufferViews"].get(v))
        .ok_or_else(|| malformed("an accessor names a buffer view that is not there"))?;
    let stride = view["byteStride"].as_u64().map_or(3 * size, |s| s as usize);
    let offset =
        view["byteOffset"].as_u64().unwrap_or(0) + accessor["byteOffset"].as_u64().unwrap_or(0);
    let needed = if count == 0 {
        0
    } else {
        (count - 1) * stride + 3 * size
    };
    let data = slice(buffers, index(&view["buffer"]), offset, needed as u64)?;
    Ok((0..count)
        .map(|i| {
            let at = i * stride;
            [0, 1, 2].map(|c| read(&data[at + c * size..], normalized))
        })
        .collect())
}

/// Accessors with no data (glTF reads them as zeros; Draco files leave their attributes so)
/// get a view of zeros, which the reader after this insists on.
fn fill_views_of_zeros(doc: &mut Value, buffers: &mut Vec<std::borrow::Cow<'_, [u8]>>) {
    let sizes: Vec<(usize, usize)> = doc["accessors"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, a)| a["bufferView"].is_null() && a["sparse"].is_null())
        .map(|(i, a)| {
            let components = match a["type"].as_str().unwrap_or("SCALAR") {
                "VEC2" => 2,
                "VEC3" => 3,
                "VEC4" | "MAT2" => 4,
                "MAT3" => 9,
                "MAT4" => 16,
                _ => 1,
            };
            let component = match a["componentType"].as_u64() {
                Some(5120 | 5121) => 1,
                Some(5122 | 5123) => 2,
                _ => 4,
            };
            let count = a["count"].as_u64().unwrap_or(0) as usize;
            (i, count.saturating_mul(components * component))
        })
        .collect();
    let Some(largest) = sizes.iter().map(|(_, size)| *size).max() else {
        return;
    };
    let buffer = add_buffer(buffers, vec![0; largest.max(4)]);
    for (accessor, size) in sizes {
        let view = push(
            doc,
            "bufferViews",
            json!({"buffer": buffer, "byteOffset": 0, "byteLength": size.max(1)}),
        );
        doc["accessors"][accessor]["bufferView"] = json!(view);
    }
}

/// Buffers without URIs (their bytes are in [`Prepared::buffers`]), lengths as they now are,
/// and the extensions resolved here taken off the lists.
fn finish(doc: &mut Value, buffers: &[std::borrow::Cow<'_, [u8]>]) {
    doc["buffers"] = Value::Array(
        buffers
            .iter()
            .map(|data| json!({"byteLength": data.len()}))
            .collect(),
    );
    for list in ["extensionsRequired", "extensionsUsed"] {
        if let Some(names) = doc.get_mut(list).and_then(Value::as_array_mut) {
            names.retain(|n| !RESOLVED.contains(&n.as_str().unwrap_or_default()));
        }
    }
}
