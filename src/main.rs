//! `makistry-desktop`: the window. It only starts things: logging, the tokio runtime for
//! background work, and eframe.
//!
//! This foundation build opens the window with the offline demo (the built-in API emulator)
//! running in the background; the prompt form, jobs panel and 3D viewport are built on it in
//! later issues.

use std::process::ExitCode;

use eframe::egui;
use makistry::emulator::{Emulator, key_preview};

/// What the background runtime reports to the window.
enum DemoState {
    Starting,
    Running {
        base_url: String,
        key_preview: String,
    },
    Failed(String),
}

struct App {
    demo: std::sync::mpsc::Receiver<DemoState>,
    state: DemoState,
}

impl eframe::App for App {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        while let Ok(state) = self.demo.try_recv() {
            self.state = state;
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("Makistry Desktop");
            ui.add_space(8.0);
            match &self.state {
                DemoState::Starting => {
                    ui.label("Starting the offline demo…");
                }
                DemoState::Running {
                    base_url,
                    key_preview,
                } => {
                    ui.label("Offline demo: the built-in Makistry API emulator is running.");
                    ui.label(format!("API base URL: {base_url}"));
                    ui.label(format!("Demo key: {key_preview}"));
                }
                DemoState::Failed(reason) => {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        format!("The offline demo could not start: {reason}"),
                    );
                }
            }
            ui.add_space(8.0);
            ui.label(
                "This is the foundation build: the prompt form, job progress and 3D preview \
                 are not in the window yet. The `makistry emulator` command serves the same API.",
            );
        });
    }
}

fn main() -> ExitCode {
    if std::env::args().any(|a| a == "--version" || a == "-V") {
        println!("makistry-desktop {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    makistry::logging::init();
    let runtime = match makistry::background_runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the background runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Background work runs on this runtime for as long as `main` (and so the window) lives.
    let _runtime_guard = runtime.enter();
    let background = runtime.handle().clone();
    let (report, demo) = std::sync::mpsc::channel();
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        depth_buffer: 24,
        multisampling: 4,
        viewport: egui::ViewportBuilder::default()
            .with_title("Makistry Desktop")
            .with_inner_size([960.0, 640.0]),
        ..Default::default()
    };
    let result = eframe::run_native(
        "Makistry Desktop",
        options,
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            // The emulator lives as long as the runtime's task; the window only hears about it.
            background.spawn(async move {
                let state = match Emulator::start().await {
                    Ok(emulator) => {
                        let state = DemoState::Running {
                            base_url: emulator.base_url(),
                            key_preview: key_preview(emulator.api_key()),
                        };
                        let _ = report.send(state);
                        ctx.request_repaint();
                        let _ = emulator.wait().await;
                        return;
                    }
                    Err(e) => DemoState::Failed(e.to_string()),
                };
                let _ = report.send(state);
                ctx.request_repaint();
            });
            Ok(Box::new(App {
                demo,
                state: DemoState::Starting,
            }))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the window could not open: {e}");
            ExitCode::FAILURE
        }
    }
}
