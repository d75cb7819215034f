//! `makistry`: the command line, on the same core as the window.
//!
//! Exit codes: 0 success; 2 the user can fix it (arguments, an image, the key, credits, a
//! prompt the API refused); 3 the API refused or the job failed; 4 the API could not be
//! reached; 5 the job is still running on the server (run `makistry jobs resume` later);
//! 1 anything else (the history or the keychain could not be used).

/// `println!` for what a command prints on standard output: a reader that stopped early
/// (`makistry jobs | head -1`) ends the command quietly, with success, instead of a panic.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::common::print_line(format_args!($($arg)*))
    };
}

mod common;
mod convert_cmd;
mod emulator_cmd;
mod generate;
mod inspect_cmd;
mod jobs_cmd;
mod key_cmd;
mod render_cmd;
mod slicer_cmd;
mod thumbnail_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "makistry",
    version,
    about = "Makistry Text-to-CAD from the command line"
)]
struct Cli {
    /// The API to talk to (https, or http on this computer, e.g. `makistry emulator`).
    #[arg(long, global = true, env = "MAKISTRY_BASE_URL", default_value = makistry::api::DEFAULT_BASE_URL)]
    base_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Turn a prompt (and up to 3 reference images) into a CAD file.
    Generate(generate::GenerateArgs),
    /// The job history; `jobs resume` finishes every unfinished job.
    Jobs(jobs_cmd::JobsArgs),
    /// The API key in the system keychain.
    Key(key_cmd::KeyArgs),
    /// Load a STEP, GLB, STL or 3MF file as the viewer does and print parts, counts and size.
    Inspect(inspect_cmd::InspectArgs),
    /// Draw a STEP, GLB, STL or 3MF file to a PNG, without a window (as the viewport first shows it).
    Render(render_cmd::RenderArgs),
    /// Write a STEP, GLB, STL or 3MF file as binary STL or 3MF (the format from OUT's extension).
    Convert(convert_cmd::ConvertArgs),
    /// The slicers installed here; `slicer open` hands a part to one.
    Slicer(slicer_cmd::SlicerArgs),
    /// A square PNG of a STEP, GLB, STL or 3MF file (file managers' thumbnails; no display needed).
    Thumbnail(thumbnail_cmd::ThumbnailArgs),
    /// Run the local Makistry API emulator (no network, no real key or credits needed).
    Emulator(emulator_cmd::EmulatorArgs),
}

fn main() -> ExitCode {
    makistry::logging::init();
    let cli = Cli::parse();
    let runtime = match makistry::background_runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Generate(args) => generate::run(args, &cli.base_url).await,
            Command::Jobs(args) => jobs_cmd::run(args, &cli.base_url).await,
            Command::Key(args) => key_cmd::run(args, &cli.base_url).await,
            Command::Inspect(args) => inspect_cmd::run(args).await,
            Command::Render(args) => render_cmd::run(args).await,
            Command::Thumbnail(args) => thumbnail_cmd::run(args).await,
            Command::Convert(args) => convert_cmd::run(args).await,
            Command::Slicer(args) => slicer_cmd::run(args).await,
            Command::Emulator(args) => emulator_cmd::run(args).await,
        }
    })
}
