//! `makistry thumbnail [-s SIZE] IN OUT`: a square PNG of a STEP, GLB, STL or 3MF file's part,
//! as the viewport first frames it, on a transparent background. It is what file managers run
//! through the freedesktop thumbnailer entry (`packaging/linux/makistry.thumbnailer`): no
//! display is needed (EGL surfaceless), and it is bounded, so a broken or huge file costs the
//! file manager little: a file over 512 MiB is refused at once, and the whole run stops with an
//! error after 20 s.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::common::{exit, fail};

/// Files larger than this are not read for a thumbnail.
const LARGEST_FILE: u64 = 512 * 1024 * 1024;
/// The longest a thumbnail may take (`MAKISTRY_THUMBNAIL_TIMEOUT_S` overrides it).
const TIME_LIMIT: Duration = Duration::from_secs(20);

/// Options of `makistry thumbnail`.
#[derive(Args)]
pub struct ThumbnailArgs {
    /// Pixels on a side (16 to 1024).
    #[arg(short = 's', long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(16..=1024))]
    size: u32,
    /// The file (.step, .stp, .glb, .stl or .3mf).
    input: PathBuf,
    /// Where to write the PNG.
    output: PathBuf,
}

/// Runs `makistry thumbnail`.
pub async fn run(args: ThumbnailArgs) -> ExitCode {
    match std::fs::metadata(&args.input) {
        Ok(meta) if meta.len() > LARGEST_FILE => {
            return fail(
                &format!(
                    "{} is too large to make a thumbnail of ({} MiB; at most 512 MiB)",
                    args.input.display(),
                    meta.len() / (1024 * 1024)
                ),
                "",
                exit::USER,
            );
        }
        Ok(_) => {}
        Err(e) => {
            return fail(
                &format!("{} could not be read: {e}", args.input.display()),
                "",
                exit::USER,
            );
        }
    }
    let limit = std::env::var("MAKISTRY_THUMBNAIL_TIMEOUT_S")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(TIME_LIMIT, Duration::from_secs_f64);
    let made = tokio::task::spawn_blocking(move || {
        makistry::viewer::thumbnail::make_sized(&args.input, &args.output, args.size)
    });
    match tokio::time::timeout(limit, made).await {
        Ok(Ok(Ok(()))) => ExitCode::SUCCESS,
        Ok(Ok(Err(reason))) => fail(&format!("no thumbnail: {reason}"), "", exit::USER),
        Ok(Err(e)) => fail(&format!("no thumbnail: {e}"), "", exit::OTHER),
        // The blocking reader cannot be stopped from here; the process ends instead (and the
        // STEP mesher, a child, is killed with it by its own watchdog).
        Err(_) => {
            eprintln!(
                "error: no thumbnail: the file took longer than {} s to read and draw",
                limit.as_secs_f64()
            );
            std::process::exit(i32::from(exit::OTHER));
        }
    }
}
