//! The app's readers against 60 files that other tools wrote (`../shared/corpus/wild/`, read
//! where it lies, never copied into the project), compared with what reference readers said
//! of them (`tests/corpus/wild_reference.json`, written by `tests/corpus/wild_reference.py`:
//! trimesh for meshes, OpenCascade for STEP). Each file must load with the reference's
//! triangle count and box (STEP: OpenCascade's exact box within 1 %), or, where no reader
//! shows a part, be refused for what it is, never called broken.

use std::path::{Path, PathBuf};

use makistry::model::{LoadError, Model};
use serde_json::Value;

use crate::support::load_within_deadline;

fn wild() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/wild")
}

fn corner(reference: &Value, key: &str) -> [f64; 3] {
    [0, 1, 2].map(|i| reference[key][i].as_f64().unwrap_or(f64::NAN))
}

/// How far our box is from the reference's, as a share of the reference's diagonal.
fn box_error(model: &Model, reference: &Value) -> f64 {
    let (min, max) = (corner(reference, "min"), corner(reference, "max"));
    let diagonal = (0..3)
        .map(|a| (max[a] - min[a]).powi(2))
        .sum::<f64>()
        .sqrt();
    let worst = (0..3)
        .map(|a| {
            (f64::from(model.bounds.min[a]) - min[a])
                .abs()
                .max((f64::from(model.bounds.max[a]) - max[a]).abs())
        })
        .fold(0.0, f64::max);
    worst / diagonal.max(1e-9)
}

/// What is wrong with our reading of `file`, if anything.
fn disagreement(file: &str, reference: &Value) -> Option<String> {
    let loaded = load_within_deadline(wild().join(file));
    if let Some(expected) = reference["refused"].as_str() {
        let fits = matches!(
            (&loaded, expected),
            (Err(LoadError::NotYetReadable { .. }), "not_yet_readable")
                | (Err(LoadError::NothingToShow { .. }), "nothing_to_show")
        );
        return (!fits).then(|| format!("{file}: expected {expected}, got {loaded:?}"));
    }
    let model = match loaded {
        Ok(model) => model,
        Err(e) => return Some(format!("{file}: refused: {e}")),
    };
    let is_step = reference["triangles"].is_null();
    if !is_step {
        let expected = reference["triangles"].as_u64().unwrap_or(0) as usize;
        if model.triangles() != expected {
            return Some(format!(
                "{file}: {} triangles, the reference {expected}",
                model.triangles()
            ));
        }
    }
    let tolerance = if is_step { 0.01 } else { 1e-3 };
    let error = box_error(&model, reference);
    (error > tolerance).then(|| {
        format!(
            "{file}: box {:?}–{:?} is {:.2} % of the diagonal off the reference's",
            model.bounds.min,
            model.bounds.max,
            error * 100.0
        )
    })
}

#[test]
fn every_file_other_tools_wrote_reads_as_the_reference_readers_read_it() {
    if !wild().is_dir() {
        let note = format!(
            "../shared/corpus/wild is not beside the project ({}): the 60 files other tools \
             wrote were NOT checked",
            wild().display()
        );
        assert!(std::env::var_os("CI").is_none(), "{note}");
        eprintln!("NOTE: {note}");
        return;
    }
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/wild_reference.json"),
    )
    .unwrap();
    let references: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(references.len(), 60, "the reference lists every file");
    let failures: Vec<String> = references
        .iter()
        .filter_map(|(file, reference)| disagreement(file, reference))
        .collect();
    let refused = references
        .values()
        .filter(|r| r["refused"].is_string())
        .count();
    assert!(
        failures.is_empty(),
        "{} of {} files disagree with the reference readers ({refused} expected refusals):\n{}",
        failures.len(),
        references.len(),
        failures.join("\n")
    );
}

/// A 3MF whose triangles colour their corners (netfabb's pyramid: each vertex red, green, blue
/// or white in its colour group) shows each corner in its colour, blended across the faces.
#[test]
fn a_3mf_s_corner_colours_are_the_file_s() {
    let file = wild().join("3mf/3mfc_pyramid_vertexcolor.3mf");
    if !file.is_file() {
        let note = "../shared/corpus/wild is not beside the project: 3MF corner colours were \
                    NOT checked";
        assert!(std::env::var_os("CI").is_none(), "{note}");
        eprintln!("NOTE: {note}");
        return;
    }
    let model = makistry::model::load_path(&file).unwrap();
    let part = &model.parts[0];
    assert_eq!(part.colors.len(), part.positions.len());
    assert_eq!(part.triangles(), 4);
    // Where each vertex is, and its colour in the file (all four corners of a 10 mm pyramid).
    let expected = [
        ([0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0]),
        ([10.0, 0.0, 10.0], [0.0, 1.0, 0.0, 1.0]),
        ([10.0, 10.0, 0.0], [0.0, 0.0, 1.0, 1.0]),
        ([0.0, 10.0, 10.0], [1.0, 1.0, 1.0, 1.0]),
    ];
    for (position, colour) in part.positions.iter().zip(&part.colors) {
        let (_, want) = expected
            .iter()
            .find(|(at, _)| at == position)
            .unwrap_or_else(|| panic!("a vertex at {position:?}"));
        assert_eq!(colour, want, "the corner at {position:?}");
    }
}
