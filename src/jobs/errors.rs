//! What can go wrong with the history, and what the user is told about it when it opens: the
//! lowest module of `jobs/`, so the database, the store and the legacy import share it.

use std::path::PathBuf;

/// Environment variable that overrides the data directory.
pub const DATA_DIR_VAR: &str = "MAKISTRY_DATA_DIR";

/// What salvage got out of a damaged history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Salvaged {
    /// Jobs copied into the new history.
    pub recovered: usize,
    /// Rows that could not be read (their pages are damaged), where SQLite could tell.
    pub unreadable: usize,
}

/// Why the history could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No data directory could be found for this user.
    #[error("no data directory could be found; set {DATA_DIR_VAR}")]
    NoDataDir,
    /// Reading or writing failed.
    #[error("the job history at {path} could not be {action}: {reason}")]
    Io {
        /// "read", "written", "created", "moved aside".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Another process drives this job now (its lease ran out here and was taken).
    #[error("another Makistry process is now driving this job")]
    LeaseLost,
}

/// Something the user should know about the history, found when opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreNotice {
    /// The history could not be read; it was moved to `kept_at` and a new one started.
    Unreadable {
        /// Where the old file is now.
        kept_at: PathBuf,
        /// Why it could not be read.
        reason: String,
    },
    /// Some pages of the history were damaged: the readable jobs were copied into a new
    /// history, the damaged file kept at `kept_at`.
    Salvaged {
        /// Where the damaged file is now.
        kept_at: PathBuf,
        /// What could be copied.
        salvaged: Salvaged,
    },
    /// A newer version of the app wrote the history; it was moved to `kept_at`.
    NewerVersion {
        /// Where the old file is now.
        kept_at: PathBuf,
        /// The version it has.
        version: u32,
    },
}

impl StoreNotice {
    /// What to do next, for the user.
    pub fn action(&self) -> &'static str {
        match self {
            Self::Unreadable { .. } => "Older jobs are not shown.",
            Self::Salvaged { .. } => {
                "Nothing else is needed: the app goes on with the recovered jobs."
            }
            Self::NewerVersion { .. } => "Older jobs are not shown in this version.",
        }
    }

    /// What happened and what to do, for the user.
    pub fn sentence(&self) -> String {
        match self {
            Self::Unreadable { kept_at, reason } => format!(
                "The job history could not be read ({reason}). It was kept at {} and a new history was started.",
                kept_at.display()
            ),
            Self::Salvaged { kept_at, salvaged } => {
                let lost = match salvaged.unreadable {
                    0 => "some of its pages were damaged".to_string(),
                    1 => "1 job on a damaged page could not be read".to_string(),
                    n => format!("{n} jobs on damaged pages could not be read"),
                };
                format!(
                    "The job history was damaged ({lost}). {} {} recovered into a new history; \
                     the damaged file was kept at {}.",
                    salvaged.recovered,
                    if salvaged.recovered == 1 {
                        "job was"
                    } else {
                        "jobs were"
                    },
                    kept_at.display()
                )
            }
            Self::NewerVersion { kept_at, version } => format!(
                "The job history was written by a newer version of Makistry Desktop (format {version}). It was kept at {}; \
                 update the app to see those jobs again.",
                kept_at.display()
            ),
        }
    }
}
