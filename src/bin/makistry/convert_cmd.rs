//! `makistry convert IN OUT`: a STEP, GLB, STL or 3MF file written as binary STL or 3MF (parts,
//! names, colours, millimetres), the format from OUT's extension. A STEP job's exact solid
//! becomes the mesh a slicer wants without a second paid job; a closed solid gives a closed
//! mesh.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use makistry::model::export::{self, ExportFormat};

use crate::common::{exit, fail};

/// Options of `makistry convert`.
#[derive(Args)]
pub struct ConvertArgs {
    /// The file to read (.step, .stp, .glb, .stl or .3mf).
    input: PathBuf,
    /// Where to write it: .stl (binary) or .3mf.
    output: PathBuf,
}

/// Runs `makistry convert`.
pub async fn run(args: ConvertArgs) -> ExitCode {
    let Some(format) = ExportFormat::of_path(&args.output) else {
        return fail(
            &format!(
                "{} does not end in .stl or .3mf, the formats this command writes",
                args.output.display()
            ),
            "Name the output file.stl or file.3mf.",
            exit::USER,
        );
    };
    let ConvertArgs { input, output } = args;
    let written = tokio::task::spawn_blocking(move || -> Result<(String, usize), String> {
        let model = makistry::model::load_path(&input)
            .map_err(|e| format!("{} could not be read: {e}", input.display()))?;
        export::write(&model, format, &output).map_err(|e| e.to_string())?;
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
