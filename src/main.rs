// Release builds on Windows open no console window beside the app (the `makistry` CLI keeps
// its console).
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]
//! `makistry-desktop`: the window. It only starts things: logging, the tokio runtime for
//! background work, and eframe with [`makistry::app::MakistryApp`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use eframe::egui;
use makistry::app::{AppConfig, MakistryApp};

/// Makistry Desktop: describe a part, get a CAD file.
#[derive(Parser)]
#[command(name = "makistry-desktop", version)]
struct Args {
    /// Start the offline demo: a built-in copy of the API on this computer, no key needed.
    #[arg(long)]
    demo: bool,
    /// A STEP, GLB, STL or 3MF file to open for viewing.
    file: Option<PathBuf>,
}

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let args = Args::parse();
    let log_dir = makistry::logging::log_dir();
    // Flushes the log file when `main` returns.
    let _logs = makistry::logging::init_with_files(log_dir.clone());
    let runtime = match makistry::background_runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the background runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let data_dir = match makistry::jobs::data_dir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Background work runs on this runtime for as long as `main` (and so the window) lives.
    let _runtime_guard = runtime.enter();
    let mut config = AppConfig::standard(runtime.handle().clone(), data_dir);
    config.started = started;
    config.log_dir = log_dir;
    config.demo = args.demo;
    config.open_file = args.file;
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(makistry::app::APP_NAME)
        // Matches the .desktop file's StartupWMClass, so docks group the window with its icon.
        .with_app_id("makistry-desktop")
        .with_inner_size([1180.0, 760.0])
        .with_min_inner_size([760.0, 480.0])
        .with_drag_and_drop(true);
    // Made by assets/icons/generate.py; 64 px is plenty for a title bar and decodes in
    // microseconds before the first frame.
    if let Ok(icon) =
        eframe::icon_data::from_png_bytes(include_bytes!("../assets/icons/icon-64.png"))
    {
        viewport = viewport.with_icon(std::sync::Arc::new(icon));
    }
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        // The 3D viewport needs a depth buffer (the default is none). No MSAA on the window:
        // with software GL it triples the cost of every frame (measured: 7.3 % vs 2.3 % CPU
        // while a job's clock ticks); the viewport anti-aliases its own render target.
        depth_buffer: 24,
        multisampling: 0,
        viewport,
        ..Default::default()
    };
    let result = eframe::run_native(
        "Makistry Desktop",
        options,
        Box::new(move |cc| Ok(Box::new(MakistryApp::new(cc, config)))),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the window could not open: {e}");
            ExitCode::FAILURE
        }
    }
}
