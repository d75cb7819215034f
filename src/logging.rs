//! Logging for both binaries: `RUST_LOG` filters (default `makistry=info`), to standard error,
//! with colours only on a terminal; the window also writes daily files in the platform's log
//! directory, keeping a week. The API key never reaches a log line: it exists only as a
//! `keychain::Secret`, whose `Debug` and `Display` show `…last4`.

use std::io::IsTerminal;
use std::path::PathBuf;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How many daily log files are kept.
const KEPT_LOG_FILES: usize = 7;

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| "makistry=info".into())
}

/// Starts logging to standard error; call once, first thing in `main`.
pub fn init() {
    tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// The platform's place for the window's logs: `~/.local/state/makistry-desktop/logs` on
/// Linux, `~/Library/Logs/Makistry Desktop` on macOS, `%LOCALAPPDATA%\Makistry\Makistry
/// Desktop\logs` on Windows. `MAKISTRY_LOG_DIR` overrides it.
pub fn log_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("MAKISTRY_LOG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let dirs = directories::ProjectDirs::from("ai", "Makistry", "Makistry Desktop")?;
    if cfg!(target_os = "macos") {
        let home = directories::BaseDirs::new()?.home_dir().to_path_buf();
        return Some(home.join("Library/Logs/Makistry Desktop"));
    }
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .join("logs"),
    )
}

/// Keeps the log file writer flushing until dropped (at the end of `main`).
pub struct LogGuard {
    _worker: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// Starts logging to standard error and to daily files in `dir` (a week kept). If the files
/// cannot be made, logging goes on to standard error only, and the reason is logged.
pub fn init_with_files(dir: Option<PathBuf>) -> LogGuard {
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(filter());
    let appender = dir.as_ref().map(|dir| {
        // The appender prunes old files before it creates the folder, and says "Error reading
        // the log directory" on the first start if the folder is not there yet.
        let _ = std::fs::create_dir_all(dir);
        // The log names the user's jobs: readable by the user alone, as the history is.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("makistry-desktop")
            .filename_suffix("log")
            .max_log_files(KEPT_LOG_FILES)
            .build(dir)
    });
    match appender {
        Some(Ok(appender)) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let files = tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(filter());
            tracing_subscriber::registry()
                .with(stderr)
                .with(files)
                .init();
            LogGuard {
                _worker: Some(guard),
            }
        }
        Some(Err(e)) => {
            tracing_subscriber::registry().with(stderr).init();
            tracing::warn!("log files are off: {e}");
            LogGuard { _worker: None }
        }
        None => {
            tracing_subscriber::registry().with(stderr).init();
            LogGuard { _worker: None }
        }
    }
}
