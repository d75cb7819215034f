//! `makistry inspect`: loads a STEP, GLB, STL or 3MF file with the viewer's own code and prints
//! what it holds, for users and for our checks.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use makistry::model::{self, Units};

use crate::common::{exit, fail};

/// Options of `makistry inspect`.
#[derive(Args)]
pub struct InspectArgs {
    /// The file (.step, .glb, .stl or .3mf; STEP is also known by its header).
    file: PathBuf,
    /// Print one JSON object: parts, triangles, vertices, bbox {min, max}, unmeshed (faces
    /// that could not be meshed), load_ms.
    #[arg(long)]
    json: bool,
}

/// Runs `makistry inspect`.
pub async fn run(args: InspectArgs) -> ExitCode {
    let path = args.file.clone();
    let loaded = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        model::load_path(&path).map(|m| (m, started.elapsed()))
    })
    .await;
    let (model, elapsed) = match loaded {
        Ok(Ok(loaded)) => loaded,
        Ok(Err(e)) => return fail(&format!("{}: {e}", args.file.display()), "", exit::USER),
        Err(e) => return fail(&format!("loading failed: {e}"), "", exit::OTHER),
    };
    let load_ms = elapsed.as_secs_f64() * 1000.0;
    // An empty file has no box; it is reported as zeros rather than infinities.
    let (min, max) = if model.bounds.is_empty() {
        ([0.0; 3], [0.0; 3])
    } else {
        (model.bounds.min, model.bounds.max)
    };
    if args.json {
        let summary = serde_json::json!({
            "parts": model.parts.len(),
            "triangles": model.triangles(),
            "vertices": model.vertices(),
            "bbox": { "min": min, "max": max },
            "unit": model.units.symbol(),
            "unmeshed": model.unmeshed,
            "missing_files": model.missing_files,
            "load_ms": load_ms,
        });
        out!("{summary}");
        return ExitCode::SUCCESS;
    }
    let size = model.bounds.size();
    out!(
        "{}: {} part(s), {} triangles, {} vertices",
        args.file.display(),
        model.parts.len(),
        model.triangles(),
        model.vertices()
    );
    // The window's rule: glTF is in metres (as glTF defines) unless OpenCascade wrote it
    // (CadQuery, so Makistry: millimetres); STL states no unit.
    let (unit, to_mm, note) = match model.units {
        Units::Metres => ("m", 1000.0, ""),
        Units::Millimetres => ("mm", 1.0, ""),
        Units::Unstated => ("mm", 1.0, "; STL states no unit, millimetres assumed"),
    };
    let inches = size.map(|s| s * to_mm / 25.4);
    out!(
        "  size   {:.2} × {:.2} × {:.2} {unit} = {:.2} × {:.2} × {:.2} in{note}",
        size[0],
        size[1],
        size[2],
        inches[0],
        inches[1],
        inches[2]
    );
    out!("  bbox   min {min:?}  max {max:?}");
    for part in &model.parts {
        out!("  part   {} ({} triangles)", part.name, part.triangles());
    }
    for face in &model.unmeshed {
        out!("  not shown: {face}");
    }
    for file in &model.missing_files {
        out!("  not shown: the part in {file}");
    }
    out!("  loaded in {load_ms:.1} ms");
    ExitCode::SUCCESS
}
