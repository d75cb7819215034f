//! Model loading on real files (the emulator's CadQuery parts in every format) and on broken
//! and hostile ones: counts and bounds against known values, colours and names of assembly
//! parts, build transforms, and clear errors instead of panics.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use makistry::model::{LoadError, MeshFormat, Model, load_bytes, load_path};

fn part_file(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/parts")
        .join(name)
}

fn close(a: [f32; 3], b: [f32; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-3)
}

#[test]
fn the_assembly_loads_with_the_same_mesh_from_every_format() {
    let glb = load_path(&part_file("enclosure_assembly.glb")).unwrap();
    let three_mf = load_path(&part_file("enclosure_assembly.3mf")).unwrap();
    let stl = load_path(&part_file("enclosure_assembly.stl")).unwrap();
    // CadQuery tessellated every format with the same tolerances.
    assert_eq!(
        (glb.triangles(), three_mf.triangles(), stl.triangles()),
        (5908, 5908, 5908)
    );

    let names: Vec<&str> = glb.parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["base", "pcb", "lid"]);
    let colours: Vec<[f32; 4]> = glb.parts.iter().map(|p| p.color).collect();
    assert!(
        colours[0] != colours[1] && colours[1] != colours[2] && colours[0] != colours[2],
        "{colours:?}"
    );
    assert!(
        colours[1][1] > colours[1][0] && colours[1][1] > colours[1][2],
        "the PCB is green: {:?}",
        colours[1]
    );

    // 3MF and STL: Z up, base on z = 0, the lid placed by its build transform on top (27 mm).
    for model in [&three_mf, &stl] {
        assert!(
            close(model.bounds.min, [-35.0, -22.5, 0.0])
                && close(model.bounds.max, [35.0, 22.5, 27.0]),
            "{:?}",
            model.bounds
        );
    }
    // CadQuery's 3MF names its objects "CadQuery Shape N": the lid is the one on top.
    let lid = three_mf
        .parts
        .iter()
        .max_by(|a, b| a.bounds.max[2].total_cmp(&b.bounds.max[2]))
        .unwrap();
    assert!(
        (lid.bounds.min[2] - 24.0).abs() < 1e-4,
        "lid placed at z = 24: {:?}",
        lid.bounds
    );
    assert_eq!(three_mf.parts.len(), 3);
    // GLB keeps its own frame: the root node turns CAD's Z-up into glTF's Y-up.
    assert!(
        close(glb.bounds.min, [-35.0, 0.0, -22.5]) && close(glb.bounds.max, [35.0, 27.0, 22.5]),
        "{:?}",
        glb.bounds
    );
}

#[test]
fn every_library_part_has_unit_normals_and_sane_bounds_in_every_format() {
    for slug in [
        "lens_cap",
        "l_bracket",
        "box_with_hole",
        "enclosure",
        "gear",
        "enclosure_assembly",
    ] {
        let mut counts = Vec::new();
        for ext in ["glb", "stl", "3mf"] {
            let model = load_path(&part_file(&format!("{slug}.{ext}")))
                .unwrap_or_else(|e| panic!("{slug}.{ext}: {e}"));
            for part in &model.parts {
                // STL's triangles are all flat: the viewer derives their normals itself.
                let expected = if ext == "stl" {
                    0
                } else {
                    part.positions.len()
                };
                assert_eq!(part.normals.len(), expected, "{slug}.{ext}");
                assert!(
                    part.indices
                        .iter()
                        .all(|&i| (i as usize) < part.positions.len())
                );
                assert!(part.normals.iter().all(|n| {
                    ((n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt() - 1.0).abs() < 1e-3
                }));
            }
            let mut size = model.bounds.size();
            size.sort_by(f32::total_cmp);
            assert!(size[0] > 5.0 && size[2] < 100.0, "{slug}.{ext}: {size:?}");
            counts.push(model.triangles());
        }
        assert!(counts.iter().all(|&c| c == counts[0]), "{slug}: {counts:?}");
    }
}

#[test]
fn ascii_and_binary_stl_of_the_same_part_agree() {
    let binary = load_path(&part_file("gear.stl")).unwrap();
    let mut ascii = String::from("solid gear\n");
    for part in &binary.parts {
        for tri in part.indices.chunks_exact(3) {
            ascii.push_str(" facet normal 0 0 0\n  outer loop\n");
            for &i in tri {
                let p = part.positions[i as usize];
                ascii.push_str(&format!("   vertex {:e} {:e} {:e}\n", p[0], p[1], p[2]));
            }
            ascii.push_str("  endloop\n endfacet\n");
        }
    }
    ascii.push_str("endsolid gear\n");
    let from_ascii = load_bytes(MeshFormat::Stl, ascii.as_bytes()).unwrap();
    assert_eq!(from_ascii.triangles(), binary.triangles());
    assert_eq!(from_ascii.bounds, binary.bounds);
    assert_eq!(from_ascii.parts[0].name, "gear");
}

fn assert_broken(format: MeshFormat, bytes: &[u8], says: &str) {
    match load_bytes(format, bytes) {
        Err(error @ (LoadError::Malformed { .. } | LoadError::TooLarge { .. })) => {
            assert!(
                error.to_string().contains(says),
                "{error} should say {says:?}"
            );
        }
        other => panic!(
            "{format:?} should be refused, got {:?}",
            other.map(|m: Model| m.triangles())
        ),
    }
}

#[test]
fn truncated_empty_nan_and_lying_files_give_clear_errors() {
    for name in ["lens_cap.glb", "lens_cap.3mf", "lens_cap.stl"] {
        let bytes = std::fs::read(part_file(name)).unwrap();
        let format = MeshFormat::from_path(Path::new(name)).unwrap();
        for cut in [bytes.len() / 2, 100, 10] {
            assert!(
                load_bytes(format, &bytes[..cut]).is_err(),
                "{name} cut to {cut} bytes"
            );
        }
    }
    assert_broken(MeshFormat::Stl, b"", "empty");
    assert_broken(MeshFormat::Glb, b"", "");
    assert_broken(MeshFormat::ThreeMf, b"", "zip");

    let mut nan = std::fs::read(part_file("box_with_hole.stl")).unwrap();
    nan[84 + 12..84 + 16].copy_from_slice(&f32::NAN.to_le_bytes());
    assert_broken(MeshFormat::Stl, &nan, "NaN");

    let mut lying = vec![0u8; 84];
    lying[80..84].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_broken(MeshFormat::Stl, &lying, "cut short");

    let mut empty = vec![0u8; 84];
    empty[..5].copy_from_slice(b"empty");
    assert_eq!(load_bytes(MeshFormat::Stl, &empty).unwrap().triangles(), 0);
}

#[test]
fn a_3mf_zip_bomb_is_refused_before_it_is_unpacked() {
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    archive.start_file("3D/3dmodel.model", options).unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..1100 {
        archive.write_all(&zeros).unwrap();
    }
    let bomb = archive.finish().unwrap().into_inner();
    assert!(bomb.len() < 8 << 20, "small on disk: {} bytes", bomb.len());
    assert_broken(MeshFormat::ThreeMf, &bomb, "unpacks to");
}

#[test]
fn inspect_prints_the_summary_as_json() {
    let output = Command::new(env!("CARGO_BIN_EXE_makistry"))
        .args(["inspect", "--json"])
        .arg(part_file("enclosure_assembly.3mf"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["parts"], 3);
    assert_eq!(summary["triangles"], 5908);
    assert_eq!(summary["vertices"], 5992);
    assert_eq!(summary["bbox"]["max"][2], 27.0);
    assert!(summary["load_ms"].as_f64().unwrap() > 0.0);

    let broken = Command::new(env!("CARGO_BIN_EXE_makistry"))
        .args(["inspect", "Cargo.toml"])
        .output()
        .unwrap();
    assert_eq!(broken.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&broken.stderr).lines().count(),
        1,
        "a one-line reason"
    );
}

#[test]
fn a_load_reports_its_progress_and_stops_when_cancelled() {
    use makistry::model::{LoadProgress, load_path_with};
    let path = part_file("gear.stl");
    let size = std::fs::metadata(&path).unwrap().len();

    let progress = LoadProgress::default();
    assert!(!progress.building());
    let model = load_path_with(&path, &progress).unwrap();
    assert_eq!(progress.bytes(), (size, size));
    assert!(progress.building());
    assert_eq!(model, load_path(&path).unwrap());

    let abandoned = LoadProgress::default();
    abandoned.cancel();
    assert_eq!(load_path_with(&path, &abandoned), Err(LoadError::Cancelled));
    assert_eq!(abandoned.bytes().0, 0, "nothing read after the cancel");
}

/// Comparing a job's STL with the same part as CadQuery's GLB (Y up): the overlay turns the
/// GLB into the STL's Z-up frame, so the two coincide (CadQuery's files, not ours).
#[test]
fn an_overlay_of_one_part_from_two_formats_coincides() {
    use makistry::model::overlay::{Placed, Up, overlay};
    for part in ["enclosure_assembly", "lens_cap", "l_bracket"] {
        let stl = load_path(&part_file(&format!("{part}.stl"))).unwrap();
        let glb = load_path(&part_file(&format!("{part}.glb"))).unwrap();
        let both = overlay(
            Placed {
                model: &stl,
                up: Up::Z,
            },
            Placed {
                model: &glb,
                up: Up::Y,
            },
        );
        let bounds_of = |parts: &[makistry::model::Part]| {
            let mut min = [f32::MAX; 3];
            let mut max = [f32::MIN; 3];
            for p in parts.iter().flat_map(|part| &part.positions) {
                for axis in 0..3 {
                    min[axis] = min[axis].min(p[axis]);
                    max[axis] = max[axis].max(p[axis]);
                }
            }
            (min, max)
        };
        let (solid, see_through) = both.parts.split_at(stl.parts.len());
        let (a, b) = (bounds_of(solid), bounds_of(see_through));
        assert!(
            close(a.0, b.0) && close(a.1, b.1),
            "{part}: the STL spans {a:?}, the turned GLB {b:?}"
        );
        assert!(close(both.bounds.min, stl.bounds.min) && close(both.bounds.max, stl.bounds.max));
    }
}
