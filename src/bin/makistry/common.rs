//! What the subcommands share: exit codes, the key, the client, the history, progress.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use makistry::api::{ApiError, Client, ErrorKind, RequestBudget};
use makistry::jobs::{self, JobEvent, JobRecord, JobStore, Phase, StoreLedger, Tracker};
use makistry::keychain::{self, KeySource, Keychain, Secret};
use tokio::sync::mpsc::UnboundedReceiver;

/// Exit codes (see the crate doc in main.rs).
pub mod exit {
    /// The user can fix it.
    pub const USER: u8 = 2;
    /// The API refused, or the job failed.
    pub const API: u8 = 3;
    /// The API could not be reached.
    pub const TRANSPORT: u8 = 4;
    /// The job is still running on the server.
    pub const STILL_RUNNING: u8 = 5;
    /// The history or the keychain could not be used.
    pub const OTHER: u8 = 1;
}

/// Prints an error the app's way (what happened, then what to do) and returns its exit code.
pub fn fail(sentence: &str, action: &str, code: u8) -> ExitCode {
    eprintln!("error: {sentence}");
    if !action.is_empty() {
        eprintln!("  {action}");
    }
    ExitCode::from(code)
}

/// Exit code for an API error.
pub fn exit_code_of(error: &ApiError) -> u8 {
    exit_code_of_kind(error.kind())
}

/// The exit code for an error of `kind` (README, "Exit codes").
pub fn exit_code_of_kind(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::User => exit::USER,
        ErrorKind::Api => exit::API,
        ErrorKind::Transport => exit::TRANSPORT,
    }
}

/// Reports an API error and returns its exit code.
pub fn fail_api(error: &ApiError) -> ExitCode {
    fail(&error.sentence(), error.action(), exit_code_of(error))
}

/// The key to use (environment first, then the keychain), or an exit code after saying why.
pub async fn api_key() -> Result<(Secret, KeySource), ExitCode> {
    let resolved = tokio::task::spawn_blocking(|| {
        let keychain = Keychain::system();
        keychain::resolve(keychain.as_ref())
    })
    .await
    .map_err(|e| {
        fail(
            &format!("the keychain could not be read: {e}"),
            "",
            exit::OTHER,
        )
    })?;
    match resolved {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(fail(
            "no API key is set",
            "Run `makistry key set` (the key goes to the system keychain), or set MAKISTRY_API_KEY.",
            exit::USER,
        )),
        Err(e) => Err(fail(&e.to_string(), e.action(), exit::OTHER)),
    }
}

/// A client for `base_url` with the key in use (see [`api_key`]), its request budget shared
/// through `store` with every process on the history.
pub async fn client(base_url: &str, store: &Arc<JobStore>) -> Result<Client, ExitCode> {
    let (key, _) = api_key().await?;
    client_with_key(base_url, key, Some(store))
}

/// A client for `base_url` with `key`; with a history, its request budget is shared with
/// every process on it (the API's limits are per key, not per process).
pub fn client_with_key(
    base_url: &str,
    key: Secret,
    store: Option<&Arc<JobStore>>,
) -> Result<Client, ExitCode> {
    let mut budget = RequestBudget::contract();
    if let Some(store) = store {
        budget = budget.shared_through(Arc::new(StoreLedger::new(store.clone(), key.expose())));
    }
    Client::new(base_url, key, Arc::new(budget)).map_err(|e| fail_api(&e))
}

/// Prints one line on standard output (see `out!`): a closed pipe ends the process quietly.
pub fn print_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = writeln!(stdout, "{args}").and_then(|()| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: the output could not be written: {e}");
        std::process::exit(1);
    }
}

/// Opens the history, printing any notice about it.
pub async fn open_store() -> Result<Arc<JobStore>, ExitCode> {
    let opened = tokio::task::spawn_blocking(|| {
        let dir = jobs::data_dir()?;
        JobStore::open(&dir)
    })
    .await
    .map_err(|e| {
        fail(
            &format!("the job history could not be opened: {e}"),
            "",
            exit::OTHER,
        )
    })?;
    match opened {
        Ok((store, notice)) => {
            if let Some(notice) = notice {
                eprintln!("warning: {}", notice.sentence());
            }
            Ok(Arc::new(store))
        }
        Err(e) => Err(fail(
            &e.to_string(),
            "Check the data directory is writable, or set MAKISTRY_DATA_DIR.",
            exit::OTHER,
        )),
    }
}

/// The history for a listing: opened as usual (so a damaged one is salvaged), or, where the
/// data directory cannot be written, read as it is: reading needs no write.
pub async fn open_store_for_reading() -> Result<Arc<JobStore>, ExitCode> {
    let opened = tokio::task::spawn_blocking(|| {
        let dir = jobs::data_dir()?;
        match JobStore::open(&dir) {
            Ok(opened) => Ok(opened),
            Err(error) => JobStore::open_read_only(&dir)
                .map(|store| {
                    tracing::info!("history opened read-only: {error}");
                    (store, None)
                })
                .map_err(|_| error),
        }
    })
    .await;
    match opened {
        Ok(Ok((store, notice))) => {
            if let Some(notice) = notice {
                eprintln!("warning: {}", notice.sentence());
            }
            Ok(Arc::new(store))
        }
        Ok(Err(e)) => Err(fail(
            &e.to_string(),
            "Check the data directory is readable, or set MAKISTRY_DATA_DIR.",
            exit::OTHER,
        )),
        Err(e) => Err(fail(
            &format!("the job history could not be opened: {e}"),
            "",
            exit::OTHER,
        )),
    }
}

/// A tracker for `client` writing to `store`, and the receiver of its events.
pub fn tracker(client: Client, store: Arc<JobStore>) -> (Tracker, UnboundedReceiver<JobEvent>) {
    let (events, receiver) = tokio::sync::mpsc::unbounded_channel();
    (
        Tracker::new(client, store, events, Arc::new(|| {})),
        receiver,
    )
}

/// Shows job events: a spinner and a download bar on a terminal, one line per change
/// otherwise (logs, CI).
pub async fn show_progress(mut events: UnboundedReceiver<JobEvent>, label: String) {
    let interactive = std::io::stderr().is_terminal();
    let bar = if interactive {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let started = Instant::now();
    let mut last_line = String::new();
    while let Some(event) = events.recv().await {
        let line = match &event {
            JobEvent::Updated(job) => describe(job),
            JobEvent::Waiting { waiting, .. } => format!(
                "{} — trying again in {} s",
                waiting.error.sentence().trim_end_matches('.'),
                waiting.delay.as_secs().max(1)
            ),
            JobEvent::Progress {
                received, total, ..
            } => {
                if let Some(total) = total {
                    if bar.length() != Some(*total) && interactive {
                        bar.set_length(*total);
                        bar.set_style(
                            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes}")
                                .unwrap_or_else(|_| ProgressStyle::default_bar()),
                        );
                    }
                    bar.set_position(*received);
                }
                format!("{label}: downloading")
            }
            JobEvent::StoreFailed { message } => format!("warning: {message}"),
        };
        if line != last_line {
            if interactive {
                bar.set_message(line.clone());
            } else {
                eprintln!("[{:>4} s] {line}", started.elapsed().as_secs());
            }
            last_line = line;
        }
    }
    bar.finish_and_clear();
}

/// One line about a job's state.
pub fn describe(job: &JobRecord) -> String {
    let (typical_min, typical_max) = job.spec.mode.typical_duration();
    match &job.phase {
        Phase::Queued | Phase::Processing => format!(
            "{}: {} ({} jobs usually take {} s to {} min)",
            short_id(job),
            job.phase.label(),
            job.spec.mode.as_str(),
            typical_min.as_secs(),
            typical_max.as_secs() / 60
        ),
        Phase::Retrying { .. } => format!(
            "{}: retrying ({})",
            short_id(job),
            job.error.as_ref().map_or("", |e| e.code.as_str())
        ),
        phase => format!("{}: {}", short_id(job), phase.label()),
    }
}

/// The first 8 characters of the local id: enough to tell jobs apart in a list.
pub fn short_id(job: &JobRecord) -> &str {
    &job.id[..8.min(job.id.len())]
}
