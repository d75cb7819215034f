//! The history of earlier versions (`jobs.json`, one JSON file): imported into the database
//! once, then kept beside it as `jobs.json.imported-<time>`, a backup the app never writes.

use std::path::Path;

use serde::Deserialize;

use super::errors::{StoreError, StoreNotice};
use super::record::JobRecord;

/// Where the import writes: the history (kept apart so this module needs no store).
pub(super) trait ImportTarget {
    /// A value in the metadata table.
    fn meta(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Sets a value in the metadata table; false when it was already set.
    fn set_meta_once(&self, key: &str, value: &str) -> Result<bool, StoreError>;
    /// Adds jobs in one transaction (jobs already there are left as they are).
    fn insert_all(&self, jobs: &[JobRecord]) -> Result<(), StoreError>;
}

const LEGACY_FILE: &str = "jobs.json";
/// The last `schema_version` the JSON history had.
const LEGACY_VERSION: u32 = 1;
const IMPORTED: &str = "imported_jobs_json";

#[derive(Deserialize)]
struct LegacyFile {
    schema_version: u32,
    #[serde(default)]
    jobs: Vec<JobRecord>,
}

/// Imports `jobs.json` from `dir` if it is there and was not imported yet. Safe when several
/// processes start at once: rows already there are left alone, and one of them renames the file.
pub(super) fn import_once(
    store: &dyn ImportTarget,
    dir: &Path,
) -> Result<Option<StoreNotice>, StoreError> {
    let path = dir.join(LEGACY_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StoreError::Io {
                action: "read",
                path,
                reason: e.to_string(),
            });
        }
    };
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let (tag, notice) = match serde_json::from_slice::<LegacyFile>(&bytes) {
        Ok(file) if file.schema_version <= LEGACY_VERSION => {
            if store.meta(IMPORTED)?.is_none() {
                store.insert_all(&file.jobs)?;
                store.set_meta_once(IMPORTED, &stamp.to_string())?;
                tracing::info!("imported {} jobs from {}", file.jobs.len(), path.display());
            }
            ("imported", None)
        }
        Ok(file) => ("newer", Some(format!("format {}", file.schema_version))),
        Err(e) => ("unreadable", Some(e.to_string())),
    };
    let kept_at = dir.join(format!("{LEGACY_FILE}.{tag}-{stamp}"));
    match std::fs::rename(&path, &kept_at) {
        Ok(()) => {}
        // Another process moved it a moment ago.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StoreError::Io {
                action: "moved aside",
                path,
                reason: e.to_string(),
            });
        }
    }
    Ok(notice.map(|reason| StoreNotice::Unreadable { kept_at, reason }))
}
