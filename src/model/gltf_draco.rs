//! One `KHR_draco_mesh_compression` primitive decoded with draco-core (pure Rust): its
//! positions, normals if it has them, and triangle indices, as plain arrays.

use draco_core::decoder_buffer::DecoderBuffer;
use draco_core::draco_types::DataType;
use draco_core::geometry_attribute::PointAttribute;
use draco_core::geometry_indices::{FaceIndex, PointIndex};
use draco_core::mesh::Mesh;
use draco_core::mesh_decoder::MeshDecoder;

/// A decoded primitive.
pub struct Decoded {
    /// One per point.
    pub positions: Vec<[f32; 3]>,
    /// One per point, where the primitive has normals.
    pub normals: Option<Vec<[f32; 3]>>,
    /// Three per triangle.
    pub indices: Vec<u32>,
}

/// Decodes `bytes`; `position` and `normal` are the attributes' ids the glTF names, each with
/// whether its integers (a quantized attribute) are normalized.
pub fn decode(
    bytes: &[u8],
    position: Option<(u32, bool)>,
    normal: Option<(u32, bool)>,
) -> Result<Decoded, String> {
    let mut buffer = DecoderBuffer::new(bytes);
    let mut mesh = Mesh::new();
    MeshDecoder::new()
        .decode(&mut buffer, &mut mesh)
        .map_err(|e| format!("{e:?}"))?;
    let attribute = |id: Option<(u32, bool)>| {
        id.and_then(|(id, normalized)| Some((mesh.attribute_by_unique_id(id)?, normalized)))
    };
    let (positions, normalized) = attribute(position).ok_or("it has no positions")?;
    let positions = vectors(&mesh, positions, normalized)?;
    let normals = attribute(normal)
        .map(|(a, normalized)| vectors(&mesh, a, normalized))
        .transpose()?;
    let mut indices = Vec::with_capacity(mesh.num_faces() * 3);
    for face in 0..mesh.num_faces() {
        let face = mesh.face(FaceIndex(u32::try_from(face).map_err(|e| e.to_string())?));
        indices.extend(face.iter().map(|p| p.0));
    }
    if indices.iter().any(|&i| i as usize >= positions.len()) {
        return Err("a triangle names a point that is not there".into());
    }
    Ok(Decoded {
        positions,
        normals,
        indices,
    })
}

/// The glTF component type of a Draco data type, for the one reader of both.
fn gltf_component(data_type: DataType) -> u64 {
    match data_type {
        DataType::Int8 => 5120,
        DataType::Uint8 => 5121,
        DataType::Int16 => 5122,
        DataType::Uint16 => 5123,
        DataType::Float32 => 5126,
        _ => 0,
    }
}

/// Each point's value of a three-component attribute, as floats.
fn vectors(
    mesh: &Mesh,
    attribute: &PointAttribute,
    normalized: bool,
) -> Result<Vec<[f32; 3]>, String> {
    let read = super::gltf_component::component_reader(gltf_component(attribute.data_type()))
        .filter(|_| attribute.num_components() >= 3);
    let Some((size, read)) = read else {
        return Err(format!(
            "an attribute of {} {:?} components",
            attribute.num_components(),
            attribute.data_type()
        ));
    };
    let stride = usize::try_from(attribute.byte_stride()).map_err(|e| e.to_string())?;
    let data = attribute.buffer().data();
    (0..mesh.num_points())
        .map(|point| {
            let value = attribute.mapped_index(PointIndex(point as u32)).0 as usize;
            let at = value * stride;
            let bytes = data
                .get(at..at + 3 * size)
                .ok_or("an attribute is shorter than its points")?;
            Ok([0, 1, 2].map(|c| read(&bytes[c * size..], normalized)))
        })
        .collect()
}
