//! `makistry render`: draws a STEP, GLB, STL or 3MF file to a PNG without a window (EGL), from the
//! viewport's opening view (iso, framed), with the viewport's own scene code.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use makistry::model;

use crate::common::{exit, fail};

/// Options of `makistry render`.
#[derive(Args)]
pub struct RenderArgs {
    /// The file (.glb, .stl or .3mf).
    file: PathBuf,
    /// Where to write the PNG.
    #[arg(long)]
    out: PathBuf,
    /// Image size in pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "800x600", value_parser = parse_size)]
    size: (u32, u32),
    /// Draw the triangles' edges over the surface (the viewport's Edges).
    #[arg(long)]
    edges: bool,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X', '×'])
        .ok_or_else(|| format!("{s:?} is not WIDTHxHEIGHT, e.g. 800x600"))?;
    let number = |n: &str| {
        n.trim()
            .parse::<u32>()
            .map_err(|_| format!("{n:?} is not a whole number of pixels"))
    };
    Ok((number(w)?, number(h)?))
}

/// Runs `makistry render`.
pub async fn run(args: RenderArgs) -> ExitCode {
    let started = Instant::now();
    let path = args.file.clone();
    let out = args.out.clone();
    let (width, height) = args.size;
    let look = makistry::viewer::Look {
        edges: args.edges,
        ..Default::default()
    };
    let result = tokio::task::spawn_blocking(move || -> Result<(), String> {
        let model = model::load_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let camera = makistry::viewer::opening_view(&path, &model);
        let image = render(model, &camera, &look, width, height)?;
        image
            .save_with_format(&out, image::ImageFormat::Png)
            .map_err(|e| format!("{} could not be written: {e}", out.display()))
    })
    .await;
    match result {
        Ok(Ok(())) => {
            out!(
                "{} ({width}×{height}) in {:.0} ms",
                args.out.display(),
                started.elapsed().as_secs_f64() * 1000.0
            );
            ExitCode::SUCCESS
        }
        Ok(Err(reason)) => fail(&reason, "", exit::USER),
        Err(e) => fail(&format!("rendering failed: {e}"), "", exit::OTHER),
    }
}

#[cfg(target_os = "linux")]
fn render(
    model: model::Model,
    camera: &makistry::viewer::camera::OrbitCamera,
    look: &makistry::viewer::Look,
    width: u32,
    height: u32,
) -> Result<image::RgbaImage, String> {
    makistry::viewer::headless::render_and_drop(
        model,
        camera,
        look,
        width,
        height,
        [255, 255, 255, 255],
    )
    .map_err(|e| e.to_string())
}

#[cfg(not(target_os = "linux"))]
fn render(
    _: model::Model,
    _: &makistry::viewer::camera::OrbitCamera,
    _: &makistry::viewer::Look,
    _: u32,
    _: u32,
) -> Result<image::RgbaImage, String> {
    Err("rendering without a window needs EGL, which this build has only on Linux".into())
}
