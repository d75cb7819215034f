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

use super::record::JobRecord;
use super::{lease, legacy};

/// Version of the database schema this build reads and writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: u32 = 1;
/// Environment variable that overrides the data directory.
pub const DATA_DIR_VAR: &str = "MAKISTRY_DATA_DIR";
const FILE_NAME: &str = "jobs.db";
/// How long another process's transaction is waited for before a call fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Each migration, in order; the schema version is their count.
const MIGRATIONS: &[&str] = &["CREATE TABLE jobs (
        id TEXT PRIMARY KEY NOT NULL,
        created_at TEXT NOT NULL,
        revision INTEGER NOT NULL,
        record TEXT NOT NULL,
        lease_owner TEXT,
        lease_expires_ms INTEGER
    );
    CREATE INDEX jobs_by_created_at ON jobs (created_at);
    CREATE INDEX jobs_by_revision ON jobs (revision);
    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);"];

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
    /// A newer version of the app wrote the history; it was moved to `kept_at`.
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
    /// Opens (or starts) the history in `dir`.
    pub fn open(dir: &Path) -> Result<(Self, Option<StoreNotice>), StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| io("created", dir, e))?;
        let path = dir.join(FILE_NAME);
        let (connection, notice) = match open_database(&path) {
            Ok(connection) => (connection, None),
            Err(Refusal::Failed(error)) => return Err(error),
            Err(refusal) => {
                let tag = match &refusal {
                    Refusal::Newer(version) => format!("v{version}"),
                    _ => "unreadable".to_string(),
                };
                let kept_at = keep_aside(&path, &tag)?;
                let notice = match refusal {
                    Refusal::Newer(version) => StoreNotice::NewerVersion { kept_at, version },
                    Refusal::Unreadable(reason) => StoreNotice::Unreadable { kept_at, reason },
                    Refusal::Failed(error) => return Err(error),
                };
                let connection = open_database(&path).map_err(Refusal::into_error)?;
                (connection, Some(notice))
            }
        };
        let owner = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let store = Self {
            dir: dir.to_path_buf(),
            connection: Mutex::new(connection),
            owner_lock: lease::lock_owner_file(dir, &owner),
            owner,
        };
        let legacy_notice = legacy::import_once(&store, dir)?;
        Ok((store, notice.or(legacy_notice)))
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
                expires.is_none_or(|e| e < now_ms()) || !lease::owner_alive(&self.dir, owner)
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

    /// A value in the metadata table.
    pub(super) fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.lock()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
            .map_err(self.failed("read"))
    }

    /// Sets a value in the metadata table; returns false when it was already set (another
    /// process got there first).
    pub(super) fn set_meta_once(&self, key: &str, value: &str) -> Result<bool, StoreError> {
        let changed = self
            .lock()
            .execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value],
            )
            .map_err(self.failed("written"))?;
        Ok(changed == 1)
    }
}

impl Drop for JobStore {
    fn drop(&mut self) {
        if self.owner_lock.take().is_some() {
            let _ = std::fs::remove_file(lease::owner_file(&self.dir, &self.owner));
        }
    }
}

fn to_sql_error(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

fn io(action: &'static str, path: &Path, error: impl std::fmt::Display) -> StoreError {
    StoreError::Io {
        action,
        path: path.to_path_buf(),
        reason: error.to_string(),
    }
}

/// Why a database file was not used.
enum Refusal {
    /// It is not a database, or it is damaged.
    Unreadable(String),
    /// A newer version's schema.
    Newer(u32),
    /// Something else (permissions, a full disk): not the file's fault, so it is not moved.
    Failed(StoreError),
}

impl Refusal {
    fn into_error(self) -> StoreError {
        match self {
            Self::Failed(error) => error,
            Self::Unreadable(reason) => StoreError::Io {
                action: "read",
                path: PathBuf::from(FILE_NAME),
                reason,
            },
            Self::Newer(version) => StoreError::Io {
                action: "read",
                path: PathBuf::from(FILE_NAME),
                reason: format!("it has the newer format {version}"),
            },
        }
    }
}

fn refusal(path: &Path, error: rusqlite::Error) -> Refusal {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    match error.sqlite_error_code() {
        Some(NotADatabase | DatabaseCorrupt) => Refusal::Unreadable(error.to_string()),
        _ => Refusal::Failed(io("opened", path, error)),
    }
}

/// Opens the database, sets it up for several processes, and brings its schema up to date.
fn open_database(path: &Path) -> Result<Connection, Refusal> {
    let mut connection = Connection::open(path).map_err(|e| refusal(path, e))?;
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| refusal(path, e))?;
    // WAL: readers never block the writer; FULL: a commit is on disk when it returns.
    connection
        .pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| refusal(path, e))?;
    connection
        .pragma_update(None, "synchronous", "FULL")
        .map_err(|e| refusal(path, e))?;
    // rusqlite_migration reads the schema version outside its transaction, so two processes
    // starting at once could both migrate: a file lock lets one at a time through.
    let lock_path = path.with_file_name("jobs.migrate.lock");
    let lock = std::fs::File::create(&lock_path)
        .and_then(|file| file.lock().map(|()| file))
        .map_err(|e| Refusal::Failed(io("locked", &lock_path, e)))?;
    let migrations = rusqlite_migration::Migrations::new(
        MIGRATIONS
            .iter()
            .map(|sql| rusqlite_migration::M::up(sql))
            .collect(),
    );
    let version: u32 = connection
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| refusal(path, e))?;
    if version > SCHEMA_VERSION {
        return Err(Refusal::Newer(version));
    }
    migrations.to_latest(&mut connection).map_err(|e| match e {
        rusqlite_migration::Error::RusqliteError { err, .. } => refusal(path, err),
        other => Refusal::Failed(io("set up", path, other)),
    })?;
    drop(lock);
    // A damaged file can open and migrate and still fail on its first real read.
    connection
        .query_row("SELECT count(*) FROM jobs", [], |row| row.get::<_, i64>(0))
        .map_err(|e| refusal(path, e))?;
    Ok(connection)
}

/// Renames `path` (and its WAL and shared-memory files) to `<name>.<tag>-<timestamp>`.
fn keep_aside(path: &Path, tag: &str) -> Result<PathBuf, StoreError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let kept_at = path.with_file_name(format!("{name}.{tag}-{stamp}"));
    std::fs::rename(path, &kept_at).map_err(|e| io("moved aside", path, e))?;
    for suffix in ["-wal", "-shm"] {
        let side = path.with_file_name(format!("{name}{suffix}"));
        let _ = std::fs::rename(
            &side,
            kept_at.with_file_name(format!(
                "{}{suffix}",
                kept_at
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            )),
        );
    }
    Ok(kept_at)
}
