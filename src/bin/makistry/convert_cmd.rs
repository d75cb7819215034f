//! `makistry convert IN OUT [--tolerance MM [--angle DEG]]`: a STEP, GLB, STL or 3MF file
//! written as binary STL or 3MF (parts, names, colours, millimetres) or GLB (metres, Y up), the
//! format from OUT's extension. A STEP job's exact solid
//! becomes the mesh a slicer wants without a second paid job; a closed solid gives a closed
//! mesh.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use makistry::model::Detail;
use makistry::model::export::{self, ExportFormat};

use crate::common::{exit, fail};

/// Options of `makistry convert`.
#[derive(Args)]
pub struct ConvertArgs {
    /// The file to read (.step, .stp, .glb, .stl or .3mf).
    input: PathBuf,
    /// Where to write it: .stl (binary), .3mf or .glb.
    output: PathBuf,
    /// For STEP: the largest distance between a triangle and the exact surface, in mm (by
    /// default 0.05 % of the part's size, as the 3D view meshes it). Mesh files are written
    /// as they are.
    #[arg(long, value_name = "MM", value_parser = positive)]
    tolerance: Option<f32>,
    /// For STEP, with --tolerance: the largest angle between neighbouring triangles, in degrees.
    #[arg(long, value_name = "DEG", default_value_t = 20.0, value_parser = positive)]
    angle: f32,
}

fn positive(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("{s:?} is not a positive number")),
    }
}

/// Runs `makistry convert`.
pub async fn run(args: ConvertArgs) -> ExitCode {
    let Some(format) = ExportFormat::of_path(&args.output) else {
        return fail(
            &format!(
                "{} does not end in .stl, .3mf or .glb, the formats this command writes",
                args.output.display()
            ),
            "Name the output file.stl, file.3mf or file.glb.",
            exit::USER,
        );
    };
    let detail = args
        .tolerance
        .map_or(Detail::Full, |chord_mm| Detail::Chord {
            chord_mm,
            angle_deg: args.angle,
        });
    let ConvertArgs { input, output, .. } = args;
    let written = tokio::task::spawn_blocking(move || -> Result<(String, usize), String> {
        let model = makistry::model::load_path_at(&input, detail)
            .map_err(|e| format!("{} could not be read: {e}", input.display()))?;
        let y_up = export::read_with_y_up(&input);
        export::write(&model, y_up, format, &output).map_err(|e| e.to_string())?;
        Ok((output.display().to_string(), model.parts.len()))
    })
    .await;
    match written {
        Ok(Ok((path, parts))) => {
            eprintln!("{parts} part{} written", if parts == 1 { "" } else { "s" });
            out!("{path}");
            ExitCode::SUCCESS
        }
        Ok(Err(reason)) => fail(&reason, "", exit::USER),
        Err(e) => fail(&format!("converting failed: {e}"), "", exit::OTHER),
    }
}
