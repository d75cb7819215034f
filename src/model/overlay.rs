//! Two models in one, to see where two versions of a part differ: the first solid in one
//! colour, the second see-through in another, both in the first's coordinates (its unit and
//! its up axis), so a part that grew shows its new faces through the old ones.

use super::{Model, Part, Units};

/// The first model's colour in an overlay (linear RGBA): an orange, solid.
pub const FIRST_COLOUR: [f32; 4] = [0.8, 0.25, 0.03, 1.0];
/// The second model's colour: a light blue the first shows through, and that shows on the
/// view's dark backdrop too.
pub const SECOND_COLOUR: [f32; 4] = [0.25, 0.6, 1.0, 0.5];

/// Which way is up in a file: Z (STEP, STL, 3MF) or Y (glTF).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Up {
    Z,
    Y,
}

/// One model of an overlay, with how its file is placed.
pub struct Placed<'a> {
    pub model: &'a Model,
    pub up: Up,
}

/// The overlay of `first` (solid) and `second` (see-through), in `first`'s unit and up axis.
/// Parts are named by how they show ("solid", "see-through"), with their own names where a
/// model has several.
pub fn overlay(first: Placed<'_>, second: Placed<'_>) -> Model {
    let scale = millimetres_per_unit(second.model.units) / millimetres_per_unit(first.model.units);
    let turn = |p: [f32; 3]| match (second.up, first.up) {
        (Up::Y, Up::Z) => [p[0], -p[2], p[1]],
        (Up::Z, Up::Y) => [p[0], p[2], -p[1]],
        _ => p,
    };
    let name = |how: &str, model: &Model, part: &Part| {
        if model.parts.len() > 1 {
            format!("{how}: {}", part.name)
        } else {
            how.to_string()
        }
    };
    let mut parts: Vec<Part> = (first.model.parts.iter())
        .map(|part| {
            let name = name("solid", first.model, part);
            recoloured(part, name, FIRST_COLOUR, |p| p, |n| n)
        })
        .collect();
    parts.extend(second.model.parts.iter().map(|part| {
        let name = name("see-through", second.model, part);
        recoloured(
            part,
            name,
            SECOND_COLOUR,
            |p| turn(p).map(|v| v * scale),
            turn,
        )
    }));
    let mut model = Model::new(parts);
    model.units = first.model.units;
    model
}

fn millimetres_per_unit(units: Units) -> f32 {
    match units {
        Units::Metres => 1000.0,
        Units::Millimetres | Units::Unstated => 1.0,
    }
}

fn recoloured(
    part: &Part,
    name: String,
    colour: [f32; 4],
    point: impl Fn([f32; 3]) -> [f32; 3],
    normal: impl Fn([f32; 3]) -> [f32; 3],
) -> Part {
    Part::new(
        name,
        part.positions.iter().copied().map(point).collect(),
        part.normals.iter().copied().map(normal).collect(),
        part.indices.clone(),
        colour,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plate(name: &str, corner: [f32; 3]) -> Part {
        let [x, y, z] = corner;
        Part::new(
            name.into(),
            vec![[x, y, z], [x + 1.0, y, z], [x, y + 1.0, z]],
            vec![[0.0, 0.0, 1.0]; 3],
            vec![0, 1, 2],
            [0.7; 4],
        )
    }

    #[test]
    fn the_second_is_see_through_in_the_first_s_unit_and_up_axis() {
        let first = Model::new(vec![plate("lid", [0.0, 0.0, 10.0])]);
        // A glTF in metres, Y up: its point (0.01, 0.02, 0.0) m is (10, 0, 20) mm Z-up.
        let mut second = Model::new(vec![plate("lid", [0.01, 0.02, 0.0])]);
        second.units = Units::Metres;
        let both = overlay(
            Placed {
                model: &first,
                up: Up::Z,
            },
            Placed {
                model: &second,
                up: Up::Y,
            },
        );
        assert_eq!(both.parts.len(), 2);
        assert_eq!(both.units, Units::Millimetres);
        let [solid, see_through] = [&both.parts[0], &both.parts[1]];
        assert_eq!((solid.name.as_str(), solid.color), ("solid", FIRST_COLOUR));
        assert_eq!(see_through.name, "see-through");
        assert!(see_through.color[3] < 0.99, "see-through");
        let p = see_through.positions[0];
        assert!((p[0] - 10.0).abs() < 1e-3 && p[1].abs() < 1e-3 && (p[2] - 20.0).abs() < 1e-3);
        assert_eq!(
            see_through.normals[0],
            [0.0, -1.0, 0.0],
            "turned, not scaled"
        );
        assert_eq!(
            solid.positions, first.parts[0].positions,
            "the first stays put"
        );
    }
}
