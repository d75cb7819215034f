//! The window: owns the panels' state, drains background events at the start of each frame,
//! and applies the panels' intents by spawning background work (see [`tasks`]). The UI thread
//! only draws: files, network, keychain and decoding all happen on the tokio runtime.
//!
//! Repaints happen on events (every background report wakes the window), plus once a second
//! while a job shows a running clock, and once when the draft is due to be saved.

mod history_watch;
mod layout;
mod spawn;
pub mod tasks;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::runtime::Handle;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::api::MAX_IMAGES;
use crate::draft::Draft;
use crate::emulator::Timing;
use crate::jobs::{JobEvent, JobRecord, Phase};
use crate::keychain::parse_api_key;
use crate::ui::jobs::LiveJob;
use crate::ui::messages::MessageList;
use crate::ui::result::ModelState;
use crate::ui::welcome::KeyForm;
use crate::ui::{self, Intent, Message};
use crate::viewer::ViewerState;
use tasks::{ConnectTo, Connection, Event, Reporter, TrackerSettings};

/// How the draft waits after the last change before it is written.
const DRAFT_SAVE_DELAY: Duration = Duration::from_millis(400);

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

/// Which screen is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    /// Looking for a key (a fraction of a second).
    Starting,
    /// No key: paste one or try the demo.
    Welcome,
    /// Connecting (checking a key, starting the demo).
    Connecting,
    /// The form, jobs and results.
    Main,
}

/// What the central area shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Selection {
    Job(String),
    File(PathBuf),
}

/// The app.
pub struct MakistryApp {
    config: AppConfig,
    report: Reporter,
    events: Receiver<Event>,
    job_events: UnboundedReceiver<JobEvent>,
    settings: TrackerSettings,
    screen: Screen,
    key_form: KeyForm,
    /// The key form is open over the main screen (Replace / use a real key).
    key_form_open: bool,
    connection: Option<Connection>,
    draft: Draft,
    draft_loaded: bool,
    draft_changed_at: Option<Instant>,
    thumbnails: HashMap<String, egui::TextureHandle>,
    checking_images: usize,
    attachment_messages: MessageList,
    jobs: Vec<JobRecord>,
    live: HashMap<String, LiveJob>,
    running: HashSet<String>,
    selection: Option<Selection>,
    models: HashMap<PathBuf, ModelState>,
    messages: MessageList,
    /// Side panels the user showed or hid.
    panels: layout::PanelChoice,
    focused: bool,
    /// The 3D viewport's camera, tools and part visibility (kept without a GL context too:
    /// kittest drives it; only the drawing needs GL).
    viewer: ViewerState,
    /// The first frame has been drawn (and its time logged).
    first_frame_drawn: bool,
    /// The About window is open.
    about_open: bool,
    /// The GL renderer, for diagnostics.
    gl_renderer: String,
    /// The last errors shown, with their times, for diagnostics.
    recent_errors: Vec<String>,
}

impl MakistryApp {
    /// Builds the app and starts the background work of start-up (after which the first
    /// frame is drawn at once: the draft and the key arrive as events).
    pub fn new(cc: &eframe::CreationContext<'_>, config: AppConfig) -> Self {
        let ctx = cc.egui_ctx.clone();
        let (sender, events) = channel();
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || ctx.request_repaint());
        let report = Reporter::new(sender, wake);
        let (job_sender, job_events) = tokio::sync::mpsc::unbounded_channel();
        let settings = TrackerSettings {
            job_events: job_sender,
            time_scale: config.time_scale,
            demo_timing: config.demo_timing,
        };
        let mut app = Self {
            report,
            events,
            job_events,
            settings,
            screen: Screen::Starting,
            key_form: KeyForm::default(),
            key_form_open: false,
            connection: None,
            draft: Draft::default(),
            draft_loaded: false,
            draft_changed_at: None,
            thumbnails: HashMap::new(),
            checking_images: 0,
            attachment_messages: MessageList::default(),
            jobs: Vec::new(),
            live: HashMap::new(),
            running: HashSet::new(),
            selection: None,
            models: HashMap::new(),
            messages: MessageList::default(),
            panels: layout::PanelChoice::default(),
            focused: true,
            viewer: ViewerState::default(),
            first_frame_drawn: false,
            about_open: false,
            gl_renderer: cc
                .gl
                .as_deref()
                .map_or_else(|| "none (no GL context)".into(), crate::viewer::gl_renderer),
            recent_errors: Vec::new(),
            config,
        };
        app.spawn(tasks::load_draft(
            app.config.data_dir.clone(),
            app.report.clone(),
        ));
        if app.config.demo {
            app.start_demo();
        } else {
            let keychain = app.config.keychain.clone();
            app.spawn(tasks::find_key(keychain, app.report.clone()));
        }
        if let Some(path) = app.config.open_file.clone() {
            app.open_paths(vec![path]);
        }
        app
    }

    /// Every background task goes through here: one that panics still ends in exactly one
    /// event ([`Event::TaskPanicked`]), so no screen waits for an answer that cannot come.
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        spawn::spawn_reporting_panics(&self.config.runtime, &self.report, task);
    }

    fn images_dir(&self) -> PathBuf {
        self.config.data_dir.join("images")
    }

    fn start_demo(&mut self) {
        // With a connection in use, the main screen stays until the demo is up.
        if self.connection.is_none() {
            self.screen = Screen::Connecting;
        }
        self.spawn(tasks::connect(
            ConnectTo::Demo,
            self.config.base_url.clone(),
            self.config.data_dir.clone(),
            self.settings.clone(),
            self.report.clone(),
        ));
    }

    // ----- events -----

    fn drain_events(&mut self, ctx: &egui::Context) {
        let shown = (self.messages.pushed(), self.attachment_messages.pushed());
        while let Ok(event) = self.events.try_recv() {
            self.apply_event(ctx, event);
        }
        while let Ok(event) = self.job_events.try_recv() {
            self.apply_job_event(event);
        }
        self.remember_errors(shown);
    }

    /// Keeps the errors that appeared since `shown` (message counts) for diagnostics.
    fn remember_errors(&mut self, (messages, attachments): (u64, u64)) {
        let now = chrono::Local::now().format("%H:%M:%S");
        let new = self
            .messages
            .newest_since(messages)
            .chain(self.attachment_messages.newest_since(attachments))
            .filter(|m| m.is_error)
            .map(|m| format!("{now} {} {}", m.sentence, m.action))
            .collect::<Vec<_>>();
        self.recent_errors.extend(new);
        let excess = self.recent_errors.len().saturating_sub(20);
        self.recent_errors.drain(..excess);
    }

    /// What a user pastes into a bug report: versions, system, GL, paths, recent errors. The
    /// key appears only as `…last4`.
    fn diagnostics(&self) -> String {
        let connection = match &self.connection {
            Some(c) if c.demo.is_some() => format!("offline demo at {}", c.base_url),
            Some(c) => format!("{} with key {}", c.base_url, c.key_preview),
            None => "not connected".into(),
        };
        let mut out = format!(
            "Makistry Desktop {}\nSystem: {} {} ({})\nOpenGL: {}\nAPI: {connection}\n\
             Data: {}\nLogs: {}\nJobs: {} ({} running)\n",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH,
            std::env::consts::FAMILY,
            self.gl_renderer,
            self.config.data_dir.display(),
            self.config.log_dir.as_ref().map_or_else(
                || "(standard error only)".into(),
                |d| d.display().to_string()
            ),
            self.jobs.len(),
            self.running.len(),
        );
        out.push_str("Recent errors:\n");
        if self.recent_errors.is_empty() {
            out.push_str("  none\n");
        }
        for error in &self.recent_errors {
            out.push_str(&format!("  {error}\n"));
        }
        out
    }

    fn about_ui(&mut self, ctx: &egui::Context) {
        let mut open = self.about_open;
        let text = self.diagnostics();
        egui::Window::new("About Makistry Desktop")
            .open(&mut open)
            .collapsible(false)
            .resizable(true)
            .default_width(520.0)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    ui.label("Appearance:");
                    let mut theme = ui.ctx().options(|o| o.theme_preference);
                    for (choice, label) in [
                        (egui::ThemePreference::System, "As the system"),
                        (egui::ThemePreference::Light, "Light"),
                        (egui::ThemePreference::Dark, "Dark"),
                    ] {
                        if ui.selectable_value(&mut theme, choice, label).clicked() {
                            ui.ctx().set_theme(theme);
                        }
                    }
                });
                ui.separator();
                ui.label("Paste this into a bug report; it holds no key or prompt.");
                let mut shown = text.as_str();
                let label = ui.label("Diagnostics");
                ui.add(
                    egui::TextEdit::multiline(&mut shown)
                        .font(egui::TextStyle::Monospace)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
                if ui.button("Copy diagnostics").clicked() {
                    ui.ctx().copy_text(text.clone());
                }
            });
        self.about_open = open;
    }

    fn apply_event(&mut self, ctx: &egui::Context, event: Event) {
        match event {
            Event::DraftLoaded {
                draft,
                thumbnails,
                problems,
            } => {
                // Anything typed before the draft arrived wins over the stored text.
                if self.draft_changed_at.is_none() {
                    self.draft = draft;
                } else {
                    for image in draft.images {
                        if self.draft.images.len() < MAX_IMAGES {
                            self.draft.images.push(image);
                        }
                    }
                }
                for (sha, image) in thumbnails {
                    self.add_thumbnail(ctx, sha, image);
                }
                for problem in problems {
                    self.attachment_messages.push(problem);
                }
                self.draft_loaded = true;
            }
            Event::KeyFound(Ok(Some((key, source)))) => {
                self.screen = Screen::Connecting;
                self.spawn(tasks::connect(
                    ConnectTo::Key {
                        key,
                        source,
                        note: None,
                    },
                    self.config.base_url.clone(),
                    self.config.data_dir.clone(),
                    self.settings.clone(),
                    self.report.clone(),
                ));
            }
            Event::KeyFound(Ok(None)) => self.screen = Screen::Welcome,
            Event::KeyFound(Err(e)) => {
                self.screen = Screen::Welcome;
                self.key_form.problem = Some(Message::error(
                    format!("The system keychain could not be read: {e}."),
                    e.action(),
                ));
            }
            Event::KeyRefused(message) => self.connecting_failed(message),
            Event::KeyUnchecked(message) => {
                self.connecting_failed(message);
                self.key_form.offer_unchecked = true;
            }
            Event::KeyRemoved(result) => match result {
                Ok(()) => {
                    self.connection = None;
                    self.jobs.clear();
                    self.selection = None;
                    self.screen = Screen::Welcome;
                    self.key_form = KeyForm::default();
                }
                Err(message) => self.messages.push(message),
            },
            Event::Connected(Ok(connected)) => {
                let tasks::Connected {
                    connection,
                    mut jobs,
                    notice,
                } = *connected;
                if let Some(notice) = notice {
                    self.messages.push(Message::error(
                        notice.sentence(),
                        "Older jobs are not shown.",
                    ));
                }
                if let Some(note) = &connection.note {
                    self.messages.push(note.clone());
                }
                jobs.sort_by_key(|j| std::cmp::Reverse(j.created_at));
                self.jobs = jobs;
                self.key_form = KeyForm::default();
                self.key_form_open = false;
                self.screen = Screen::Main;
                self.selection = self.selection.take().or_else(|| {
                    self.jobs
                        .iter()
                        .find(|j| j.phase == Phase::Done)
                        .map(|j| Selection::Job(j.id.clone()))
                });
                self.connection = Some(connection);
                self.load_job_thumbnails();
                self.resume_jobs();
                self.load_selected_model();
            }
            Event::Connected(Err(message)) => self.connecting_failed(message),
            Event::Attached(result) => {
                self.checking_images = self.checking_images.saturating_sub(1);
                match result {
                    Ok(attached) => {
                        if self.draft.images.len() >= MAX_IMAGES {
                            self.attachment_messages.push(Message::error(
                                format!("A job takes at most {MAX_IMAGES} images."),
                                "Remove one to add another.",
                            ));
                        } else if self
                            .draft
                            .images
                            .iter()
                            .any(|i| i.sha256 == attached.image.sha256)
                        {
                            self.attachment_messages
                                .push(Message::info("That image is already attached."));
                        } else {
                            if let Some(thumbnail) = attached.thumbnail {
                                self.add_thumbnail(ctx, attached.image.sha256.clone(), thumbnail);
                            }
                            self.draft.images.push(attached.image);
                            self.draft_changed();
                        }
                    }
                    Err(message) => self.attachment_messages.push(message),
                }
            }
            Event::Picked(paths) => self.open_paths(paths),
            Event::Thumbnails(thumbnails) => {
                for (sha, image) in thumbnails {
                    self.add_thumbnail(ctx, sha, image);
                }
            }
            Event::PastedFiles(paths) => {
                // The paste's own place is taken by the files it found.
                self.checking_images = self.checking_images.saturating_sub(1);
                self.open_paths(paths);
            }
            Event::SurfacePoint { path, hit } => self.viewer.picked(&path, hit),
            Event::StandIn { path, of, stand_in } => {
                if let Some(ModelState::Loaded {
                    model,
                    stand_in: slot,
                    ..
                }) = self.models.get_mut(&path)
                    && Arc::ptr_eq(model, &of)
                {
                    *slot = Some(stand_in);
                }
            }
            Event::ModelLoaded { path, result } => {
                let state = match result {
                    Ok((summary, model)) => ModelState::Loaded {
                        summary,
                        model,
                        stand_in: None,
                    },
                    Err(message) => ModelState::Failed(message),
                };
                self.models.insert(path, state);
            }
            Event::RecordFailed { job, message } => {
                self.running.remove(&job.id);
                self.restore_unsent(*job);
                self.messages.push(message);
            }
            Event::Orphans(ids) => self.resume_orphans(&ids),
            Event::TaskPanicked(what) => self.recover_from_panic(&what),
            Event::WorkerStopped(id) => {
                self.running.remove(&id);
                self.live.remove(&id);
            }
            Event::Notice(message) => self.messages.push(message),
        }
    }

    /// A key was refused or a connection (key or demo) failed: say so where the user looks.
    /// With a connection still in use, the main screen stays (the old connection keeps
    /// working); the reason goes into the key form if it is open, else into the messages.
    fn connecting_failed(&mut self, message: Message) {
        self.key_form.busy = false;
        if self.connection.is_none() {
            self.screen = Screen::Welcome;
            self.key_form.problem = Some(message);
        } else {
            self.screen = Screen::Main;
            if self.key_form_open {
                self.key_form.problem = Some(message);
            } else {
                self.messages.push(message);
            }
        }
    }

    fn apply_job_event(&mut self, event: JobEvent) {
        match event {
            JobEvent::Updated(job) => {
                let job = *job;
                let live = self.live.entry(job.id.clone()).or_default();
                live.waiting = None;
                if job.phase != Phase::Downloading {
                    live.download = None;
                }
                let was = self.jobs.iter().position(|j| j.id == job.id);
                let settled_now =
                    job.phase.is_settled() && was.is_some_and(|i| !self.jobs[i].phase.is_settled());
                if settled_now {
                    self.job_settled(&job);
                }
                let ours = self.connection.as_ref().is_some_and(|c| {
                    job.api_base
                        .as_deref()
                        .is_none_or(|base| base == c.base_url)
                });
                match was {
                    Some(index) => self.jobs[index] = job,
                    // A job of an earlier connection (e.g. the demo before a key was pasted)
                    // still reporting: it belongs to the other history.
                    None if !ours => {}
                    None => self.jobs.insert(0, job),
                }
            }
            JobEvent::Waiting { job_id, waiting } => {
                let rate_limited =
                    matches!(waiting.error, crate::api::ApiError::QuotaExceeded { .. });
                let reason = waiting.error.sentence().trim_end_matches('.').to_string();
                self.live.entry(job_id).or_default().waiting =
                    Some((Instant::now() + waiting.delay, reason, rate_limited));
            }
            JobEvent::Progress {
                job_id,
                received,
                total,
            } => {
                self.live.entry(job_id).or_default().download = Some((received, total));
            }
            JobEvent::StoreFailed { message } => self.messages.push(Message::error(
                format!("The job history could not be written: {message}."),
                "Jobs go on, but would not survive a restart: check the disk has space.",
            )),
        }
    }

    /// A job just ended: show it if nothing else is shown, and notify when in the background.
    fn job_settled(&mut self, job: &JobRecord) {
        let selected_other = matches!(&self.selection, Some(Selection::Job(id)) if *id != job.id);
        if !selected_other || job.phase == Phase::Done {
            self.selection = Some(Selection::Job(job.id.clone()));
            if let Some(file) = ui::result::job_file(job) {
                self.load_model(file, true);
            }
        }
        if self.config.notifications && !self.focused {
            let title = match job.phase {
                Phase::Done => "Your part is ready",
                Phase::StillRunning => "A job is taking longer than usual",
                _ => "A job failed",
            };
            let body = job
                .error
                .as_ref()
                .filter(|_| job.phase != Phase::Done)
                .map_or_else(
                    || job.prompt.chars().take(120).collect(),
                    |e| e.sentence.clone(),
                );
            self.spawn(tasks::notify(title.into(), body));
        }
    }

    fn add_thumbnail(&mut self, ctx: &egui::Context, sha: String, image: egui::ColorImage) {
        let texture = ctx.load_texture(format!("thumb-{sha}"), image, egui::TextureOptions::LINEAR);
        self.thumbnails.insert(sha, texture);
    }

    fn draft_changed(&mut self) {
        self.draft_changed_at = Some(Instant::now());
    }

    /// Writes the draft once it has been still for a moment.
    fn save_draft_when_due(&mut self, ctx: &egui::Context) {
        let Some(changed) = self.draft_changed_at else {
            return;
        };
        if !self.draft_loaded {
            return;
        }
        let due = changed + DRAFT_SAVE_DELAY;
        let now = Instant::now();
        if now >= due {
            self.draft_changed_at = None;
            self.spawn(tasks::save_draft(
                self.config.data_dir.clone(),
                self.draft.clone(),
                self.report.clone(),
            ));
        } else {
            ctx.request_repaint_after(due - now);
        }
    }

    /// Thumbnails for the job cards: the images of the newest jobs not shown yet.
    fn load_job_thumbnails(&mut self) {
        let mut wanted = HashSet::new();
        let images: Vec<_> = self
            .jobs
            .iter()
            .take(200)
            .flat_map(|j| j.images.iter())
            .filter(|i| !self.thumbnails.contains_key(&i.sha256) && wanted.insert(&i.sha256))
            .cloned()
            .collect();
        if !images.is_empty() {
            self.spawn(tasks::load_thumbnails(images, self.report.clone()));
        }
    }

    /// Picks up jobs that were under way when the app last stopped (on the same API).
    fn resume_jobs(&mut self) {
        let Some(connection) = &self.connection else {
            return;
        };
        let base = connection.base_url.clone();
        let tracker = connection.tracker.clone();
        let to_resume: Vec<String> = self
            .jobs
            .iter()
            .filter(|j| {
                // Unsent submissions too: they go out with their recorded Idempotency-Key.
                !j.phase.is_settled()
                    && j.api_base.as_deref().is_none_or(|b| b == base)
                    && !self.running.contains(&j.id)
            })
            .map(|j| j.id.clone())
            .collect();
        for id in to_resume {
            self.running.insert(id.clone());
            self.spawn(tasks::run(tracker.clone(), id, self.report.clone()));
        }
    }

    /// A background task died: say so once, and stop waiting for what it would have said.
    fn recover_from_panic(&mut self, what: &str) {
        tracing::error!("a background task panicked: {what}");
        self.messages.push(Message::error(
            "Something went wrong in the background, and that piece of work stopped.",
            "The app carries on: try it again, and if it happens again, report it with Copy \
             diagnostics (About).",
        ));
        self.draft_loaded = true;
        self.checking_images = 0;
        if matches!(self.screen, Screen::Starting)
            || (matches!(self.screen, Screen::Connecting) && self.connection.is_none())
        {
            self.screen = Screen::Welcome;
        }
    }

    /// Drives jobs whose process died (another window, a killed CLI), if they are ours.
    fn resume_orphans(&mut self, ids: &[String]) {
        let Some(connection) = &self.connection else {
            return;
        };
        let tracker = connection.tracker.clone();
        for id in ids {
            let ours = self.jobs.iter().any(|j| {
                j.id == *id
                    && j.api_base
                        .as_deref()
                        .is_none_or(|b| b == connection.base_url)
            });
            if ours && self.running.insert(id.clone()) {
                self.spawn(tasks::run(tracker.clone(), id.clone(), self.report.clone()));
            }
        }
    }

    fn load_selected_model(&mut self) {
        let file = match &self.selection {
            Some(Selection::Job(id)) => self
                .jobs
                .iter()
                .find(|j| j.id == *id)
                .and_then(ui::result::job_file)
                .map(|file| (file, true)),
            Some(Selection::File(path)) => Some((path.clone(), false)),
            None => None,
        };
        if let Some((file, from_api)) = file {
            self.load_model(file, from_api);
        }
    }

    /// Starts reading a model; `from_api`: a job's file (Makistry's files are in millimetres,
    /// whatever their format says).
    fn load_model(&mut self, path: PathBuf, from_api: bool) {
        if !ui::result::previewable(&path) || self.models.contains_key(&path) {
            return;
        }
        // Opening another file abandons loads still under way: the user moved on, and a large
        // file would hold memory and a core for nothing.
        self.models.retain(|_, state| match state {
            ModelState::Loading(progress) => {
                progress.cancel();
                false
            }
            _ => true,
        });
        let progress = Arc::new(crate::model::LoadProgress::default());
        self.models
            .insert(path.clone(), ModelState::Loading(progress.clone()));
        self.spawn(tasks::load_model(
            path,
            from_api,
            progress,
            self.report.clone(),
        ));
    }

    /// Routes files: 3D files open for viewing, anything else is checked as an image.
    fn open_paths(&mut self, paths: Vec<PathBuf>) {
        let (models, images): (Vec<_>, Vec<_>) =
            paths.into_iter().partition(|p| ui::result::previewable(p));
        if let Some(model) = models.last() {
            self.selection = Some(Selection::File(model.clone()));
            self.models.remove(model);
            self.load_model(model.clone(), false);
        }
        self.attach_paths(images);
    }

    fn room_for_images(&self) -> usize {
        MAX_IMAGES.saturating_sub(self.draft.images.len() + self.checking_images)
    }

    fn attach_paths(&mut self, mut paths: Vec<PathBuf>) {
        if paths.is_empty() {
            return;
        }
        let room = self.room_for_images();
        if paths.len() > room {
            self.attachment_messages.push(Message::error(
                format!(
                    "{} of the files were not attached: a job takes at most {MAX_IMAGES} images.",
                    paths.len() - room
                ),
                "Remove an image to make room, then add the others.",
            ));
            paths.truncate(room);
        }
        self.checking_images += paths.len();
        self.spawn(tasks::attach_files(
            paths,
            self.images_dir(),
            self.report.clone(),
        ));
    }

    // ----- intents -----

    fn apply_intent(&mut self, intent: Intent) {
        match intent {
            Intent::SaveKey(input) => self.save_key(&input, tasks::KeyCheck::Required),
            Intent::SaveKeyUnchecked(input) => self.save_key(&input, tasks::KeyCheck::Skipped),
            Intent::ShowKeyForm => {
                self.key_form = KeyForm::default();
                self.key_form_open = true;
            }
            Intent::CancelKeyForm => self.key_form_open = false,
            Intent::RemoveKey => {
                self.spawn(tasks::remove_key(
                    self.config.keychain.clone(),
                    self.report.clone(),
                ));
            }
            Intent::StartDemo => {
                self.key_form_open = false;
                self.start_demo();
            }
            Intent::PickImages => self.spawn(tasks::pick_images(self.report.clone())),
            Intent::PasteImage => {
                if self.room_for_images() > 0 {
                    self.checking_images += 1;
                    self.spawn(tasks::attach_clipboard(
                        self.images_dir(),
                        self.report.clone(),
                    ));
                }
            }
            Intent::RemoveImage(index) => {
                if index < self.draft.images.len() {
                    self.draft.images.remove(index);
                    self.draft_changed();
                }
            }
            Intent::MoveImageUp(index) => {
                if index > 0 && index < self.draft.images.len() {
                    self.draft.images.swap(index - 1, index);
                    self.draft_changed();
                }
            }
            Intent::Generate => self.generate(),
            Intent::SelectJob(id) => {
                self.selection = Some(Selection::Job(id));
                self.load_selected_model();
            }
            Intent::Retry(id) => {
                let unsent = self
                    .jobs
                    .iter()
                    .any(|j| j.id == id && j.phase == Phase::Submitting);
                if unsent {
                    // Not known to have reached the server: send it again with the same
                    // Idempotency-Key, so a submission that did arrive is not made twice.
                    self.rerun(id, |_| {});
                } else {
                    self.rerun(id, |job| job.restart());
                }
            }
            Intent::CheckAgain(id) => self.rerun(id, |job| job.check_again(Utc::now())),
            Intent::EditAndRerun(id) => {
                if let Some(job) = self.jobs.iter().find(|j| j.id == id) {
                    self.draft.prompt = job.prompt.clone();
                    self.draft.mode = job.mode;
                    self.draft.format = job.format;
                    self.draft.follow_up_of = job.follow_up_of.clone();
                    self.draft.images.clear();
                    let images = job.images.clone();
                    self.checking_images += images.len();
                    self.draft_changed();
                    self.spawn(tasks::reload_images(images, self.report.clone()));
                }
            }
            Intent::FollowUp { job_id, suggestion } => {
                if let Some(job) = self.jobs.iter().find(|j| j.id == job_id) {
                    self.draft.prompt = format!("{}\n\n{suggestion}", job.prompt.trim_end());
                    self.draft.follow_up_of = Some(job_id);
                    self.draft.mode = job.mode;
                    self.draft.format = job.format;
                    self.draft_changed();
                }
            }
            Intent::DetachFollowUp => {
                self.draft.follow_up_of = None;
                self.draft_changed();
            }
            Intent::SaveAs { file, name } => {
                self.spawn(tasks::save_as(file, name, self.report.clone()))
            }
            Intent::OpenExternally(path) => {
                self.spawn(tasks::open_externally(path, false, self.report.clone()))
            }
            Intent::ShowInFolder(path) => {
                self.spawn(tasks::open_externally(path, true, self.report.clone()))
            }
            Intent::Screenshot {
                file,
                name,
                camera,
                look,
                size,
            } => {
                if let Some(ModelState::Loaded { model, .. }) = self.models.get(&file) {
                    self.spawn(tasks::screenshot(
                        model.clone(),
                        name,
                        camera,
                        look,
                        size,
                        self.config.data_dir.join("screenshots"),
                        self.report.clone(),
                    ));
                }
            }
            Intent::PickSurfacePoint {
                file,
                origin,
                direction,
                hidden,
            } => {
                if let Some(ModelState::Loaded { model, .. }) = self.models.get(&file) {
                    self.spawn(tasks::pick_surface_point(
                        model.clone(),
                        file,
                        origin,
                        direction,
                        hidden,
                        self.report.clone(),
                    ));
                }
            }
            Intent::PickModelFile => self.spawn(tasks::pick_model(self.report.clone())),
            Intent::DismissMessage(index) => {
                self.attachment_messages.dismiss(index);
            }
        }
    }

    fn save_key(&mut self, input: &str, check: tasks::KeyCheck) {
        match parse_api_key(input) {
            Ok(key) => {
                self.key_form.busy = true;
                self.key_form.problem = None;
                self.key_form.offer_unchecked = false;
                self.spawn(tasks::save_key(
                    key,
                    check,
                    self.config.base_url.clone(),
                    self.config.keychain.clone(),
                    self.config.data_dir.clone(),
                    self.settings.clone(),
                    self.report.clone(),
                ));
            }
            Err(e) => {
                self.key_form.problem = Some(Message::error(
                    format!("That is not a Makistry API key: {e}."),
                    e.action(),
                ));
            }
        }
    }

    fn generate(&mut self) {
        let Some(connection) = &self.connection else {
            return;
        };
        if ui::prompt::draft_problem(&self.draft).is_some() {
            return;
        }
        let mut job = JobRecord::new(
            self.draft.prompt.clone(),
            self.draft.images.clone(),
            self.draft.mode,
            self.draft.format,
            Utc::now(),
        );
        job.api_base = Some(connection.base_url.clone());
        job.follow_up_of = self.draft.follow_up_of.take();
        let tracker = connection.tracker.clone();
        self.running.insert(job.id.clone());
        self.selection = Some(Selection::Job(job.id.clone()));
        // The job now holds the prompt and images ("Edit and re-run" brings them back);
        // the form starts fresh, keeping the choices.
        self.draft.prompt.clear();
        self.draft.images.clear();
        self.attachment_messages.clear();
        self.draft_changed();
        self.spawn(tasks::record_and_run(tracker, job, self.report.clone()));
    }

    /// Puts a job that could not be recorded back into the form without losing what was
    /// typed or attached since Generate: its prompt goes first, the newer text after it, and
    /// its images join the newer ones (up to the limit; a refused one is said).
    fn restore_unsent(&mut self, job: JobRecord) {
        if self.draft.follow_up_of.is_none() {
            self.draft.follow_up_of = job.follow_up_of.clone();
        }
        let typed = std::mem::take(&mut self.draft.prompt);
        self.draft.prompt = if typed.trim().is_empty() {
            job.prompt
        } else {
            format!("{}\n\n{typed}", job.prompt)
        };
        if self.draft.images.is_empty() {
            self.draft.mode = job.mode;
            self.draft.format = job.format;
        }
        let newer = std::mem::replace(&mut self.draft.images, job.images);
        for image in newer {
            if self.draft.images.iter().any(|i| i.sha256 == image.sha256) {
                continue;
            }
            if self.draft.images.len() >= crate::api::MAX_IMAGES {
                self.attachment_messages.push(Message::error(
                    format!(
                        "{} was taken out of the form to make room for the unsent job's images.",
                        image.path.file_name().unwrap_or_default().to_string_lossy()
                    ),
                    "Add it again if you still want it.",
                ));
                continue;
            }
            self.draft.images.push(image);
        }
        self.draft_changed();
    }

    fn rerun(
        &mut self,
        id: String,
        change: impl FnOnce(&mut crate::jobs::JobRecord) + Send + 'static,
    ) {
        let Some(connection) = &self.connection else {
            return;
        };
        if self.running.contains(&id) {
            return;
        }
        self.running.insert(id.clone());
        self.live.remove(&id);
        self.selection = Some(Selection::Job(id.clone()));
        self.spawn(tasks::change_and_run(
            connection.tracker.clone(),
            id,
            change,
            self.report.clone(),
        ));
    }

    // ----- input -----

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

    /// Repaint every 2 s while a job shows a running clock or countdown, and every 5 s when
    /// the window is in the background. Each frame costs ~30 ms of CPU with software GL
    /// (llvmpipe under Xvfb): ticking every second measured 3.4 % of a core.
    fn schedule_clock_repaint(&self, ctx: &egui::Context) {
        let ticking = self.jobs.iter().any(|j| {
            matches!(
                j.phase,
                Phase::Queued | Phase::Processing | Phase::Retrying { .. }
            )
        }) || self.live.values().any(|l| l.waiting.is_some());
        if ticking {
            let every = if self.focused { 2 } else { 5 };
            ctx.request_repaint_after(Duration::from_secs(every));
        }
    }
}

impl eframe::App for MakistryApp {
    fn on_exit(&mut self, _gl: Option<&egui_glow::glow::Context>) {
        // GL objects go while the context is still current.
        crate::viewer::free_gl();
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.focused = ctx.input(|i| i.viewport().focused.unwrap_or(true));
        tracing::trace!(focused = self.focused, "frame");
        self.drain_events(ctx);
        if self.screen == Screen::Main {
            self.handle_dropped_files(ctx);
        }
        self.save_draft_when_due(ctx);
        self.schedule_clock_repaint(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let intents = match self.screen {
            Screen::Starting => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.weak("Starting…");
                });
                Vec::new()
            }
            Screen::Connecting if self.connection.is_none() => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.vertical_centered(|ui| {
                        ui.add_space(40.0);
                        ui.label("Connecting…");
                    });
                });
                Vec::new()
            }
            Screen::Welcome | Screen::Connecting => {
                let mut intents = Vec::new();
                egui::CentralPanel::default().show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        intents = ui::welcome::welcome_ui(ui, &mut self.key_form, false);
                    });
                });
                intents
            }
            Screen::Main if self.key_form_open => {
                let mut intents = Vec::new();
                egui::CentralPanel::default().show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        intents = ui::welcome::welcome_ui(ui, &mut self.key_form, true);
                    });
                });
                intents
            }
            Screen::Main => {
                let intents = self.main_ui(ui);
                self.drop_overlay_ui(ui);
                if self.about_open {
                    let ctx = ui.ctx().clone();
                    self.about_ui(&ctx);
                }
                intents
            }
        };
        for intent in intents {
            self.apply_intent(intent);
        }
        if !self.first_frame_drawn {
            self.first_frame_drawn = true;
            let ms = self.config.started.elapsed().as_secs_f64() * 1000.0;
            tracing::info!("first frame drawn {ms:.0} ms after start");
        }
    }
}
