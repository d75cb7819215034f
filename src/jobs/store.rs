//! The job history on disk: one JSON file with a schema version, in the platform data
//! directory (`MAKISTRY_DATA_DIR` overrides it). Every change is written atomically (a
//! temporary file in the same directory, flushed, then renamed over the old one), so a crash
//! leaves either the old history or the new one, never half of each.
//!
//! A file that cannot be read, or that a newer version of the app wrote, is moved aside and
//! reported, never overwritten. Calls do file IO: run them off the UI thread.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use super::record::JobRecord;

/// Version of the file format this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;
/// Environment variable that overrides the data directory.
pub const DATA_DIR_VAR: &str = "MAKISTRY_DATA_DIR";
const FILE_NAME: &str = "jobs.json";

/// Why the history could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No data directory could be found for this user.
    #[error("no data directory could be found; set {DATA_DIR_VAR}")]
    NoDataDir,
    /// Reading or writing failed.
    #[error("the job history at {path} could not be {action}: {source}")]
    Io {
        /// "read" or "written".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Something the user should know about the history, found when opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreNotice {
    /// The file could not be read; it was moved to `kept_at` and a new history started.
    Unreadable {
        /// Where the old file is now.
        kept_at: PathBuf,
        /// Why it could not be read.
        reason: String,
    },
    /// A newer version of the app wrote the file; it was moved to `kept_at`.
    NewerVersion {
        /// Where the old file is now.
        kept_at: PathBuf,
        /// The version it has.
        version: u32,
    },
}

impl StoreNotice {
    /// What happened and what to do, for the user.
    pub fn sentence(&self) -> String {
        match self {
            Self::Unreadable { kept_at, reason } => format!(
                "The job history could not be read ({reason}). It was kept at {} and a new history was started.",
                kept_at.display()
            ),
            Self::NewerVersion { kept_at, version } => format!(
                "The job history was written by a newer version of Makistry Desktop (format {version}). It was kept at {}; \
                 update the app to see those jobs again.",
                kept_at.display()
            ),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StoreFile {
    schema_version: u32,
    jobs: Vec<JobRecord>,
}

#[derive(Deserialize)]
struct VersionOnly {
    schema_version: u32,
}

/// The app's data directory: `MAKISTRY_DATA_DIR`, or the platform's (e.g.
/// `~/.local/share/makistry-desktop` on Linux).
pub fn data_dir() -> Result<PathBuf, StoreError> {
    if let Some(dir) = std::env::var_os(DATA_DIR_VAR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("ai", "Makistry", "Makistry Desktop")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or(StoreError::NoDataDir)
}

/// The job history.
#[derive(Debug)]
pub struct JobStore {
    dir: PathBuf,
    jobs: Mutex<Vec<JobRecord>>,
}

impl JobStore {
    /// Opens (or starts) the history in `dir`.
    pub fn open(dir: &Path) -> Result<(Self, Option<StoreNotice>), StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            action: "created",
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(FILE_NAME);
        let (jobs, notice) = match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Vec::new(), None),
            Err(source) => {
                return Err(StoreError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
            Ok(bytes) => match serde_json::from_slice::<VersionOnly>(&bytes) {
                Ok(VersionOnly { schema_version }) if schema_version > SCHEMA_VERSION => {
                    let kept_at = keep_aside(&path, &format!("v{schema_version}"))?;
                    (
                        Vec::new(),
                        Some(StoreNotice::NewerVersion {
                            kept_at,
                            version: schema_version,
                        }),
                    )
                }
                _ => match serde_json::from_slice::<StoreFile>(&bytes) {
                    Ok(file) => (file.jobs, None),
                    Err(e) => {
                        let kept_at = keep_aside(&path, "unreadable")?;
                        (
                            Vec::new(),
                            Some(StoreNotice::Unreadable {
                                kept_at,
                                reason: e.to_string(),
                            }),
                        )
                    }
                },
            },
        };
        Ok((
            Self {
                dir: dir.to_path_buf(),
                jobs: Mutex::new(jobs),
            },
            notice,
        ))
    }

    /// The directory the history (and downloaded files) live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where downloaded files are kept.
    pub fn files_dir(&self) -> PathBuf {
        self.dir.join("files")
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<JobRecord>> {
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a job and writes the history before returning, so it survives a crash from here on.
    pub fn insert(&self, job: JobRecord) -> Result<(), StoreError> {
        let mut jobs = self.lock();
        jobs.push(job);
        self.write(&jobs)
    }

    /// Changes a job and writes the history. Returns the updated job, or `None` if unknown.
    pub fn update(
        &self,
        id: &str,
        change: impl FnOnce(&mut JobRecord),
    ) -> Result<Option<JobRecord>, StoreError> {
        let mut jobs = self.lock();
        let Some(job) = jobs.iter_mut().find(|j| j.id == id) else {
            return Ok(None);
        };
        change(job);
        let updated = job.clone();
        self.write(&jobs)?;
        Ok(Some(updated))
    }

    /// One job.
    pub fn get(&self, id: &str) -> Option<JobRecord> {
        self.lock().iter().find(|j| j.id == id).cloned()
    }

    /// Every job, newest first.
    pub fn all(&self) -> Vec<JobRecord> {
        let mut jobs = self.lock().clone();
        jobs.sort_by_key(|job| std::cmp::Reverse(job.created_at));
        jobs
    }

    fn write(&self, jobs: &[JobRecord]) -> Result<(), StoreError> {
        let path = self.dir.join(FILE_NAME);
        let io = |source| StoreError::Io {
            action: "written",
            path: path.clone(),
            source,
        };
        let file = StoreFile {
            schema_version: SCHEMA_VERSION,
            jobs: jobs.to_vec(),
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| io(std::io::Error::other(e)))?;
        let mut temp = tempfile::NamedTempFile::new_in(&self.dir).map_err(io)?;
        temp.write_all(&bytes).map_err(io)?;
        temp.as_file().sync_all().map_err(io)?;
        temp.persist(&path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

/// Renames `path` to `jobs.json.<tag>-<timestamp>` beside it.
fn keep_aside(path: &Path, tag: &str) -> Result<PathBuf, StoreError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let kept_at = path.with_file_name(format!("{FILE_NAME}.{tag}-{stamp}"));
    std::fs::rename(path, &kept_at).map_err(|source| StoreError::Io {
        action: "moved aside",
        path: path.to_path_buf(),
        source,
    })?;
    Ok(kept_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{DesignMode, OutputFormat};

    fn record(prompt: &str) -> JobRecord {
        JobRecord::new(
            prompt.into(),
            vec![],
            DesignMode::Standard,
            OutputFormat::Glb,
            chrono::Utc::now(),
        )
    }

    #[test]
    fn jobs_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let (store, notice) = JobStore::open(dir.path()).unwrap();
        assert!(notice.is_none());
        let job = record("a box");
        store.insert(job.clone()).unwrap();
        store
            .update(&job.id, |j| j.remote_id = Some("pub_1".into()))
            .unwrap();
        let (reopened, _) = JobStore::open(dir.path()).unwrap();
        assert_eq!(
            reopened.get(&job.id).and_then(|j| j.remote_id),
            Some("pub_1".into())
        );
        let text = std::fs::read_to_string(dir.path().join("jobs.json")).unwrap();
        assert!(text.contains("\"schema_version\": 1"));
    }

    #[test]
    fn an_unreadable_history_is_kept_aside_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("jobs.json"), b"{ half a file").unwrap();
        let (store, notice) = JobStore::open(dir.path()).unwrap();
        let Some(StoreNotice::Unreadable { kept_at, .. }) = notice else {
            panic!("{notice:?}")
        };
        assert_eq!(std::fs::read(&kept_at).unwrap(), b"{ half a file");
        assert!(store.all().is_empty());
        store.insert(record("new")).unwrap();
        assert_eq!(std::fs::read(&kept_at).unwrap(), b"{ half a file");
    }

    #[test]
    fn a_newer_history_is_kept_aside_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let newer = br#"{"schema_version": 7, "jobs": [{"whatever": true}]}"#;
        std::fs::write(dir.path().join("jobs.json"), newer).unwrap();
        let (_, notice) = JobStore::open(dir.path()).unwrap();
        let Some(StoreNotice::NewerVersion {
            kept_at,
            version: 7,
        }) = notice
        else {
            panic!("{notice:?}")
        };
        assert_eq!(std::fs::read(kept_at).unwrap(), newer);
    }
}
