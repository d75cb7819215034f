//! AP242 tessellated geometry: faces that carry triangles and no exact surface
//! (`TRIANGULATED_FACE`, `COMPLEX_TRIANGULATED_FACE` with strips and fans, and the surface-set
//! forms), as CATIA and HOOPS write them for lightweight exchange. The system's OpenCascade
//! (7.6) reads none of it, so these entities are read here, from the file's text, once the
//! mesher found no solid or surface. Placements are not applied: tessellated parts placed by
//! an assembly transform show at their own origin.

use std::collections::HashMap;

use super::{Model, Part, STEP_DEFAULT_COLOUR};

/// A parameter of a STEP entity, as far as these entities need.
#[derive(Debug, Clone)]
enum Param {
    Number(f64),
    Ref(u32),
    List(Vec<Param>),
    Other,
}

impl Param {
    fn list(&self) -> &[Param] {
        match self {
            Self::List(items) => items,
            _ => &[],
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// A list of 1-based indices.
    fn indices(&self) -> Vec<usize> {
        self.list()
            .iter()
            .filter_map(|p| p.number().map(|n| n as usize))
            .collect()
    }
}

/// Reads one parameter list from `text` (just after its opening parenthesis).
fn parse_params(text: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Vec<Param> {
    let mut params = Vec::new();
    let mut word = String::new();
    while let Some(c) = text.next() {
        match c {
            '(' => {
                word.clear();
                params.push(Param::List(parse_params(text)));
            }
            ')' | ',' => {
                if !word.trim().is_empty() {
                    params.push(word_param(word.trim()));
                }
                word.clear();
                if c == ')' {
                    return params;
                }
            }
            '\'' => {
                // A string: skipped whole ('' is a quote inside it).
                while let Some(s) = text.next() {
                    if s == '\'' && text.peek() != Some(&'\'') {
                        break;
                    }
                    if s == '\'' {
                        text.next();
                    }
                }
                word = "'".into();
            }
            c => word.push(c),
        }
    }
    params
}

fn word_param(word: &str) -> Param {
    if let Some(id) = word.strip_prefix('#') {
        return id.parse().map_or(Param::Other, Param::Ref);
    }
    word.parse().map_or(Param::Other, Param::Number)
}

/// Each `#id=NAME(...)` record of the data section whose name is in `wanted`.
fn records(text: &str, wanted: &[&str]) -> HashMap<u32, (String, Vec<Param>)> {
    let mut found = HashMap::new();
    let data = text.split_once("DATA;").map_or(text, |(_, data)| data);
    for record in split_records(data) {
        let record = record.trim();
        let Some((id, rest)) = record.strip_prefix('#').and_then(|r| r.split_once('=')) else {
            continue;
        };
        let rest = rest.trim_start();
        let Some((name, args)) = rest.split_once('(') else {
            continue;
        };
        let name = name.trim();
        if !wanted.contains(&name) {
            continue;
        }
        if let Ok(id) = id.trim().parse() {
            found.insert(
                id,
                (name.to_string(), parse_params(&mut args.chars().peekable())),
            );
        }
    }
    found
}

/// The records of a data section: split at `;` outside strings.
fn split_records(data: &str) -> Vec<&str> {
    let (mut records, mut start, mut quoted) = (Vec::new(), 0, false);
    for (i, c) in data.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            ';' if !quoted => {
                records.push(&data[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    records
}

/// Millimetres per unit of the file's first length unit (SI prefixes on the metre).
fn millimetres_per_unit(text: &str) -> f64 {
    let Some(at) = text.find("LENGTH_UNIT()") else {
        return 1.0;
    };
    let unit = &text[at..text[at..].find(';').map_or(text.len(), |end| at + end)];
    match unit.split("SI_UNIT(").nth(1) {
        Some(si) if si.starts_with(".MILLI.") => 1.0,
        Some(si) if si.starts_with(".CENTI.") => 10.0,
        Some(si) if si.starts_with(".MICRO.") => 0.001,
        Some(si) if si.starts_with("$") => 1000.0,
        _ => 1.0,
    }
}

/// Triangles of strips and fans, as indices into `pnindex`'s positions (1-based).
fn strips_and_fans(strips: &Param, fans: &Param) -> Vec<[usize; 3]> {
    let mut triangles = Vec::new();
    for strip in strips.list() {
        let v = strip.indices();
        for i in 2..v.len() {
            triangles.push(if i % 2 == 0 {
                [v[i - 2], v[i - 1], v[i]]
            } else {
                [v[i - 1], v[i - 2], v[i]]
            });
        }
    }
    for fan in fans.list() {
        let v = fan.indices();
        for i in 2..v.len() {
            triangles.push([v[0], v[i - 1], v[i]]);
        }
    }
    triangles
}

const FACES: [&str; 4] = [
    "TRIANGULATED_FACE",
    "COMPLEX_TRIANGULATED_FACE",
    "TRIANGULATED_SURFACE_SET",
    "COMPLEX_TRIANGULATED_SURFACE_SET",
];

/// Every tessellated face of the file as one part, or `None` where it holds none.
pub fn load(text: &str, name: &str) -> Option<Model> {
    let mut wanted = vec!["COORDINATES_LIST"];
    wanted.extend(FACES);
    let records = records(text, &wanted);
    let scale = millimetres_per_unit(text);
    let mut ids: Vec<&u32> = records.keys().collect();
    ids.sort();
    let (mut positions, mut indices): (Vec<[f32; 3]>, Vec<u32>) = (Vec::new(), Vec::new());
    for id in ids {
        let (kind, params) = &records[id];
        if kind == "COORDINATES_LIST" {
            continue;
        }
        // The face forms carry a geometric link the surface-set forms do not.
        let link = usize::from(kind.ends_with("_FACE"));
        let Some(Param::Ref(coordinates)) = params.get(1) else {
            continue;
        };
        let Some((_, list)) = records.get(coordinates) else {
            continue;
        };
        let points: Vec<[f32; 3]> = list
            .get(2)
            .map(Param::list)
            .unwrap_or_default()
            .iter()
            .map(|p| {
                let xyz: Vec<f64> = p.list().iter().filter_map(Param::number).collect();
                [0, 1, 2].map(|a| (xyz.get(a).copied().unwrap_or(0.0) * scale) as f32)
            })
            .collect();
        let pnindex = params.get(4 + link).map(Param::indices).unwrap_or_default();
        let triangles: Vec<[usize; 3]> = if kind.starts_with("COMPLEX") {
            let none = Param::List(Vec::new());
            let strips = params.get(5 + link).unwrap_or(&none);
            strips_and_fans(strips, params.get(6 + link).unwrap_or(&none))
        } else {
            let triangles = params.get(5 + link).map(Param::list).unwrap_or_default();
            triangles
                .iter()
                .map(Param::indices)
                .filter(|t| t.len() == 3)
                .map(|t| [t[0], t[1], t[2]])
                .collect()
        };
        let point = |k: usize| {
            let index = if pnindex.is_empty() {
                k
            } else {
                *pnindex.get(k.checked_sub(1)?)?
            };
            points.get(index.checked_sub(1)?).copied()
        };
        for triangle in triangles {
            let corners = triangle.map(point);
            if let [Some(a), Some(b), Some(c)] = corners
                && triangle[0] != triangle[1]
                && triangle[1] != triangle[2]
                && triangle[0] != triangle[2]
            {
                let base = u32::try_from(positions.len()).ok()?;
                positions.extend([a, b, c]);
                indices.extend([base, base + 1, base + 2]);
            }
        }
    }
    if indices.is_empty() {
        return None;
    }
    let part = Part::new(
        name.to_string(),
        positions,
        Vec::new(),
        indices,
        STEP_DEFAULT_COLOUR,
    );
    Some(Model::new(vec![part]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_fans_and_plain_triangles_become_triangles() {
        let text = "DATA;\n#1=COORDINATES_LIST('',4,((0.,0.,0.),(1.,0.,0.),(0.,1.,0.),(1.,1.,0.)));\n\
            #2=COMPLEX_TRIANGULATED_FACE('a;b',#1,4,(),$,(1,2,3,4),((1,2,3,4)),());\n\
            #3=TRIANGULATED_FACE('',#1,4,(),$,(),((1,2,3)));\n\
            #4=(LENGTH_UNIT()NAMED_UNIT(*)SI_UNIT(.CENTI.,.METRE.));\nENDSEC;";
        let model = load(text, "cube").unwrap();
        assert_eq!(
            model.triangles(),
            3,
            "a strip of 4 points is 2 triangles, plus 1"
        );
        assert_eq!(
            model.bounds.max,
            [10.0, 10.0, 0.0],
            "centimetres as millimetres"
        );
        assert!(load("DATA;\n#1=CARTESIAN_POINT('',(0.,0.,0.));\nENDSEC;", "x").is_none());
    }
}
