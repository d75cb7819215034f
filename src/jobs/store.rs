//! The job history: an SQLite database (`jobs.db`, WAL mode) in the platform data directory
//! (`MAKISTRY_DATA_DIR` overrides it), shared by every process of the app at once: windows,
//! `makistry generate`, `makistry jobs resume`.
//!
//! One row per job. The row holds the state machine's record as JSON (so the schema never
//! restates the state machine), beside the columns the processes coordinate with: creation time
//! (order), a revision that grows with every change (so a process can read only what others
//! changed), and a lease (owner and expiry) so one process at a time drives a job. Each change
//! is one small transaction of the job that changed, written only when the record changed, with
//! `synchronous = FULL`: a kill -9 loses nothing committed.
//!
//! A database that cannot be opened (not a database, corrupt, written by a newer version) is
//! moved aside and reported, never overwritten. A `jobs.json` from earlier versions is imported
//! once and kept beside the database as a backup. Calls block on disk IO (and, for a moment,
//! on other processes' transactions): run them on blocking threads, never on the UI thread or a
//! tokio worker.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::database::{self, FILE_NAME, OpenLock, Refusal, io};
use super::errors::{DATA_DIR_VAR, StoreError, StoreNotice};
use super::legacy::{self, ImportTarget};
use super::owner;
use super::record::JobRecord;
use super::search;

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

/// Jobs that changed since a revision, and the revision to ask from next time.
#[derive(Debug, Default)]
pub struct Changes {
    /// The changed jobs, in any order.
    pub jobs: Vec<JobRecord>,
    /// The newest revision seen.
    pub revision: u64,
}

/// The job history.
#[derive(Debug)]
pub struct JobStore {
    dir: PathBuf,
    connection: Mutex<Connection>,
    /// This store's name in leases: the pid and a random part (pids are reused).
    owner: String,
    /// `owners/<owner>.lock`, locked for as long as this store lives: the OS lets go of the
    /// lock when the process dies, however it dies, which is how others know a lease's owner
    /// is gone without waiting for the lease to run out.
    owner_lock: Option<std::fs::File>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl JobStore {
    /// Opens (or starts) the history in `dir`. A damaged history is salvaged into a new one;
    /// one that is no database at all, or a newer version's, is set aside; either is said in
    /// the notice.
    pub fn open(dir: &Path) -> Result<(Self, Option<StoreNotice>), StoreError> {
        create_private_dir(dir)?;
        let path = dir.join(FILE_NAME);
        let lock = OpenLock::take(dir)?;
        let (connection, notice) = match database::open_database(&path) {
            Ok(connection) => (connection, None),
            Err(Refusal::Failed(error)) => return Err(error),
            Err(refusal) => replace_refused(&path, refusal)?,
        };
        drop(lock);
        let owner = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let store = Self {
            dir: dir.to_path_buf(),
            connection: Mutex::new(connection),
            owner_lock: owner::lock_owner_file(dir, &owner),
            owner,
        };
        let legacy_notice = legacy::import_once(&store, dir)?;
        Ok((store, notice.or(legacy_notice)))
    }

    /// Opens the history for reading only (a listing where the data directory cannot be
    /// written): nothing is created, migrated, leased or salvaged.
    pub fn open_read_only(dir: &Path) -> Result<Self, StoreError> {
        let connection = database::open_read_only(&dir.join(FILE_NAME))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            connection: Mutex::new(connection),
            owner: format!("{}-reader", std::process::id()),
            owner_lock: None,
        })
    }

    /// The directory the history (and downloaded files) live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where downloaded files are kept.
    pub fn files_dir(&self) -> PathBuf {
        self.dir.join("files")
    }

    /// This process's name in leases.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn failed(&self, action: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |e| io(action, &self.dir.join(FILE_NAME), e)
    }

    /// Adds a job, committed before returning, so it survives a crash from here on.
    pub fn insert(&self, job: JobRecord) -> Result<(), StoreError> {
        self.insert_all(std::slice::from_ref(&job))
    }

    /// Adds jobs in one transaction (jobs already there are left as they are).
    pub fn insert_all(&self, jobs: &[JobRecord]) -> Result<(), StoreError> {
        let mut connection = self.lock();
        let failed = self.failed("written");
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        for job in jobs {
            let record = serde_json::to_string(job).map_err(|e| failed(to_sql_error(e)))?;
            tx.execute(
                "INSERT OR IGNORE INTO jobs (id, created_at, revision, record)
                 VALUES (?1, ?2, (SELECT coalesce(max(revision), 0) + 1 FROM jobs), ?3)",
                params![job.id, job.created_at.to_rfc3339(), record],
            )
            .map_err(&failed)?;
        }
        tx.commit().map_err(&failed)
    }

    /// Changes a job in one transaction and returns it as it now is, or `None` if unknown.
    /// Nothing is written when `change` leaves the record as it was.
    pub fn update(
        &self,
        id: &str,
        change: impl FnOnce(&mut JobRecord),
    ) -> Result<Option<JobRecord>, StoreError> {
        self.update_checked(id, None, change)
    }

    /// [`Self::update`] by the job's driver: fails with [`StoreError::LeaseLost`] when this
    /// process no longer holds the job's lease, and changes nothing then.
    pub fn update_as_driver(
        &self,
        id: &str,
        change: impl FnOnce(&mut JobRecord),
    ) -> Result<Option<JobRecord>, StoreError> {
        self.update_checked(id, Some(&self.owner), change)
    }

    fn update_checked(
        &self,
        id: &str,
        driver: Option<&str>,
        change: impl FnOnce(&mut JobRecord),
    ) -> Result<Option<JobRecord>, StoreError> {
        let mut connection = self.lock();
        let failed = self.failed("written");
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let row: Option<(String, Option<String>)> = tx
            .query_row(
                "SELECT record, lease_owner FROM jobs WHERE id = ?1",
                [id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(&failed)?;
        let Some((record, lease_owner)) = row else {
            return Ok(None);
        };
        if driver.is_some() && lease_owner.as_deref() != driver {
            return Err(StoreError::LeaseLost);
        }
        let before: JobRecord =
            serde_json::from_str(&record).map_err(|e| failed(to_sql_error(e)))?;
        let mut after = before.clone();
        change(&mut after);
        if after != before {
            let record = serde_json::to_string(&after).map_err(|e| failed(to_sql_error(e)))?;
            tx.execute(
                "UPDATE jobs SET record = ?2,
                     revision = (SELECT coalesce(max(revision), 0) + 1 FROM jobs)
                 WHERE id = ?1",
                params![id, record],
            )
            .map_err(&failed)?;
            tx.commit().map_err(&failed)?;
        }
        Ok(Some(after))
    }

    /// Removes a job that was never sent (every attempt failed to connect), so a command that
    /// could not reach the API leaves no job behind. Any other job is left as it is; returns
    /// whether it was removed.
    pub fn remove_unsent(&self, id: &str) -> Result<bool, StoreError> {
        let mut connection = self.lock();
        let failed = self.failed("written");
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let record: Option<String> = tx
            .query_row("SELECT record FROM jobs WHERE id = ?1", [id], |row| {
                row.get(0)
            })
            .optional()
            .map_err(&failed)?;
        let unsent = record
            .and_then(|r| serde_json::from_str::<JobRecord>(&r).ok())
            .is_some_and(|job| job.was_never_sent());
        if unsent {
            tx.execute("DELETE FROM jobs WHERE id = ?1", [id])
                .map_err(&failed)?;
            tx.commit().map_err(&failed)?;
        }
        Ok(unsent)
    }

    /// One job.
    pub fn get(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        let connection = self.lock();
        let failed = self.failed("read");
        let record: Option<String> = connection
            .query_row("SELECT record FROM jobs WHERE id = ?1", [id], |row| {
                row.get(0)
            })
            .optional()
            .map_err(&failed)?;
        record
            .map(|r| serde_json::from_str(&r).map_err(|e| failed(to_sql_error(e))))
            .transpose()
    }

    /// Every job, newest first, and the revision to watch for changes from.
    pub fn all(&self) -> Result<Changes, StoreError> {
        self.changes(0, false)
    }

    /// Jobs whose prompt, project name, key features, format or date hold every word of
    /// `text` (the last as a prefix, as it is being typed), newest first; every job when
    /// `text` has no word. A history without the search index (opened read-only after an
    /// older build) is searched record by record, by the same rule.
    pub fn search(&self, text: &str) -> Result<Vec<JobRecord>, StoreError> {
        let found = search::find(&self.lock(), text, search::Found::Record);
        let records = match found {
            Ok(Some(records)) => records,
            Ok(None) => return Ok(self.all()?.jobs),
            Err(e) => {
                tracing::info!("searching the history without its index: {e}");
                let mut jobs = self.all()?.jobs;
                jobs.retain(|job| search::matches(job, text));
                return Ok(jobs);
            }
        };
        Ok(records
            .iter()
            .filter_map(|record| match serde_json::from_str(record) {
                Ok(job) => Some(job),
                Err(e) => {
                    tracing::warn!("a job in the history could not be read: {e}");
                    None
                }
            })
            .collect())
    }

    /// The ids of the jobs [`JobStore::search`] finds, newest first (`None`: every job).
    pub fn search_ids(&self, text: &str) -> Result<Option<Vec<String>>, StoreError> {
        let found = search::find(&self.lock(), text, search::Found::Id);
        match found {
            Ok(ids) => Ok(ids),
            Err(e) => {
                tracing::info!("searching the history without its index: {e}");
                let mut jobs = self.all()?.jobs;
                jobs.retain(|job| search::matches(job, text));
                Ok(Some(jobs.into_iter().map(|job| job.id).collect()))
            }
        }
    }

    /// Jobs that other processes (or other stores) changed after `revision`, newest first,
    /// leaving out the jobs this store drives (its own tracker reports those).
    pub fn changes_by_others(&self, revision: u64) -> Result<Changes, StoreError> {
        self.changes(revision, true)
    }

    /// A row this build cannot read (a record a newer version wrote into the same schema) is
    /// left out, not fatal.
    fn changes(&self, revision: u64, others_only: bool) -> Result<Changes, StoreError> {
        let connection = self.lock();
        let failed = self.failed("read");
        let mut statement = connection
            .prepare_cached(
                "SELECT record, revision FROM jobs
                 WHERE revision > ?1 AND (?2 = 0 OR lease_owner IS NULL OR lease_owner != ?3)
                 ORDER BY created_at DESC, id",
            )
            .map_err(&failed)?;
        let since = i64::try_from(revision).unwrap_or(i64::MAX);
        let rows = statement
            .query_map(params![since, others_only, self.owner], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })
            .map_err(&failed)?;
        let mut changes = Changes {
            jobs: Vec::new(),
            revision,
        };
        for row in rows {
            let (record, row_revision) = row.map_err(&failed)?;
            changes.revision = changes
                .revision
                .max(u64::try_from(row_revision).unwrap_or(0));
            match serde_json::from_str(&record) {
                Ok(job) => changes.jobs.push(job),
                Err(e) => tracing::warn!("a job in the history could not be read: {e}"),
            }
        }
        Ok(changes)
    }

    /// Takes the job's lease for `duration` if it is free, ran out, belongs to a process that
    /// is gone, or is already this store's. Returns whether this store now drives the job.
    pub fn try_lease(&self, id: &str, duration: Duration) -> Result<bool, StoreError> {
        let mut connection = self.lock();
        let failed = self.failed("written");
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let lease: Option<(Option<String>, Option<i64>)> = tx
            .query_row(
                "SELECT lease_owner, lease_expires_ms FROM jobs WHERE id = ?1",
                [id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(&failed)?;
        let Some((owner, expires)) = lease else {
            return Ok(false);
        };
        if !self.lease_is_free(owner.as_deref(), expires) {
            return Ok(false);
        }
        let until =
            now_ms().saturating_add(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX));
        tx.execute(
            "UPDATE jobs SET lease_owner = ?2, lease_expires_ms = ?3 WHERE id = ?1",
            params![id, self.owner, until],
        )
        .map_err(&failed)?;
        tx.commit().map_err(&failed)?;
        Ok(true)
    }

    /// Whether a lease held by `owner` until `expires` may be taken by this store.
    fn lease_is_free(&self, owner: Option<&str>, expires: Option<i64>) -> bool {
        match owner {
            None => true,
            Some(owner) if owner == self.owner => true,
            Some(owner) => {
                expires.is_none_or(|e| e < now_ms()) || !owner::owner_alive(&self.dir, owner)
            }
        }
    }

    /// Extends this process's lease (the heartbeat). False when the lease is no longer ours.
    pub fn renew_lease(&self, id: &str, duration: Duration) -> Result<bool, StoreError> {
        let until =
            now_ms().saturating_add(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX));
        let changed = self
            .lock()
            .execute(
                "UPDATE jobs SET lease_expires_ms = ?3 WHERE id = ?1 AND lease_owner = ?2",
                params![id, self.owner, until],
            )
            .map_err(self.failed("written"))?;
        Ok(changed == 1)
    }

    /// Gives the job's lease up (the job settled, or this process stops driving it).
    pub fn release_lease(&self, id: &str) -> Result<(), StoreError> {
        self.lock()
            .execute(
                "UPDATE jobs SET lease_owner = NULL, lease_expires_ms = NULL
                 WHERE id = ?1 AND lease_owner = ?2",
                params![id, self.owner],
            )
            .map_err(self.failed("written"))?;
        Ok(())
    }

    /// Ids of jobs nobody drives now: no lease, one that ran out, or one whose process is gone.
    pub fn unleased(&self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare_cached("SELECT lease_owner, lease_expires_ms FROM jobs WHERE id = ?1")
            .map_err(self.failed("read"))?;
        let mut free = Vec::new();
        for id in ids {
            let lease: Option<(Option<String>, Option<i64>)> = statement
                .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
                .map_err(self.failed("read"))?;
            if let Some((owner, expires)) = lease
                && owner.as_deref() != Some(&self.owner)
                && self.lease_is_free(owner.as_deref(), expires)
            {
                free.push(id.clone());
            }
        }
        Ok(free)
    }

    /// Runs `call` on the database (for the tables other modules keep in it).
    pub(super) fn with_connection<T>(
        &self,
        call: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        call(&mut self.lock()).map_err(self.failed("used"))
    }
}

impl ImportTarget for JobStore {
    /// A value in the metadata table.
    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.lock()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
            .map_err(self.failed("read"))
    }

    /// Sets a value in the metadata table; returns false when it was already set (another
    /// process got there first).
    fn set_meta_once(&self, key: &str, value: &str) -> Result<bool, StoreError> {
        let changed = self
            .lock()
            .execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value],
            )
            .map_err(self.failed("written"))?;
        Ok(changed == 1)
    }

    fn insert_all(&self, jobs: &[JobRecord]) -> Result<(), StoreError> {
        JobStore::insert_all(self, jobs)
    }
}

impl Drop for JobStore {
    fn drop(&mut self) {
        if self.owner_lock.take().is_some() {
            let _ = std::fs::remove_file(owner::owner_file(&self.dir, &self.owner));
        }
    }
}

fn to_sql_error(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

/// The data directory, made (or made again) the user's alone: 0700, as browsers' profiles
/// and `~/.ssh` are, so the files inside are private whatever their own permissions.
fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir).map_err(|e| io("created", dir, e))?;
        if let Ok(metadata) = std::fs::metadata(dir)
            && metadata.permissions().mode() & 0o077 != 0
        {
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        Ok(())
    }
    #[cfg(not(unix))]
    builder.create(dir).map_err(|e| io("created", dir, e))
}

/// A history that could not be used as it is: a damaged one is salvaged into a new file, one
/// that is no database (or a newer version's) is set aside and a new one started.
fn replace_refused(
    path: &Path,
    refusal: Refusal,
) -> Result<(Connection, Option<StoreNotice>), StoreError> {
    let tag = match &refusal {
        Refusal::Newer(version) => format!("v{version}"),
        Refusal::Damaged(_) => "damaged".to_string(),
        _ => "unreadable".to_string(),
    };
    let kept_at = database::keep_aside(path, &tag)?;
    let notice = match refusal {
        Refusal::Newer(version) => StoreNotice::NewerVersion { kept_at, version },
        Refusal::Unreadable(reason) | Refusal::Damaged(reason) => {
            // Built beside, then renamed into place: a salvage cut short leaves no history
            // that looks whole and the damaged file is salvaged again next time.
            let building = path.with_file_name("jobs.db.salvaging");
            database::remove_with_sidecars(&building);
            match database::salvage(&kept_at, &building) {
                Ok(salvaged) if salvaged.recovered > 0 => {
                    std::fs::rename(&building, path).map_err(|e| io("written", path, e))?;
                    tracing::warn!("the history was damaged ({reason}): {salvaged:?}");
                    StoreNotice::Salvaged { kept_at, salvaged }
                }
                result => {
                    if let Err(e) = result {
                        tracing::warn!("nothing could be salvaged from the history: {e}");
                    }
                    database::remove_with_sidecars(&building);
                    StoreNotice::Unreadable { kept_at, reason }
                }
            }
        }
        Refusal::Failed(error) => return Err(error),
    };
    let connection = database::open_database(path).map_err(Refusal::into_error)?;
    Ok((connection, Some(notice)))
}
