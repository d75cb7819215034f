//! One 3MF model part (`*.model`, XML) read in one streaming pass: its unit, colour groups,
//! objects (meshes and components) and build items. Elements are matched by their local name
//! whatever their namespace prefix, and what a preview does not need (beams, slices, textures,
//! slicer metadata) is skipped, as trimesh and PrusaSlicer do.

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};

/// A 3×4 affine transform in 3MF's order: `m00 m01 m02 m10 m11 m12 m20 m21 m22 tx ty tz`.
pub type Transform = [f64; 12];

/// The transform that changes nothing.
pub const IDENTITY: Transform = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0];

/// A reference to an object, possibly in another model part (production extension).
#[derive(Debug, Clone)]
pub struct ObjectRef {
    /// The object's id within its part.
    pub id: u32,
    /// The part that holds it (`p:path`), when not the one that refers to it.
    pub path: Option<String>,
    /// Where it is placed.
    pub transform: Transform,
}

/// A mesh as the file gives it.
#[derive(Debug, Default)]
pub struct Mesh {
    /// Vertex positions in the file's unit.
    pub vertices: Vec<[f32; 3]>,
    /// Triangles as vertex indices (not yet checked against the vertices).
    pub triangles: Vec<[u32; 3]>,
    /// How many triangles use each colour, as (resource id, index) — for mixed materials.
    pub colour_uses: HashMap<(u32, u32), usize>,
    /// Each triangle's corners' colours (resource id, index), once a triangle names its own
    /// (`pid`, `p1` to `p3`); empty while none does. [`NO_COLOUR`] where none applies.
    pub corner_colours: Vec<[(u32, u32); 3]>,
}

/// A corner with no colour of its own nor its object's.
pub const NO_COLOUR: (u32, u32) = (u32::MAX, 0);

/// An object: a mesh, components, or (rarely) both.
#[derive(Debug, Default)]
pub struct Object {
    /// Its `name`, if any.
    pub name: Option<String>,
    /// Its default colour: (`pid`, `pindex`).
    pub colour: Option<(u32, u32)>,
    /// Its mesh.
    pub mesh: Option<Mesh>,
    /// Other objects it is made of.
    pub components: Vec<ObjectRef>,
}

/// One model part, read.
#[derive(Debug, Default)]
pub struct ModelPart {
    /// Millimetres per unit of its coordinates.
    pub unit_mm: f64,
    /// Objects by id.
    pub objects: HashMap<u32, Object>,
    /// Colour groups (base materials and colour groups) by id, as sRGB RGBA.
    pub colours: HashMap<u32, Vec<[f32; 4]>>,
    /// What its build places.
    pub items: Vec<ObjectRef>,
}

/// Why a model part could not be read.
#[derive(Debug)]
pub struct XmlError(pub String);

fn attribute(element: &BytesStart<'_>, local: &str) -> Option<String> {
    element.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == local).then(|| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|_| a.value.trim().to_string())
        })
    })
}

fn number<T: std::str::FromStr>(element: &BytesStart<'_>, local: &str) -> Option<T> {
    attribute(element, local)?.parse().ok()
}

/// The attributes named `names`, as numbers, read in one pass over the element's attributes
/// with no copies: a 3MF mesh has millions of vertices and triangles, and looking each
/// attribute up on its own (a string copied each time) took a third of the load.
fn numbers<T: std::str::FromStr + Copy, const N: usize>(
    element: &BytesStart<'_>,
    names: [&str; N],
) -> [Option<T>; N] {
    let mut out = [None; N];
    for a in element.attributes().with_checks(false).flatten() {
        let key = a.key.local_name();
        let Some(slot) = names.iter().position(|n| *n == key.as_ref()) else {
            continue;
        };
        if out[slot].is_some() {
            continue; // a repeated attribute: the first one counts, as in `attribute`
        }
        out[slot] = if a.value.contains('&') {
            // An entity in a number is odd but legal: decode it the slow way.
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .and_then(|v| v.trim().parse().ok())
        } else {
            a.value.trim().parse().ok()
        };
    }
    out
}

/// Millimetres per unit, by the `unit` attribute's value (millimetre when absent or unknown).
fn unit_mm(unit: Option<&str>) -> f64 {
    match unit {
        Some("micron") => 0.001,
        Some("centimeter") => 10.0,
        Some("inch") => 25.4,
        Some("foot") => 304.8,
        Some("meter") => 1000.0,
        _ => 1.0,
    }
}

/// `#RRGGBB` or `#RRGGBBAA`, as sRGB RGBA in 0–1.
pub fn parse_colour(text: &str) -> Option<[f32; 4]> {
    let hex = text.trim().strip_prefix('#')?;
    if !(hex.len() == 6 || hex.len() == 8) || !hex.is_ascii() {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    let alpha = if hex.len() == 8 { channel(6)? } else { 255 };
    Some([channel(0)?, channel(2)?, channel(4)?, alpha].map(|c| f32::from(c) / 255.0))
}

/// A transform attribute: twelve numbers, else the identity (a broken one is not worth
/// refusing the file for).
fn transform(element: &BytesStart<'_>) -> Transform {
    let Some(text) = attribute(element, "transform") else {
        return IDENTITY;
    };
    let numbers: Vec<f64> = text
        .split_ascii_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    <[f64; 12]>::try_from(numbers.as_slice())
        .ok()
        .filter(|t| t.iter().all(|v| v.is_finite()))
        .unwrap_or(IDENTITY)
}

fn object_ref(element: &BytesStart<'_>) -> Option<ObjectRef> {
    Some(ObjectRef {
        id: number(element, "objectid")?,
        path: attribute(element, "path"),
        transform: transform(element),
    })
}

/// What the reader is inside of.
#[derive(Default)]
struct Context {
    object: Option<(u32, Object)>,
    group: Option<(u32, Vec<[f32; 4]>)>,
    in_build: bool,
}

impl Context {
    fn open(&mut self, element: &BytesStart<'_>, part: &mut ModelPart) {
        match element.local_name().as_ref() {
            "model" => part.unit_mm = unit_mm(attribute(element, "unit").as_deref()),
            "object" => {
                let id = number(element, "id").unwrap_or(0);
                let colour =
                    number(element, "pid").map(|pid| (pid, number(element, "pindex").unwrap_or(0)));
                let object = Object {
                    name: attribute(element, "name").filter(|n| !n.is_empty()),
                    colour,
                    ..Object::default()
                };
                self.object = Some((id, object));
            }
            "mesh" => {
                if let Some((_, object)) = &mut self.object {
                    object.mesh = Some(Mesh::default());
                }
            }
            "basematerials" | "colorgroup" => {
                self.group = number(element, "id").map(|id| (id, Vec::new()));
            }
            "base" | "color" => {
                let key = if element.local_name().as_ref() == "base" {
                    "displaycolor"
                } else {
                    "color"
                };
                if let Some((_, colours)) = &mut self.group {
                    let colour = attribute(element, key).and_then(|c| parse_colour(&c));
                    colours.push(colour.unwrap_or([0.6, 0.6, 0.6, 1.0]));
                }
            }
            "build" => self.in_build = true,
            "item" if self.in_build => part.items.extend(object_ref(element)),
            "component" => {
                if let (Some((_, object)), Some(reference)) =
                    (&mut self.object, object_ref(element))
                {
                    object.components.push(reference);
                }
            }
            _ => {}
        }
    }

    fn close(&mut self, local: &str, part: &mut ModelPart) {
        match local {
            "object" => {
                if let Some((id, object)) = self.object.take() {
                    part.objects.insert(id, object);
                }
            }
            "basematerials" | "colorgroup" => {
                if let Some((id, colours)) = self.group.take() {
                    part.colours.insert(id, colours);
                }
            }
            "build" => self.in_build = false,
            _ => {}
        }
    }

    fn mesh(&mut self) -> Option<(&mut Mesh, Option<(u32, u32)>)> {
        let (_, object) = self.object.as_mut()?;
        let colour = object.colour;
        Some((object.mesh.as_mut()?, colour))
    }
}

/// Adds a vertex or a triangle to the mesh being read. Returns false for a malformed one.
fn mesh_element(element: &BytesStart<'_>, context: &mut Context) -> bool {
    let Some((mesh, object_colour)) = context.mesh() else {
        return true;
    };
    match element.local_name().as_ref() {
        "vertex" => {
            let [Some(x), Some(y), Some(z)] = numbers::<f32, 3>(element, ["x", "y", "z"]) else {
                return false;
            };
            mesh.vertices.push([x, y, z]);
        }
        "triangle" => {
            let [a, b, c, own_pid, p1, p2, p3] =
                numbers::<u32, 7>(element, ["v1", "v2", "v3", "pid", "p1", "p2", "p3"]);
            let (Some(a), Some(b), Some(c)) = (a, b, c) else {
                return false;
            };
            mesh.triangles.push([a, b, c]);
            let pid = own_pid.or(object_colour.map(|(pid, _)| pid));
            let index = p1.or(object_colour.map(|(_, index)| index));
            if let (Some(pid), Some(index)) = (pid, index) {
                *mesh.colour_uses.entry((pid, index)).or_default() += 1;
            }
            record_corner_colours(mesh, object_colour, own_pid.is_some() || p1.is_some(), {
                let corner = |p: Option<u32>| match (pid, p.or(index)) {
                    (Some(pid), Some(index)) => (pid, index),
                    _ => NO_COLOUR,
                };
                [corner(p1), corner(p2), corner(p3)]
            });
        }
        _ => {}
    }
    true
}

/// Keeps the corners' colours of the triangle just added, once any triangle has named its own
/// (those before it take their object's colour).
fn record_corner_colours(
    mesh: &mut Mesh,
    object_colour: Option<(u32, u32)>,
    named: bool,
    corners: [(u32, u32); 3],
) {
    if mesh.corner_colours.is_empty() && !named {
        return;
    }
    let default = [object_colour.unwrap_or(NO_COLOUR); 3];
    let before = mesh.triangles.len() - 1;
    if mesh.corner_colours.len() < before {
        mesh.corner_colours.resize(before, default);
    }
    mesh.corner_colours.push(corners);
}

/// Reads one model part.
pub fn read(source: impl BufRead) -> Result<ModelPart, XmlError> {
    let mut reader = quick_xml::Reader::from_reader(source);
    let mut part = ModelPart {
        unit_mm: 1.0,
        ..ModelPart::default()
    };
    let mut context = Context::default();
    let mut buffer = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buffer).map_err(|e| {
            XmlError(format!(
                "its model is not well-formed XML near byte {}: {e}",
                reader.buffer_position()
            ))
        })?;
        match event {
            Event::Start(element) => {
                if !mesh_element(&element, &mut context) {
                    return Err(XmlError(
                        "a vertex or triangle lacks a coordinate or corner".into(),
                    ));
                }
                context.open(&element, &mut part);
            }
            Event::Empty(element) => {
                if !mesh_element(&element, &mut context) {
                    return Err(XmlError(
                        "a vertex or triangle lacks a coordinate or corner".into(),
                    ));
                }
                context.open(&element, &mut part);
                context.close(element.local_name().as_ref(), &mut part);
            }
            Event::End(element) => context.close(element.local_name().as_ref(), &mut part),
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    Ok(part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_units_read_as_exporters_write_them() {
        assert_eq!(
            parse_colour("#FF000080"),
            Some([1.0, 0.0, 0.0, 128.0 / 255.0])
        );
        assert_eq!(parse_colour("#00ff00"), Some([0.0, 1.0, 0.0, 1.0]));
        assert_eq!(parse_colour("red"), None);
        assert_eq!(unit_mm(Some("inch")), 25.4);
        assert_eq!(unit_mm(None), 1.0);
    }

    #[test]
    fn prefixed_elements_and_zero_ids_are_read() {
        let xml = br##"<?xml version="1.0"?>
<model unit="centimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
       xmlns:m="http://schemas.microsoft.com/3dmanufacturing/material/2015/02">
 <resources>
  <m:colorgroup id="5"><m:color color="#FF0000"/><m:color color="#0000FFFF"/></m:colorgroup>
  <object id="0" name="tri" type="model">
   <mesh><vertices><vertex x="0" y="0" z="0"/><vertex x="1" y="0" z="0"/><vertex x="0" y="1" z="0"/></vertices>
   <triangles><triangle v1="0" v2="1" v3="2" pid="5" p1="1"/></triangles></mesh>
  </object>
 </resources>
 <build><item objectid="0" transform="1 0 0 0 1 0 0 0 1 0 0 5"/></build>
</model>"##;
        let part = read(&xml[..]).unwrap();
        assert_eq!(part.unit_mm, 10.0);
        let object = &part.objects[&0];
        assert_eq!(object.name.as_deref(), Some("tri"));
        let mesh = object.mesh.as_ref().unwrap();
        assert_eq!(mesh.vertices.len(), 3);
        assert_eq!(mesh.colour_uses[&(5, 1)], 1);
        assert_eq!(part.colours[&5][1], [0.0, 0.0, 1.0, 1.0]);
        assert_eq!(part.items[0].transform[11], 5.0);
    }
}
