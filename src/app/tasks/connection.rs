//! Keys and connections: the key found at start-up, a pasted key checked and kept, the key
//! removed; connecting to the API (or starting the offline demo) with its job history.

use super::*;
use crate::api::{ApiError, Client, RequestBudget};
use crate::emulator::{Emulator, EmulatorConfig, Timing};
use crate::jobs::{JobEvent, JobRecord, JobStore, OutlineEntry, StoreLedger, StoreNotice, Tracker};
use crate::keychain::{KeySource, Keychain, KeychainError, Secret};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

/// How often the window downloads a finished job again after this computer could not keep
/// the file (a full disk): one request a time, well inside the key's budget.
const FILE_ERROR_RETRY: std::time::Duration = std::time::Duration::from_secs(30);

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
    /// Why the key, which works, could not be kept in the keychain (it is used until the
    /// app closes).
    pub unstored: Option<KeychainError>,
}

/// A new connection with its job history.
pub struct Connected {
    /// The connection.
    pub connection: Connection,
    /// Its history, as first read.
    pub history: HistoryRead,
    /// Why the stored history could not be used, if so.
    pub notice: Option<StoreNotice>,
}

/// What a window reads of a history when it connects: every job's outline, and the records
/// it needs at once (the newest page, for the list and the first part shown, and every
/// unfinished job, to resume). The rest is read as it comes into view.
pub struct HistoryRead {
    /// Every job, newest first.
    pub outline: Vec<OutlineEntry>,
    /// The records read.
    pub records: Vec<JobRecord>,
}

/// Records read with the outline: a few screenfuls of the newest cards.
const FIRST_PAGE: usize = 60;

/// Reads what [`HistoryRead`] holds, and the revision to watch for changes from.
fn read_history(store: &JobStore) -> Result<(HistoryRead, u64), crate::jobs::StoreError> {
    let outline = store.outline()?;
    let newest: Vec<String> = (outline.entries.iter().take(FIRST_PAGE))
        .map(|entry| entry.id.clone())
        .collect();
    let mut records = store.unfinished()?;
    let unfinished: HashSet<String> = records.iter().map(|j| j.id.clone()).collect();
    let newest: Vec<String> = newest
        .into_iter()
        .filter(|id| !unfinished.contains(id))
        .collect();
    records.extend(store.records(&newest)?);
    let history = HistoryRead {
        outline: outline.entries,
        records,
    };
    Ok((history, outline.revision))
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

/// The file in the demo's folder that says the demo was the last thing used without a key,
/// so a restart (no `--demo`) goes back to it rather than to the welcome screen.
const DEMO_IN_USE: &str = "in-use";

/// Finds the key: the environment first, then the keychain. Without one, the offline demo
/// where it was in use when the app last ran.
pub async fn find_key(keychain: KeychainChoice, data_dir: PathBuf, report: Reporter) {
    let found = blocking(move || {
        let found = crate::keychain::resolve(keychain.open().as_ref());
        let demo_before = data_dir.join("demo").join(DEMO_IN_USE).exists();
        (found, demo_before)
    })
    .await;
    match found {
        Some((Ok(None), true)) => report.send(Event::DemoInUseBefore),
        Some((found, _)) => report.send(Event::KeyFound(found)),
        None => {}
    }
}

/// Checks a pasted key with the API, stores it and connects. A key the API refuses is not
/// stored; one that cannot be checked (no network) or stored (no keychain) is still used for
/// this session, with a note saying so.
/// `stopped` ends the check (the user pressed Stop, or closed the form): nothing is kept, and
/// nothing is reported, as the form already says so.
pub async fn save_key(
    key: Secret,
    (check, stopped): (KeyCheck, tokio::sync::oneshot::Receiver<()>),
    keychain: KeychainChoice,
    to: ConnectContext,
) {
    let ConnectContext {
        base_url,
        data_dir,
        settings,
        report,
    } = to;
    let budget = Arc::new(RequestBudget::contract());
    let client = match Client::new(&base_url, key.clone(), budget) {
        Ok(client) => client,
        Err(e) => {
            report.send(Event::Connected(Err(ConnectProblem::Client(e))));
            return;
        }
    };
    let checked = tokio::select! {
        checked = client.check_key() => checked,
        _ = stopped => {
            tracing::info!("the key check was stopped by the user");
            return;
        }
    };
    match checked {
        Ok(()) => {}
        Err(e @ ApiError::InvalidApiKey { .. }) => {
            report.send(Event::Connected(Err(ConnectProblem::KeyRefused(e))));
            return;
        }
        // Kept without a check only when the user says so.
        Err(e) if check == KeyCheck::Required => {
            report.send(Event::Connected(Err(ConnectProblem::KeyUnchecked(e))));
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
    let unstored = match stored {
        Some(Err(e)) => {
            // The store's own message is for the log; the user reads it in words.
            tracing::warn!("the key could not be stored: {e}");
            Some(e)
        }
        _ => None,
    };
    // A key of the user's own from now on: a later start without one asks again, not the demo.
    let demo_mark = data_dir.join("demo").join(DEMO_IN_USE);
    blocking(move || std::fs::remove_file(demo_mark)).await;
    connect(
        ConnectTo::Key {
            key,
            source: KeySource::Keychain,
            unstored,
        },
        ConnectContext {
            base_url,
            data_dir,
            settings,
            report,
        },
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

/// What connecting needs from the window, cloned once per task: the API asked for, where
/// the history lives, how jobs are tracked, and whom to tell.
#[derive(Clone)]
pub struct ConnectContext {
    /// The API a key is used with (the demo starts its own).
    pub base_url: String,
    /// The data directory (history, draft, kept images; the demo's under `demo/`).
    pub data_dir: PathBuf,
    /// The job tracker's settings.
    pub settings: TrackerSettings,
    /// Where events go.
    pub report: Reporter,
}

/// Removes the stored key.
pub async fn remove_key(keychain: KeychainChoice, report: Reporter) {
    let removed = blocking(move || keychain.open().and_then(|k| k.clear())).await;
    // `None` only as the runtime shuts down: nothing is left to tell.
    if let Some(removed) = removed {
        report.send(Event::KeyRemoved(removed.map(|_| ())));
    }
}

/// Why a key or the demo could not be used (the window says it in its words where it shows
/// it: `app::screen::connect_problem_message`).
#[derive(Debug)]
pub enum ConnectProblem {
    /// The API refused the key.
    KeyRefused(ApiError),
    /// The key could not be checked: the API did not answer as it should.
    KeyUnchecked(ApiError),
    /// The HTTP client could not be set up for the API's address.
    Client(ApiError),
    /// The offline demo's built-in server did not start (its reason).
    DemoNotStarted(String),
    /// The job history could not be opened (its reason, if known).
    HistoryUnopened(Option<String>),
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
        /// Why it could not be kept in the keychain, if so.
        unstored: Option<KeychainError>,
    },
    /// The offline demo.
    Demo,
}

/// Opens the job history and builds the tracker; for the demo, starts the emulator first.
/// Demo jobs have their own history (`demo/` in the data directory).
pub async fn connect(to: ConnectTo, context: ConnectContext) {
    let ConnectContext {
        base_url,
        data_dir,
        settings,
        report,
    } = context;
    let result = connect_inner(to, base_url, data_dir, settings, &report).await;
    report.send(Event::Connected(result));
}

pub(super) async fn connect_inner(
    to: ConnectTo,
    base_url: String,
    data_dir: PathBuf,
    settings: TrackerSettings,
    report: &Reporter,
) -> Result<Box<Connected>, ConnectProblem> {
    let (key, source, unstored, demo, base_url, store_dir) = match to {
        ConnectTo::Key {
            key,
            source,
            unstored,
        } => (
            key,
            Some(source),
            unstored,
            None,
            base_url,
            data_dir.clone(),
        ),
        ConnectTo::Demo => {
            // The demo's server keeps its jobs across restarts, beside the demo's history.
            let emulator = Emulator::start_with(EmulatorConfig {
                timing: settings.demo_timing,
                state_file: Some(data_dir.join("demo").join("emulator.json")),
                ..EmulatorConfig::default()
            })
            .await
            .map_err(|e| ConnectProblem::DemoNotStarted(e.to_string()))?;
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
            if let Err(e) = std::fs::write(store_dir.join(DEMO_IN_USE), b"") {
                tracing::warn!("the demo could not be remembered for the next start: {e}");
            }
        }
        let (history, revision) = read_history(&store)?;
        Ok::<_, crate::jobs::StoreError>((store, notice, history, revision))
    })
    .await;
    let (store, notice, history, revision) = match opened {
        Some(Ok(opened)) => opened,
        Some(Err(e)) => return Err(ConnectProblem::HistoryUnopened(Some(e.to_string()))),
        None => return Err(ConnectProblem::HistoryUnopened(None)),
    };
    let store = Arc::new(store);
    // One budget for the key across every process on this history (the API counts per key).
    let ledger = Arc::new(StoreLedger::new(store.clone(), key.expose()));
    let budget = Arc::new(RequestBudget::contract().shared_through(ledger));
    let client = Client::new(&base_url, key.clone(), budget).map_err(ConnectProblem::Client)?;
    let unfinished = (history.records.iter())
        .filter(|job| !job.phase.is_settled())
        .map(|job| job.id.clone())
        .collect();
    let watch_from = (revision, unfinished);
    super::history_watch::start(
        &store,
        watch_from,
        settings.job_events.clone(),
        report.clone(),
    );
    let tracker = Tracker::new(client, store, settings.job_events, report.waker())
        .with_time_scale(settings.time_scale)
        .retrying_file_errors_every(FILE_ERROR_RETRY);
    Ok(Box::new(Connected {
        connection: Connection {
            tracker,
            base_url,
            key_preview: key.preview(),
            source,
            demo,
            unstored,
        },
        history,
        notice,
    }))
}

/// Every job in the demo's history is the demo server's: when that server came back on another
/// port, unfinished jobs follow it (their ids are in its saved state), so they resume.
pub(super) fn adopt_demo_jobs(store: &JobStore, base: &str) -> Result<(), crate::jobs::StoreError> {
    for job in store.unfinished()? {
        let moved = job.api_base.as_deref().is_some_and(|b| b != base);
        if moved {
            store.update(&job.id, |j| j.api_base = Some(base.to_string()))?;
        }
    }
    Ok(())
}
