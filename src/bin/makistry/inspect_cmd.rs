//! `makistry inspect`: loads a STEP, GLB, STL or 3MF file with the viewer's own code and prints
//! what it holds, for users and for our checks.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use makistry::model;

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
            "unmeshed": model.unmeshed,
            "load_ms": load_ms,
        });
        println!("{summary}");
        return ExitCode::SUCCESS;
    }
    let size = model.bounds.size();
    println!(
        "{}: {} part(s), {} triangles, {} vertices",
        args.file.display(),
        model.parts.len(),
        model.triangles(),
        model.vertices()
    );
    println!(
        "  size   {:.2} × {:.2} × {:.2} (file units; mm for Makistry files) = {:.2} × {:.2} × {:.2} in",
        size[0],
        size[1],
        size[2],
        size[0] / 25.4,
        size[1] / 25.4,
        size[2] / 25.4
    );
    println!("  bbox   min {min:?}  max {max:?}");
    for part in &model.parts {
        println!("  part   {} ({} triangles)", part.name, part.triangles());
    }
    for face in &model.unmeshed {
        println!("  not shown: {face} (it could not be meshed)");
    }
    println!("  loaded in {load_ms:.1} ms");
    ExitCode::SUCCESS
}
