//! The window: owns the panels' state, drains background events at the start of each frame,
//! and applies the panels' intents by spawning background work (see [`tasks`]). The UI thread
//! only draws: files, network, keychain and decoding all happen on the tokio runtime.
//!
//! Repaints happen on events (every background report wakes the window), plus once a second
//! while a job shows a running clock, and once when the draft is due to be saved.

mod about;
mod chrome;
mod compare;
mod composer;
mod effect;
mod events;
mod history_search;
mod intents;
mod job_list;
mod layout;
mod notices;
mod preview;
mod router;
mod screen;
pub mod tasks;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::emulator::Timing;
use crate::jobs::JobEvent;
use crate::ui::messages::MessageList;
use crate::ui::{self};
use chrome::Chrome;
use job_list::JobList;
use preview::{Preview, Selection};
use screen::Screen;
use tasks::{ConnectTo, Connection, Event, Reporter, TrackerSettings};

/// How the window is started.
pub struct AppConfig {
    /// Background work runs here.
    pub runtime: Handle,
    /// Job history, draft and kept images.
    pub data_dir: PathBuf,
    /// The OS keychain (opened on a background task: it may talk to D-Bus), or a test store.
    pub keychain: tasks::KeychainChoice,
    /// The API a key is used with.
    pub base_url: String,
    /// Start the offline demo straight away (`--demo`).
    pub demo: bool,
    /// A STEP, GLB, STL or 3MF file to open for viewing.
    pub open_file: Option<PathBuf>,
    /// Job durations of the demo's emulator.
    pub demo_timing: Timing,
    /// Multiplies every wait of the job tracker (1.0; tests use less).
    pub time_scale: f64,
    /// Desktop notifications when a job ends while the window is in the background.
    pub notifications: bool,
    /// When the process started: the first frame logs how long it took to appear.
    pub started: Instant,
    /// Where the log files go (for diagnostics), if anywhere.
    pub log_dir: Option<PathBuf>,
}

impl AppConfig {
    /// The app as users run it: the system keychain, the platform's data directory, the
    /// real API (or `MAKISTRY_BASE_URL`).
    pub fn standard(runtime: Handle, data_dir: PathBuf) -> Self {
        Self {
            runtime,
            data_dir,
            keychain: tasks::KeychainChoice::System,
            base_url: std::env::var("MAKISTRY_BASE_URL")
                .ok()
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| crate::api::DEFAULT_BASE_URL.to_string()),
            demo: false,
            open_file: None,
            demo_timing: Timing::Fixed {
                queued: Duration::from_secs(2),
                processing: Duration::from_secs(10),
            },
            time_scale: 1.0,
            notifications: true,
            started: Instant::now(),
            log_dir: None,
        }
    }
}

/// Forwards the job trackers' reports (a tokio channel, as the CLI reads them too) into the
/// window's one inbox, until the window and its trackers are gone.
async fn forward_job_events(mut job_events: UnboundedReceiver<JobEvent>, report: Reporter) {
    while let Some(event) = job_events.recv().await {
        report.send(Event::Job(event));
    }
}

/// The app's name, as the window's title says it.
pub const APP_NAME: &str = "Makistry Desktop";

/// The app.
pub struct MakistryApp {
    config: AppConfig,
    report: Reporter,
    /// The one inbox: every background task's report, the job trackers' included.
    events: Receiver<Event>,
    settings: TrackerSettings,
    /// The screen, with the connection and the key form where they exist.
    screen: Screen,
    /// The prompt form: draft, images being checked, refusals.
    composer: composer::Composer,
    /// The shown history, its live state and the running workers.
    jobs: JobList,
    /// What the centre shows, its models and the 3D view.
    preview: Preview,
    messages: MessageList,
    /// Side panels, focus, About, diagnostics.
    chrome: Chrome,
}

impl MakistryApp {
    /// Builds the app and starts the background work of start-up (after which the first
    /// frame is drawn at once: the draft and the key arrive as events).
    pub fn new(cc: &eframe::CreationContext<'_>, config: AppConfig) -> Self {
        let ctx = cc.egui_ctx.clone();
        // A steady text cursor: a blinking one repaints the window twice a second while a
        // field has the focus (with software GL, 4–5 % of a core while a job waits).
        ctx.global_style_mut(|style| style.visuals.text_cursor.blink = false);
        let (sender, events) = channel();
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || ctx.request_repaint());
        let report = Reporter::new(sender, wake);
        let (job_sender, job_events) = tokio::sync::mpsc::unbounded_channel();
        config
            .runtime
            .spawn(forward_job_events(job_events, report.clone()));
        let settings = TrackerSettings {
            job_events: job_sender,
            time_scale: config.time_scale,
            demo_timing: config.demo_timing,
        };
        let mut app = Self {
            report,
            events,
            settings,
            screen: Screen::Starting,
            composer: composer::Composer::default(),
            jobs: JobList::default(),
            preview: Preview::default(),
            messages: MessageList::default(),
            chrome: Chrome::new(
                cc.egui_ctx.clone(),
                cc.gl
                    .as_deref()
                    .map_or_else(|| "none (no GL context)".into(), crate::viewer::gl_renderer),
            ),
            config,
        };
        app.preview = Preview::new(crate::viewer::DrawSpeed::of_renderer(
            &app.chrome.gl_renderer,
        ));
        app.spawn(tasks::load_draft(
            app.config.data_dir.clone(),
            app.report.clone(),
        ));
        app.spawn(tasks::find_slicers(app.report.clone()));
        if app.config.demo {
            app.start_demo();
        } else {
            let keychain = app.config.keychain.clone();
            let data_dir = app.config.data_dir.clone();
            app.spawn(tasks::find_key(keychain, data_dir, app.report.clone()));
        }
        if let Some(path) = app.config.open_file.clone() {
            app.open_paths(vec![path]);
        }
        app
    }

    /// Every background task goes through here: one that panics still ends in exactly one
    /// event ([`Event::TaskPanicked`]), so no screen waits for an answer that cannot come.
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        tasks::spawn_reporting_panics(&self.config.runtime, &self.report, task);
    }

    fn start_demo(&mut self) {
        self.screen.start_connecting();
        self.spawn(tasks::connect(ConnectTo::Demo, self.connect_context()));
    }

    /// What a connecting task needs from the window.
    /// The connection in use, if any.
    fn connection(&self) -> Option<&Connection> {
        self.screen.connection()
    }

    fn connect_context(&self) -> tasks::ConnectContext {
        tasks::ConnectContext {
            base_url: self.config.base_url.clone(),
            data_dir: self.config.data_dir.clone(),
            settings: self.settings.clone(),
            report: self.report.clone(),
        }
    }

    // ----- events -----

    fn drain_events(&mut self) {
        let shown = (self.messages.pushed(), self.composer.messages().pushed());
        while let Ok(event) = self.events.try_recv() {
            self.apply_event(event);
        }
        self.remember_errors(shown);
    }

    fn add_thumbnail(&mut self, sha: String, image: egui::ColorImage) {
        let texture = self.chrome.ctx.load_texture(
            format!("thumb-{sha}"),
            image,
            egui::TextureOptions::LINEAR,
        );
        self.preview.add_thumbnail(sha, texture);
    }

    /// Writes the draft once it has been still for a moment.
    fn save_draft_when_due(&mut self, ctx: &egui::Context) {
        match self.composer.save_when_due(Instant::now()) {
            Ok(effects) => self.run_effects(effects),
            Err(wait) => ctx.request_repaint_after(wait),
        }
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped = ctx.input(|i| i.raw.dropped_files.clone());
        if dropped.is_empty() {
            return;
        }
        // Native drops always carry a path; reading happens in the background tasks.
        let paths = dropped
            .iter()
            .map(|file| file.path().to_path_buf())
            .collect();
        self.open_paths(paths);
    }

    /// The window's title names the file in view, as viewers' titles do.
    fn name_the_window(&mut self, ctx: &egui::Context) {
        let names: Vec<String> = (self.shown_files().iter())
            .filter_map(|(file, _)| file.file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .collect();
        let title = if names.is_empty() {
            APP_NAME.to_string()
        } else {
            format!("{} — {APP_NAME}", names.join(" vs "))
        };
        if title != self.chrome.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.chrome.title = title;
        }
    }

    /// How long a job takes on the connection in use, where not the mode's typical time: the
    /// offline demo's jobs take its fixed few seconds.
    fn pace(&self) -> Option<(Duration, Duration)> {
        match (self.connection()?.demo.as_ref(), self.config.demo_timing) {
            (Some(_), Timing::Fixed { queued, processing }) => {
                let total = queued + processing;
                Some((total, total))
            }
            _ => None,
        }
    }

    /// The window's title now.
    pub fn window_title(&self) -> &str {
        &self.chrome.title
    }

    /// Repaint every 2 s while a job shows a running clock or countdown, and every 5 s when
    /// the window is in the background. Each frame costs ~30 ms of CPU with software GL
    /// (llvmpipe under Xvfb): ticking every second measured 3.4 % of a core.
    fn schedule_clock_repaint(&self, ctx: &egui::Context) {
        if self.jobs.shows_a_clock() {
            let every = if self.chrome.focused { 2 } else { 5 };
            ctx.request_repaint_after(Duration::from_secs(every));
        }
    }
}

impl eframe::App for MakistryApp {
    fn on_exit(&mut self, _gl: Option<&egui_glow::glow::Context>) {
        // The view's GL objects go while the context is still current (three-d holds its
        // own handle to the context, so `gl` itself is not needed to delete them).
        self.preview.free_gl();
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.chrome.focused = ctx.input(|i| i.viewport().focused.unwrap_or(true));
        tracing::trace!(focused = self.chrome.focused, "frame");
        self.drain_events();
        // A file dropped before any key is set is shown beside the welcome, as one given on
        // the command line is; images wait in the form.
        if matches!(self.screen, Screen::Main { .. } | Screen::Welcome(_)) {
            self.handle_dropped_files(ctx);
        }
        self.name_the_window(ctx);
        self.save_draft_when_due(ctx);
        self.schedule_clock_repaint(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let file_before_key = matches!(self.screen, Screen::Welcome(_))
            && matches!(self.preview.selection(), Some(Selection::File(_)));
        let intents = match &mut self.screen {
            Screen::Welcome(_) if file_before_key => self.file_before_key_ui(ui),
            Screen::Starting => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.weak("Starting…");
                });
                Vec::new()
            }
            Screen::Connecting => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.vertical_centered(|ui| {
                        ui.add_space(40.0);
                        ui.label("Connecting…");
                    });
                });
                Vec::new()
            }
            Screen::Welcome(form) => key_form_ui(ui, form, false),
            Screen::Main {
                key_form: Some(form),
                ..
            } => key_form_ui(ui, form, true),
            Screen::Main { key_form: None, .. } => {
                let intents = self.main_ui(ui);
                self.drop_overlay_ui(ui);
                if self.chrome.about_open {
                    let ctx = ui.ctx().clone();
                    self.about_ui(&ctx);
                }
                intents
            }
        };
        for intent in intents {
            self.apply_intent(intent);
        }
        if !self.chrome.first_frame_drawn {
            self.chrome.first_frame_drawn = true;
            let ms = self.config.started.elapsed().as_secs_f64() * 1000.0;
            tracing::info!("first frame drawn {ms:.0} ms after start");
        }
    }
}

/// The key form as a whole screen; `can_cancel` over the main screen.
fn key_form_ui(
    ui: &mut egui::Ui,
    form: &mut crate::ui::welcome::KeyForm,
    can_cancel: bool,
) -> Vec<ui::Intent> {
    let mut intents = Vec::new();
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            intents = ui::welcome::welcome_ui(ui, form, can_cancel);
        });
    });
    intents
}
