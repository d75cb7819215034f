//! Background work the window asks for. Every function here runs on the tokio runtime (file
//! and keychain IO inside `spawn_blocking`) and reports one [`Event`] through [`Reporter`],
//! which also wakes the window. Nothing here touches the window's state.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Sender;

use crate::api::{ApiError, Client, RequestBudget};
use crate::attachments::{self, Attachment};
use crate::clipboard::{ClipboardError, Pasted};
use crate::draft::{self, Draft};
use crate::emulator::{Emulator, EmulatorConfig, Timing};
use crate::jobs::{ImageRef, JobEvent, JobRecord, JobStore, StoreNotice, Tracker};
use crate::keychain::{KeySource, Keychain, KeychainError, Secret};
use crate::ui::Message;
use crate::ui::result::ModelSummary;

/// Thumbnails are at most this many pixels on a side.
const THUMBNAIL_SIDE: u32 = 112;

/// A checked image, ready for the form.
pub struct AttachedImage {
    /// What the draft keeps.
    pub image: ImageRef,
    /// Its thumbnail.
    pub thumbnail: Option<egui::ColorImage>,
}

/// A live connection to an API (a real key, or the in-process demo).
pub struct Connection {
    /// Runs jobs with this connection's client.
    pub tracker: Tracker,
    /// The API base URL.
    pub base_url: String,
    /// `…last4` of the key.
    pub key_preview: String,
    /// Where the key came from; `None` for the demo.
    pub source: Option<KeySource>,
    /// The demo's emulator, kept alive as long as the connection.
    pub demo: Option<Emulator>,
    /// A note for the user (e.g. the key works but could not be stored).
    pub note: Option<Message>,
}

/// A new connection with its job history.
pub struct Connected {
    /// The connection.
    pub connection: Connection,
    /// Its jobs, as stored.
    pub jobs: Vec<JobRecord>,
    /// Why the stored history could not be used, if so.
    pub notice: Option<StoreNotice>,
}

/// What background work reports.
pub enum Event {
    /// The stored draft and its images' thumbnails.
    DraftLoaded {
        /// The draft (images that could not be read again are dropped).
        draft: Draft,
        /// Thumbnails by SHA-256.
        thumbnails: Vec<(String, egui::ColorImage)>,
        /// What could not be restored.
        problems: Vec<Message>,
    },
    /// The key found at start-up (environment, then keychain).
    KeyFound(Result<Option<(Secret, KeySource)>, KeychainError>),
    /// A pasted key was refused (by its format, the API or the keychain).
    KeyRefused(Message),
    /// A pasted key could not be checked (no network): kept only if the user says so.
    KeyUnchecked(Message),
    /// The stored key was removed.
    KeyRemoved(Result<(), Message>),
    /// Connected (or not) to an API, with its job history.
    Connected(Result<Box<Connected>, Message>),
    /// An image was checked.
    Attached(Result<AttachedImage, Message>),
    /// Images to check, chosen in the file picker.
    Picked(Vec<PathBuf>),
    /// Thumbnails of the history's images, by SHA-256, for the job cards.
    Thumbnails(Vec<(String, egui::ColorImage)>),
    /// Paste found files (copied in a file manager): they go where dropped files go.
    PastedFiles(Vec<PathBuf>),
    /// The surface point under a click in the 3D view, if the click met the part.
    SurfacePoint {
        /// The model's file.
        path: PathBuf,
        /// Where the click met the part.
        hit: Option<crate::model::Hit>,
    },
    /// A lighter copy of a large model was made, for the view to draw while it moves.
    StandIn {
        /// The model's file.
        path: PathBuf,
        /// The model it stands in for.
        of: Arc<crate::model::Model>,
        /// The copy.
        stand_in: Arc<crate::model::Model>,
    },
    /// A model file was read (or not).
    ModelLoaded {
        /// The file.
        path: PathBuf,
        /// Its summary and the model.
        result: Result<(ModelSummary, Arc<crate::model::Model>), Message>,
    },
    /// A job could not be recorded; its prompt and images go back to the form.
    RecordFailed {
        /// The job.
        job: Box<JobRecord>,
        /// Why.
        message: Message,
    },
    /// A job's worker stopped (settled, or waiting for the user).
    WorkerStopped(String),
    /// Something to tell the user once.
    Notice(Message),
    /// Unfinished jobs that no process drives any more (their driver died): resume them.
    Orphans(Vec<String>),
    /// A background task panicked (what it said): it will send nothing else.
    TaskPanicked(String),
}

/// Sends events and wakes the window.
#[derive(Clone)]
pub struct Reporter {
    events: Sender<Event>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl Reporter {
    /// A reporter that sends on `events` and calls `wake` after each.
    pub fn new(events: Sender<Event>, wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        Self { events, wake }
    }

    /// Reports one event.
    pub fn send(&self, event: Event) {
        let _ = self.events.send(event);
        (self.wake)();
    }

    /// The window's wake-up, for the job tracker.
    pub fn waker(&self) -> Arc<dyn Fn() + Send + Sync> {
        self.wake.clone()
    }
}

/// Runs blocking IO off the runtime's async threads.
/// Runs `f` on the blocking pool. A panic there goes on in the calling task, so the spawn
/// around it reports it ([`Event::TaskPanicked`]); `None` only when the runtime shuts down.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(value) => Some(value),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => None,
    }
}

fn thumbnail_of(attachment: &Attachment) -> Option<egui::ColorImage> {
    let (w, h, rgba) = attachment.thumbnail(THUMBNAIL_SIDE)?;
    Some(egui::ColorImage::from_rgba_unmultiplied(
        [w as usize, h as usize],
        &rgba,
    ))
}

fn attachment_message(e: &attachments::AttachmentError) -> Message {
    Message::error(format!("{e}."), e.action())
}

/// Reads the draft, and checks its images again (they are the app's kept copies).
pub async fn load_draft(dir: PathBuf, report: Reporter) {
    let loaded = blocking(move || {
        let mut problems = Vec::new();
        let mut draft = draft::load(&dir).unwrap_or_else(|e| {
            problems.push(Message::error(
                format!("{e}."),
                "The form starts empty; the old draft was kept beside it.",
            ));
            Draft::default()
        });
        let mut thumbnails = Vec::new();
        draft
            .images
            .retain(|image| match attachments::load(&image.path) {
                Ok(attachment) if attachment.sha256 == image.sha256 => {
                    if let Some(thumbnail) = thumbnail_of(&attachment) {
                        thumbnails.push((image.sha256.clone(), thumbnail));
                    }
                    true
                }
                Ok(_) | Err(_) => {
                    problems.push(Message::error(
                        format!(
                            "An image of your draft ({}) is no longer readable.",
                            image.path.display()
                        ),
                        "Attach it again.",
                    ));
                    false
                }
            });
        (draft, thumbnails, problems)
    })
    .await;
    if let Some((draft, thumbnails, problems)) = loaded {
        report.send(Event::DraftLoaded {
            draft,
            thumbnails,
            problems,
        });
    }
}

/// Writes the draft; reports only a failure.
pub async fn save_draft(dir: PathBuf, draft: Draft, report: Reporter) {
    if let Some(Err(e)) = blocking(move || draft::save(&dir, &draft)).await {
        report.send(Event::Notice(Message::error(
            format!("{e}."),
            "Your text is still in the window; check the disk has space.",
        )));
    }
}

/// Which credential store the app uses.
#[derive(Clone)]
pub enum KeychainChoice {
    /// The OS keychain, opened when first needed, off the UI thread.
    System,
    /// A given store (tests use keyring's in-memory store).
    Given(Keychain),
}

impl KeychainChoice {
    /// Opens the store (blocking: call it on a blocking task).
    fn open(&self) -> Result<Keychain, KeychainError> {
        match self {
            Self::System => Keychain::system(),
            Self::Given(keychain) => Ok(keychain.clone()),
        }
    }
}

/// Finds the key: the environment first, then the keychain.
pub async fn find_key(keychain: KeychainChoice, report: Reporter) {
    let found = blocking(move || crate::keychain::resolve(keychain.open().as_ref())).await;
    if let Some(found) = found {
        report.send(Event::KeyFound(found));
    }
}

/// Checks a pasted key with the API, stores it and connects. A key the API refuses is not
/// stored; one that cannot be checked (no network) or stored (no keychain) is still used for
/// this session, with a note saying so.
pub async fn save_key(
    key: Secret,
    check: KeyCheck,
    base_url: String,
    keychain: KeychainChoice,
    data_dir: PathBuf,
    settings: TrackerSettings,
    report: Reporter,
) {
    let budget = Arc::new(RequestBudget::contract());
    let client = match Client::new(&base_url, key.clone(), budget) {
        Ok(client) => client,
        Err(e) => {
            report.send(Event::KeyRefused(Message::error(e.sentence(), e.action())));
            return;
        }
    };
    let mut notes = Vec::new();
    match client.check_key().await {
        Ok(()) => {}
        Err(e @ ApiError::InvalidApiKey { .. }) => {
            report.send(Event::KeyRefused(Message::error(
                e.sentence(),
                "Check you copied the whole key, or make a new one in your Makistry dashboard.",
            )));
            return;
        }
        // Kept without a check only when the user says so.
        Err(e) if check == KeyCheck::Required => {
            report.send(Event::KeyUnchecked(Message::error(
                format!("The key could not be checked. {}", e.sentence()),
                "Check the connection and press Check again, or save the key without checking \
                 it (a wrong key then shows when the first job is sent).",
            )));
            return;
        }
        Err(e) => {
            tracing::info!("key saved unchecked, as the user asked: {}", e.sentence());
        }
    }
    let stored = blocking({
        let key = key.clone();
        move || keychain.open().and_then(|k| k.save(&key))
    })
    .await;
    if let Some(Err(e)) = stored {
        notes.push(format!(
            "It could not be stored in the keychain ({e}), so you will be asked again next time."
        ));
    }
    let note = (!notes.is_empty()).then(|| Message::error(notes.join(" "), ""));
    connect(
        ConnectTo::Key {
            key,
            source: KeySource::Keychain,
            note,
        },
        base_url,
        data_dir,
        settings,
        report,
    )
    .await;
}

/// Whether a key must be checked with the API before it is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCheck {
    /// Checked; a key that cannot be checked (no network) is not kept without asking.
    Required,
    /// The user chose to keep it without a check.
    Skipped,
}

/// Removes the stored key.
pub async fn remove_key(keychain: KeychainChoice, report: Reporter) {
    let removed = blocking(move || keychain.open().and_then(|k| k.clear())).await;
    report.send(Event::KeyRemoved(match removed {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(Message::error(
            format!("The key could not be removed from the keychain: {e}."),
            e.action(),
        )),
        None => Err(Message::error(
            "The key could not be removed.",
            "Try again.",
        )),
    }));
}

/// How jobs run: the real schedule in the app; scaled down in tests.
#[derive(Debug, Clone)]
pub struct TrackerSettings {
    /// Where the tracker reports job changes.
    pub job_events: tokio::sync::mpsc::UnboundedSender<JobEvent>,
    /// Multiplies every wait of the tracker.
    pub time_scale: f64,
    /// Job durations of the demo's emulator.
    pub demo_timing: Timing,
}

/// What to connect to.
pub enum ConnectTo {
    /// The API with a key.
    Key {
        /// The key.
        key: Secret,
        /// Where it came from.
        source: KeySource,
        /// A note to show.
        note: Option<Message>,
    },
    /// The offline demo.
    Demo,
}

/// Opens the job history and builds the tracker; for the demo, starts the emulator first.
/// Demo jobs have their own history (`demo/` in the data directory).
pub async fn connect(
    to: ConnectTo,
    base_url: String,
    data_dir: PathBuf,
    settings: TrackerSettings,
    report: Reporter,
) {
    let result = connect_inner(to, base_url, data_dir, settings, &report).await;
    report.send(Event::Connected(result));
}

async fn connect_inner(
    to: ConnectTo,
    base_url: String,
    data_dir: PathBuf,
    settings: TrackerSettings,
    report: &Reporter,
) -> Result<Box<Connected>, Message> {
    let (key, source, note, demo, base_url, store_dir) = match to {
        ConnectTo::Key { key, source, note } => {
            (key, Some(source), note, None, base_url, data_dir.clone())
        }
        ConnectTo::Demo => {
            // The demo's server keeps its jobs across restarts, beside the demo's history.
            let emulator = Emulator::start_with(EmulatorConfig {
                timing: settings.demo_timing,
                state_file: Some(data_dir.join("demo").join("emulator.json")),
                ..EmulatorConfig::default()
            })
            .await
            .map_err(|e| {
                Message::error(
                    format!("The offline demo could not start: {e}."),
                    "Close other copies of the app and try again.",
                )
            })?;
            let key = Secret::new(emulator.api_key());
            let base = emulator.base_url();
            (key, None, None, Some(emulator), base, data_dir.join("demo"))
        }
    };
    let demo_base = demo.as_ref().map(|_| base_url.clone());
    let opened = blocking(move || {
        let (store, notice) = JobStore::open(&store_dir)?;
        if let Some(base) = demo_base {
            adopt_demo_jobs(&store, &base)?;
        }
        let all = store.all()?;
        Ok::<_, crate::jobs::StoreError>((store, notice, all))
    })
    .await;
    let (store, notice, all) = match opened {
        Some(Ok(opened)) => opened,
        Some(Err(e)) => {
            return Err(Message::error(
                format!("The job history could not be opened: {e}."),
                "Check the disk has space and the folder can be written.",
            ));
        }
        None => return Err(Message::error("The job history could not be opened.", "")),
    };
    let client = Client::new(&base_url, key.clone(), Arc::new(RequestBudget::contract()))
        .map_err(|e| Message::error(e.sentence(), e.action()))?;
    let store = Arc::new(store);
    super::history_watch::start(&store, &all, settings.job_events.clone(), report.clone());
    let jobs = all.jobs;
    let tracker = Tracker::new(client, store, settings.job_events, report.waker())
        .with_time_scale(settings.time_scale);
    Ok(Box::new(Connected {
        connection: Connection {
            tracker,
            base_url,
            key_preview: key.preview(),
            source,
            demo,
            note,
        },
        jobs,
        notice,
    }))
}

/// Every job in the demo's history is the demo server's: when that server came back on another
/// port, unfinished jobs follow it (their ids are in its saved state), so they resume.
fn adopt_demo_jobs(store: &JobStore, base: &str) -> Result<(), crate::jobs::StoreError> {
    for job in store.all()?.jobs {
        let moved = job.api_base.as_deref().is_some_and(|b| b != base);
        if moved && !job.phase.is_settled() {
            store.update(&job.id, |j| j.api_base = Some(base.to_string()))?;
        }
    }
    Ok(())
}

/// Checks images (dropped, picked) one by one, keeping accepted ones in `images_dir`.
pub async fn attach_files(paths: Vec<PathBuf>, images_dir: PathBuf, report: Reporter) {
    for path in paths {
        let dir = images_dir.clone();
        let checked = blocking(move || {
            let attachment = attachments::load(&path).map_err(|e| attachment_message(&e))?;
            keep(&attachment, &dir)
        })
        .await;
        if let Some(result) = checked {
            report.send(Event::Attached(result));
        }
    }
}

/// Attaches what is on the clipboard, held to the same rules as a dropped file: an image is
/// checked on the bytes that will be sent (the clipboard's own PNG, JPEG, WebP or GIF where it
/// has one); copied files go where dropped files go ([`Event::PastedFiles`]).
pub async fn attach_clipboard(images_dir: PathBuf, report: Reporter) {
    let checked = blocking(move || {
        let (name, bytes) = match crate::clipboard::read() {
            Ok(Pasted::Encoded { bytes, mime }) => {
                let extension = mime.trim_start_matches("image/").replace("jpeg", "jpg");
                (format!("pasted.{extension}"), bytes)
            }
            Ok(Pasted::Pixels { png }) => ("pasted.png".to_string(), png),
            Ok(Pasted::Files(files)) => return Ok(Err(files)),
            Err(ClipboardError::NoImage) => {
                return Err(Message::error(
                    "There is no image or file on the clipboard.",
                    "Copy an image (in an image viewer or browser) or an image file (in the \
                     file manager) first, then press Paste.",
                ));
            }
            Err(e @ ClipboardError::Unavailable(_)) => {
                tracing::warn!("{e}");
                return Err(Message::error(
                    "The clipboard could not be read.",
                    "Save the image to a file and drop it on the window.",
                ));
            }
        };
        let attachment =
            attachments::check(PathBuf::new(), name, bytes).map_err(|e| attachment_message(&e))?;
        keep(&attachment, &images_dir).map(Ok)
    })
    .await;
    match checked {
        Some(Ok(Err(files))) => report.send(Event::PastedFiles(files)),
        Some(Ok(Ok(image))) => report.send(Event::Attached(Ok(image))),
        Some(Err(message)) => report.send(Event::Attached(Err(message))),
        None => {}
    }
}

fn keep(attachment: &Attachment, dir: &Path) -> Result<AttachedImage, Message> {
    let kept = attachment.keep_in(dir).map_err(|e| {
        Message::error(
            format!(
                "{} could not be copied into the app's folder: {e}.",
                attachment.file_name
            ),
            "Check the disk has space.",
        )
    })?;
    Ok(AttachedImage {
        image: kept.image_ref(),
        thumbnail: thumbnail_of(&kept),
    })
}

/// Thumbnails of the history's images (their kept copies), for the job cards. An image that
/// cannot be read any more is left out: its card counts it instead.
pub async fn load_thumbnails(images: Vec<ImageRef>, report: Reporter) {
    let thumbnails = blocking(move || {
        images
            .iter()
            .filter_map(|image| {
                let attachment = attachments::load(&image.path).ok()?;
                Some((image.sha256.clone(), thumbnail_of(&attachment)?))
            })
            .collect::<Vec<_>>()
    })
    .await;
    if let Some(thumbnails) = thumbnails {
        report.send(Event::Thumbnails(thumbnails));
    }
}

/// Re-checks a job's images for "Edit and re-run".
pub async fn reload_images(images: Vec<ImageRef>, report: Reporter) {
    for image in images {
        let checked = blocking(move || {
            let attachment = attachments::load(&image.path).map_err(|e| attachment_message(&e))?;
            if attachment.sha256 != image.sha256 {
                return Err(Message::error(
                    format!("{} changed since the job was made.", image.path.display()),
                    "Attach the image again.",
                ));
            }
            Ok(AttachedImage {
                thumbnail: thumbnail_of(&attachment),
                image: ImageRef {
                    label: image.label.clone(),
                    ..attachment.image_ref()
                },
            })
        })
        .await;
        if let Some(result) = checked {
            report.send(Event::Attached(result));
        }
    }
}

/// Whether the system can show a file dialog. On Linux rfd goes through the desktop's file
/// portal (xdg-desktop-portal) and quietly returns nothing when there is none, which a user
/// would take for a broken button; elsewhere the dialogs are the OS's own.
async fn file_dialogs_available() -> bool {
    #[cfg(target_os = "linux")]
    {
        const PORTAL: &str = "org.freedesktop.portal.Desktop";
        let Ok(connection) = zbus::Connection::session().await else {
            return false;
        };
        let Ok(bus) = zbus::fdo::DBusProxy::new(&connection).await else {
            return false;
        };
        let Ok(name) = zbus::names::BusName::try_from(PORTAL) else {
            return false;
        };
        if bus.name_has_owner(name).await.unwrap_or(false) {
            return true;
        }
        bus.list_activatable_names()
            .await
            .is_ok_and(|names| names.iter().any(|n| n.as_str() == PORTAL))
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

fn no_file_dialog(instead: &str) -> Message {
    Message::error(
        "This system has no file dialog (the desktop's file portal, xdg-desktop-portal, is \
         not running).",
        instead.to_string(),
    )
}

/// Opens the system's picker for images.
pub async fn pick_images(report: Reporter) {
    if !file_dialogs_available().await {
        report.send(Event::Notice(no_file_dialog(
            "Drop the images on the window, or copy one and press Paste.",
        )));
        return;
    }
    let files = rfd::AsyncFileDialog::new()
        .set_title("Attach reference images")
        .add_filter("Images", &["png", "jpg", "jpeg", "webp", "gif"])
        .pick_files()
        .await;
    if let Some(files) = files {
        report.send(Event::Picked(
            files.iter().map(|f| f.path().to_path_buf()).collect(),
        ));
    }
}

/// Opens the system's picker for a 3D file, then loads it.
pub async fn pick_model(report: Reporter) {
    if !file_dialogs_available().await {
        report.send(Event::Notice(no_file_dialog(
            "Drop the file on the window, or pass its path: makistry-desktop FILE.",
        )));
        return;
    }
    let file = rfd::AsyncFileDialog::new()
        .set_title("Open a 3D file")
        .add_filter("3D files", &["step", "stp", "glb", "stl", "3mf"])
        .pick_file()
        .await;
    if let Some(file) = file {
        report.send(Event::Picked(vec![file.path().to_path_buf()]));
    }
}

/// Reads a model and summarises it, waking the window a few times a second meanwhile so it
/// draws the progress. A cancelled load reports nothing: the window has moved on.
pub async fn load_model(
    path: PathBuf,
    from_api: bool,
    progress: Arc<crate::model::LoadProgress>,
    report: Reporter,
) {
    let (read, shared) = (path.clone(), progress.clone());
    let load = blocking(move || {
        let mut model = crate::model::load_path_with(&read, &shared)?;
        if from_api {
            model.units = crate::model::Units::Millimetres;
        }
        Ok((ModelSummary::of(&model), Arc::new(model)))
    });
    tokio::pin!(load);
    let mut ticks = tokio::time::interval(std::time::Duration::from_millis(150));
    let loaded = loop {
        tokio::select! {
            loaded = &mut load => break loaded,
            _ = ticks.tick() => (report.waker())(),
        }
    };
    let result = match loaded {
        Some(Ok(loaded)) => Ok(loaded),
        Some(Err(crate::model::LoadError::Cancelled)) => return,
        Some(Err(e)) => Err(Message::error(format!("{e}."), load_error_action(&e))),
        None => Err(Message::error("The file could not be read.", "")),
    };
    if progress.is_cancelled() {
        return;
    }
    let large = match &result {
        Ok((_, model)) if model.triangles() > STAND_IN_ABOVE => Some(model.clone()),
        _ => None,
    };
    report.send(Event::ModelLoaded {
        path: path.clone(),
        result,
    });
    // Shown first, lightened after: the part appears as soon as it is read.
    if let Some(model) = large {
        let of = model.clone();
        let started = std::time::Instant::now();
        let stand_in = blocking(move || crate::model::simplified(&model, STAND_IN_TRIANGLES)).await;
        if let Some(Some(stand_in)) = stand_in {
            tracing::info!(
                "a {}-triangle stand-in for moving the view, made in {} ms",
                stand_in.triangles(),
                started.elapsed().as_millis()
            );
            report.send(Event::StandIn {
                path,
                of,
                stand_in: Arc::new(stand_in),
            });
        }
    }
}

/// What to do about a file that could not be previewed.
fn load_error_action(error: &crate::model::LoadError) -> &'static str {
    use crate::model::LoadError;
    match error {
        LoadError::NoStepKernel => {
            "Reinstall Makistry Desktop; GLB, STL and 3MF files still preview."
        }
        LoadError::Unsupported(_) => "Open a STEP, GLB, STL or 3MF file.",
        LoadError::TooLarge { .. } => "Open it in a CAD program, or export a lighter version.",
        _ => "Check the file is complete: download or export it again.",
    }
}

/// Models with more triangles than this get a lighter stand-in for moving the view: a
/// software renderer (Mesa's llvmpipe) draws 1.3 M triangles in about 150 ms.
const STAND_IN_ABOVE: usize = 400_000;
/// About how many triangles the stand-in has.
const STAND_IN_TRIANGLES: usize = 150_000;

/// Finds where a ray from the eye meets the model (a pass over every triangle: off the UI
/// thread).
pub async fn pick_surface_point(
    model: Arc<crate::model::Model>,
    path: PathBuf,
    origin: [f32; 3],
    direction: [f32; 3],
    hidden: std::collections::HashSet<usize>,
    report: Reporter,
) {
    let hit = blocking(move || {
        crate::model::pick(&model, origin, direction, |part| !hidden.contains(&part))
    })
    .await
    .flatten();
    report.send(Event::SurfacePoint { path, hit });
}

/// Asks where to save a file and copies it there (atomically).
pub async fn save_as(file: PathBuf, name: String, report: Reporter) {
    let asked = file_dialogs_available().await;
    let to = if asked {
        let Some(target) = rfd::AsyncFileDialog::new()
            .set_title("Save the part")
            .set_file_name(&name)
            .save_file()
            .await
        else {
            return;
        };
        target.path().to_path_buf()
    } else {
        // No dialog to ask with: save where downloads go, under a name not yet taken.
        let Some(folder) = directories::UserDirs::new()
            .and_then(|dirs| dirs.download_dir().map(Path::to_path_buf))
            .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf()))
        else {
            report.send(Event::Notice(no_file_dialog(&format!(
                "The file is at {}.",
                file.display()
            ))));
            return;
        };
        free_name(&folder, &name)
    };
    let shown = to.clone();
    let copied = blocking(move || crate::jobs::copy_atomically(&file, &to)).await;
    report.send(Event::Notice(match copied {
        Some(Ok(())) if asked => Message::info(format!("Saved {}.", shown.display())),
        Some(Ok(())) => Message::info(format!(
            "There is no file dialog on this system (xdg-desktop-portal is not running), so \
             it was saved as {}.",
            shown.display()
        )),
        Some(Err(e)) => Message::error(
            format!("{} could not be saved: {e}.", shown.display()),
            "Choose another folder, or check the disk has space.",
        ),
        None => Message::error("The file could not be saved.", "Try again."),
    }));
}

/// Renders the view off screen (the viewport's scene code over EGL) and saves it as a PNG.
pub async fn screenshot(
    model: Arc<crate::model::Model>,
    name: String,
    camera: crate::viewer::camera::OrbitCamera,
    look: crate::viewer::Look,
    size: [u32; 2],
    dir: PathBuf,
    report: Reporter,
) {
    let target = dir.join(&name);
    let rendered = blocking(move || -> Result<PathBuf, String> {
        #[cfg(target_os = "linux")]
        {
            let image = crate::viewer::headless::render_parts(
                &model,
                &camera,
                &look,
                size[0],
                size[1],
                [255, 255, 255, 255],
            )
            .map_err(|e| e.to_string())?;
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            image
                .save_with_format(&target, image::ImageFormat::Png)
                .map_err(|e| e.to_string())?;
            Ok(target)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (model, camera, look, size, dir, target);
            Err("screenshots need EGL, which this build has only on Linux".into())
        }
    })
    .await;
    match rendered {
        Some(Ok(png)) => save_as(png, name, report).await,
        Some(Err(reason)) => report.send(Event::Notice(Message::error(
            format!("The screenshot could not be made: {reason}."),
            "Use your system's screenshot tool instead.",
        ))),
        None => {}
    }
}

/// `folder/name`, or `folder/stem (2).ext` and so on if taken.
fn free_name(folder: &Path, name: &str) -> PathBuf {
    let candidate = folder.join(name);
    if !candidate.exists() {
        return candidate;
    }
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
    (2..)
        .map(|n| folder.join(format!("{stem} ({n}).{extension}")))
        .find(|p| !p.exists())
        .unwrap_or(candidate)
}

/// Opens a file with the system's default app, or shows it in the file manager.
pub async fn open_externally(path: PathBuf, reveal: bool, report: Reporter) {
    let shown = path.display().to_string();
    let opened = blocking(move || {
        if reveal {
            opener::reveal(&path)
        } else {
            opener::open(&path)
        }
    })
    .await;
    if let Some(Err(e)) = opened {
        let what = if reveal {
            "The file manager could not be opened"
        } else {
            "No app could open the file"
        };
        report.send(Event::Notice(Message::error(
            format!("{what} ({e})."),
            format!("The file is at {shown}."),
        )));
    }
}

/// Shows a desktop notification (when a job ends while the window is in the background).
pub async fn notify(summary: String, body: String) {
    let _ = blocking(move || {
        notify_rust::Notification::new()
            .appname("Makistry Desktop")
            .summary(&summary)
            .body(&body)
            .show()
            .map(|_| ())
    })
    .await;
}

/// Records a job and drives it until it settles or needs the user.
pub async fn record_and_run(tracker: Tracker, job: JobRecord, report: Reporter) {
    let id = job.id.clone();
    match tracker.record(job.clone()).await {
        Ok(_) => run(tracker, id, report).await,
        Err(e) => report.send(Event::RecordFailed {
            job: Box::new(job),
            message: Message::error(
                format!("The job could not be recorded, so it was not sent: {e}."),
                "Your prompt is back in the form; check the disk has space and try again.",
            ),
        }),
    }
}

/// Drives a recorded job. The window hears `WorkerStopped` when it ends, however it ends (a
/// panic included), so the job is never shown as running for ever.
pub async fn run(tracker: Tracker, id: String, report: Reporter) {
    struct Stopped(Option<(Reporter, String)>);
    impl Drop for Stopped {
        fn drop(&mut self) {
            if let Some((report, id)) = self.0.take() {
                report.send(Event::WorkerStopped(id));
            }
        }
    }
    let _stopped = Stopped(Some((report, id.clone())));
    tracker.run(&id).await;
}

/// Changes a stored job (Retry, Check again), then drives it.
pub async fn change_and_run(
    tracker: Tracker,
    id: String,
    change: impl FnOnce(&mut JobRecord) + Send + 'static,
    report: Reporter,
) {
    let store = tracker.store().clone();
    let changed = blocking({
        let id = id.clone();
        move || store.update(&id, change)
    })
    .await;
    match changed {
        Some(Ok(Some(job))) => {
            tracker.announce(job);
            run(tracker, id, report).await;
        }
        Some(Err(e)) => {
            report.send(Event::Notice(Message::error(
                format!("The job could not be changed: {e}."),
                "Check the disk has space and try again.",
            )));
            report.send(Event::WorkerStopped(id));
        }
        _ => report.send(Event::WorkerStopped(id)),
    }
}
