//! The app's readers against the world: every file in `tests/corpus/` (public files that CAD
//! tools and libraries wrote, licences beside them) and the emulator's CadQuery parts, compared
//! with what reference readers said of the same files (`tests/corpus/reference.json`, written
//! by `tests/corpus/reference.py`: trimesh for meshes, OpenCascade for STEP).
//!
//! None may be refused that the reference opens, none may crash or hang; meshes must have the
//! reference's triangle count and box, STEP the reference's exact box within 1 %.

use std::path::Path;
use std::time::Duration;

use makistry::model::{LoadError, Model, load_path};
use serde_json::Value;

use crate::support::load_within_deadline;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn references() -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(root().join("tests/corpus/reference.json")).unwrap();
    let map: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    map.into_iter().collect()
}

fn corner(reference: &Value, key: &str) -> [f64; 3] {
    let values = reference[key].as_array().unwrap();
    [0, 1, 2].map(|i| values[i].as_f64().unwrap())
}

fn diagonal(min: [f64; 3], max: [f64; 3]) -> f64 {
    (0..3)
        .map(|a| (max[a] - min[a]).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// How far our box is from the reference's, as a share of the reference's diagonal.
fn box_error(model: &Model, reference: &Value) -> f64 {
    let (min, max) = (corner(reference, "min"), corner(reference, "max"));
    let ours_min = model.bounds.min.map(f64::from);
    let ours_max = model.bounds.max.map(f64::from);
    let worst = (0..3)
        .map(|a| {
            (ours_min[a] - min[a])
                .abs()
                .max((ours_max[a] - max[a]).abs())
        })
        .fold(0.0, f64::max);
    worst / diagonal(min, max).max(1e-9)
}

#[test]
fn every_corpus_file_reads_as_the_reference_readers_read_it() {
    let mut failures = Vec::new();
    let entries = references();
    assert!(
        entries.len() >= 59,
        "the corpus lost files: {}",
        entries.len()
    );
    for (file, reference) in entries {
        let is_step = reference.get("triangles").is_none();
        let loaded = load_within_deadline(root().join(&file));
        let expected_triangles = reference["triangles"].as_u64().unwrap_or(0) as usize;
        match loaded {
            // The reference found nothing to mesh either: a sentence, not a panic, is right.
            Err(LoadError::NothingToShow { reason, .. }) if !is_step && expected_triangles == 0 => {
                assert!(!reason.is_empty(), "{file}");
            }
            Err(error) => failures.push(format!("{file}: refused: {error}")),
            Ok(model) if is_step => {
                let error = box_error(&model, &reference);
                if model.triangles() == 0 || error > 0.01 {
                    failures.push(format!(
                        "{file}: {} triangles, box {:?}–{:?} is {:.2} % off OpenCascade's",
                        model.triangles(),
                        model.bounds.min,
                        model.bounds.max,
                        error * 100.0
                    ));
                }
            }
            Ok(model) => {
                let error = box_error(&model, &reference);
                if model.triangles() != expected_triangles || error > 1e-4 {
                    failures.push(format!(
                        "{file}: {} triangles (trimesh {expected_triangles}), box {:?}–{:?} \
                         ({:.4} % off)",
                        model.triangles(),
                        model.bounds.min,
                        model.bounds.max,
                        error * 100.0
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn step_assemblies_keep_their_parts_names_and_colours() {
    let model = load_path(&root().join("assets/parts/enclosure_assembly.step")).unwrap();
    let names: Vec<&str> = model.parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["base", "pcb", "lid"]);
    // The PCB is green in the file (0.10, 0.55, 0.25): green dominates after the round trip.
    let pcb = model.parts[1].color;
    assert!(pcb[1] > pcb[0] && pcb[1] > pcb[2], "{pcb:?}");
    assert!(model.unmeshed.is_empty(), "{:?}", model.unmeshed);

    let model =
        load_path(&root().join("tests/corpus/cadquery/red_cube_blue_cylinder.step")).unwrap();
    let colours: Vec<[f32; 4]> = model.parts.iter().map(|p| p.color).collect();
    let red = |c: &[f32; 4]| c[0] > 2.0 * c[1].max(c[2]);
    let blue = |c: &[f32; 4]| c[2] > 2.0 * c[0].max(c[1]);
    assert!(
        colours.iter().any(red) && colours.iter().any(blue),
        "a red and a blue part: {colours:?}"
    );
}

#[test]
fn step_is_recognised_by_its_header_whatever_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("gear.txt");
    std::fs::copy(root().join("assets/parts/gear.step"), &renamed).unwrap();
    let model = load_path(&renamed).unwrap();
    assert!(model.triangles() > 100);
    let not_step = dir.path().join("fake.step");
    std::fs::write(&not_step, b"solid nothing\nendsolid\n").unwrap();
    assert!(load_path(&not_step).is_err());
}

#[test]
fn a_step_load_stops_when_cancelled() {
    let progress = makistry::model::LoadProgress::default();
    progress.cancel();
    let result =
        makistry::model::load_path_with(&root().join("assets/parts/lens_cap.step"), &progress);
    assert_eq!(result, Err(LoadError::Cancelled));
}

/// A mesher that loops on face 1 until told to skip it: the watchdog must kill it, skip the
/// face, and name it in the result, in seconds, not hang.
#[cfg(unix)]
#[test]
fn a_face_the_kernel_loops_on_is_skipped_and_named() {
    let dir = tempfile::tempdir().unwrap();
    // The answer the second run gives: one part (a triangle), face 1 not meshed.
    let mut answer = b"MKSTEP2\n".to_vec();
    answer.extend_from_slice(&1u32.to_le_bytes());
    answer.extend_from_slice(&4u32.to_le_bytes());
    answer.extend_from_slice(b"body");
    for c in [0.5f32, 0.5, 0.5, 1.0] {
        answer.extend_from_slice(&c.to_le_bytes());
    }
    answer.push(1);
    answer.extend_from_slice(&3u32.to_le_bytes());
    for c in [0f32, 0., 0., 10., 0., 0., 0., 10., 0.] {
        answer.extend_from_slice(&c.to_le_bytes());
    }
    answer.extend_from_slice(&1u32.to_le_bytes());
    for i in [0u32, 1, 2] {
        answer.extend_from_slice(&i.to_le_bytes());
    }
    answer.extend_from_slice(&0u32.to_le_bytes()); // no face colours of its own
    let note = b"face 1 of body (meshing it did not finish)";
    answer.extend_from_slice(&1u32.to_le_bytes());
    answer.extend_from_slice(&(note.len() as u32).to_le_bytes());
    answer.extend_from_slice(note);
    std::fs::write(dir.path().join("answer.bin"), answer).unwrap();
    let mesher = dir.path().join("looping-mesher");
    crate::support::cli::executable_script(
        &mesher,
        &format!(
            "case \"$*\" in\n  *--skip*) echo 'faces 1 2' >&2; cat '{}' ;;\n  \
             *) echo 'faces 0 2' >&2; exec sleep 600 ;;\nesac\n",
            dir.path().join("answer.bin").display()
        ),
    );

    let started = std::time::Instant::now();
    let gear = root().join("assets/parts/gear.step");
    let summary = crate::support::cli::inspect_with_mesher(&gear, &mesher, Some(300));
    assert_eq!(summary["triangles"], 1);
    assert_eq!(
        summary["unmeshed"],
        serde_json::json!(["face 1 of body (meshing it did not finish)"])
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}
