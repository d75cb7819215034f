//! Every part in the emulator's library, downloaded over HTTP in every format, parses as that
//! format and holds the geometry the generator script modelled.

use makistry::emulator::EmulatorConfig;
use serde_json::json;

use crate::support::cad::{load_mesh, parse_step};
use crate::support::{emulator_with, finished_job, http, no_rate_limits, submit};

/// (prompt, design mode, part slug, expected bounding-box size in mm, sorted, ±0.5 mm).
const PARTS: [(&str, &str, &str, [f32; 3]); 6] = [
    (
        "a 60 mm lens cap with a snap-fit lip",
        "standard",
        "lens_cap",
        [10.0, 61.2, 61.2],
    ),
    (
        "an aluminium L-bracket with M5 holes and a gusset",
        "pro",
        "l_bracket",
        [40.0, 40.0, 60.0],
    ),
    (
        "A 40x20x10mm box with a 5mm hole",
        "standard",
        "box_with_hole",
        [10.0, 20.0, 40.0],
    ),
    (
        "an electronics enclosure with screw bosses",
        "standard",
        "enclosure",
        [30.0, 50.0, 80.0],
    ),
    (
        "a gear with 24 teeth",
        "standard",
        "gear",
        [12.0, 50.0, 50.0],
    ),
    (
        "an enclosure with a lid and a PCB",
        "assembly",
        "enclosure_assembly",
        [27.0, 45.0, 70.0],
    ),
];

async fn download(
    emu: &makistry::emulator::Emulator,
    prompt: &str,
    mode: &str,
    format: &str,
) -> (String, Vec<u8>) {
    let job_id = submit(
        emu,
        json!({ "prompt": prompt, "design_mode": mode, "output_format": format }),
    )
    .await;
    let job = finished_job(emu, &job_id).await;
    assert_eq!(job["status"], "success", "{prompt}");
    let url = job["download_url"].as_str().unwrap();
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    let file_name = disposition.split('"').nth(1).unwrap().to_string();
    (file_name, response.bytes().await.unwrap().to_vec())
}

fn sorted_size(min: [f32; 3], max: [f32; 3]) -> [f32; 3] {
    let mut size = [max[0] - min[0], max[1] - min[1], max[2] - min[2]];
    size.sort_by(f32::total_cmp);
    size
}

#[tokio::test]
async fn every_part_in_every_format_parses_with_the_modelled_size() {
    let emu = emulator_with(EmulatorConfig {
        rate_limits: no_rate_limits(),
        credits: 1_000_000,
        ..EmulatorConfig::default()
    })
    .await;
    for (prompt, mode, slug, expected_size) in PARTS {
        let (name, step) = download(&emu, prompt, mode, "STEP").await;
        assert_eq!(name, format!("{slug}.step"));
        let summary = parse_step(&step).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            summary.types.contains_key("MANIFOLD_SOLID_BREP"),
            "{name} holds no B-rep solid: {:?}",
            summary.types.keys()
        );
        assert!(summary.types.contains_key("ADVANCED_FACE"), "{name}");
        assert!(summary.instances > 100, "{name}");

        for format in ["STL", "GLB", "3MF"] {
            let (name, bytes) = download(&emu, prompt, mode, format).await;
            assert_eq!(name, format!("{slug}.{}", format.to_lowercase()));
            let mesh = load_mesh(&name, bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(mesh.triangles > 50, "{name}: {} triangles", mesh.triangles);
            let size = sorted_size(mesh.min, mesh.max);
            for axis in 0..3 {
                assert!(
                    (size[axis] - expected_size[axis]).abs() < 0.5,
                    "{name}: size {size:?}, expected {expected_size:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_assembly_keeps_three_coloured_parts_placed_by_transforms() {
    let emu = emulator_with(EmulatorConfig {
        rate_limits: no_rate_limits(),
        ..EmulatorConfig::default()
    })
    .await;
    let (name, glb) = download(&emu, "an enclosure", "assembly", "GLB").await;
    let glb_mesh = load_mesh(&name, glb).unwrap();
    assert_eq!(glb_mesh.colours.len(), 3, "{name}: {:?}", glb_mesh.colours);
    let (name, three_mf) = download(&emu, "an enclosure", "assembly", "3MF").await;
    // CadQuery's 3MF exporter writes the assembly's compound: its three parts, placed, and
    // no colours (trimesh's reading of the same bytes).
    let three_mf_mesh = load_mesh(&name, three_mf).unwrap();
    assert_eq!(three_mf_mesh.parts, 3, "{name}");
    // Z-up in 3MF: base from 0, lid on top at 24 + 3 mm.
    assert!(
        (three_mf_mesh.min[2] - 0.0).abs() < 0.01 && (three_mf_mesh.max[2] - 27.0).abs() < 0.01,
        "{three_mf_mesh:?}"
    );
}
