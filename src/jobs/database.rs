//! The history's database file: opened and migrated one process at a time, checked for damage,
//! and, where damaged, salvaged row by row into a new file (the damaged one kept beside it), so
//! a few bad pages never lock the user out of the jobs that are still readable. Also the
//! read-only view `makistry jobs` falls back to where the data directory cannot be written.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::errors::{Salvaged, StoreError};

/// Version of the database schema this build reads and writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: u32 = 1;

pub(super) const FILE_NAME: &str = "jobs.db";
/// How long another process's transaction is waited for before a call fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Rows looked up one by one past the last readable one before salvage gives up looking.
const SALVAGE_MISSES: i64 = 4096;

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

/// Tables an older build ignores, so adding them needs no new schema version (which would make
/// that build set the whole history aside): created if missing at every open.
const SIDE_TABLES: &str = "
    CREATE TABLE IF NOT EXISTS request_log (
        id INTEGER PRIMARY KEY,
        key_hash TEXT NOT NULL,
        at_ms INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS request_log_by_key ON request_log (key_hash, at_ms);
    CREATE TABLE IF NOT EXISTS request_block (
        key_hash TEXT PRIMARY KEY NOT NULL,
        until_ms INTEGER NOT NULL
    );";

/// Why a database file was not used as it is.
pub(super) enum Refusal {
    /// It is not a database at all (or its first page is gone).
    Unreadable(String),
    /// It is a database, but some of its pages are damaged.
    Damaged(String),
    /// A newer version's schema.
    Newer(u32),
    /// Something else (permissions, a full disk): not the file's fault, so it is not moved.
    Failed(StoreError),
}

impl Refusal {
    pub(super) fn into_error(self) -> StoreError {
        match self {
            Self::Failed(error) => error,
            Self::Unreadable(reason) | Self::Damaged(reason) => StoreError::Io {
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

pub(super) fn io(action: &'static str, path: &Path, error: impl std::fmt::Display) -> StoreError {
    StoreError::Io {
        action,
        path: path.to_path_buf(),
        reason: error.to_string(),
    }
}

fn refusal(path: &Path, error: rusqlite::Error) -> Refusal {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    match error.sqlite_error_code() {
        Some(NotADatabase) => Refusal::Unreadable(error.to_string()),
        Some(DatabaseCorrupt) => Refusal::Damaged(error.to_string()),
        _ => Refusal::Failed(io("opened", path, error)),
    }
}

/// Held while a process opens, migrates, checks or salvages the history: SQLite's own locks
/// make a second process fail at once ("database is locked") in some of those steps instead
/// of waiting, so processes starting together go through one at a time.
pub(super) struct OpenLock(#[allow(dead_code)] std::fs::File);

impl OpenLock {
    pub(super) fn take(dir: &Path) -> Result<Self, StoreError> {
        let lock_path = dir.join("jobs.migrate.lock");
        std::fs::File::create(&lock_path)
            .and_then(|file| file.lock().map(|()| Self(file)))
            .map_err(|e| io("locked", &lock_path, e))
    }
}

/// Opens the database, sets it up for several processes, brings its schema up to date and
/// checks every page. Call with the [`OpenLock`] held.
pub(super) fn open_database(path: &Path) -> Result<Connection, Refusal> {
    create_private(path).map_err(|e| Refusal::Failed(io("created", path, e)))?;
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
    let version = schema_version(&connection).map_err(|e| refusal(path, e))?;
    if version > SCHEMA_VERSION {
        return Err(Refusal::Newer(version));
    }
    let migrations = rusqlite_migration::Migrations::new(
        MIGRATIONS
            .iter()
            .map(|sql| rusqlite_migration::M::up(sql))
            .collect(),
    );
    migrations.to_latest(&mut connection).map_err(|e| match e {
        rusqlite_migration::Error::RusqliteError { err, .. } => refusal(path, err),
        other => Refusal::Failed(io("set up", path, other)),
    })?;
    connection
        .execute_batch(SIDE_TABLES)
        .map_err(|e| refusal(path, e))?;
    super::search::prepare(&connection).map_err(|e| refusal(path, e))?;
    // A damaged file can open and migrate and still fail on a later read: every page is
    // looked at once here (a few ms for thousands of jobs).
    let verdict: String = connection
        .query_row("PRAGMA quick_check(1)", [], |row| row.get(0))
        .map_err(|e| refusal(path, e))?;
    if verdict != "ok" {
        return Err(Refusal::Damaged(verdict));
    }
    Ok(connection)
}

fn schema_version(connection: &Connection) -> rusqlite::Result<u32> {
    connection.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Creates the file (if missing) readable and writable by its user alone: SQLite gives the
/// `-wal` and `-shm` files the same permissions. A history of prompts is private work.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        // A history an older version made readable by others is made private too.
        if file.metadata()?.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    options.open(path).map(drop)
}

/// The history opened for reading only, for a listing where the data directory cannot be
/// written (nothing is migrated, leased or salvaged).
pub(super) fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let opened = Connection::open_with_flags(path, flags)
        .and_then(|c| schema_version(&c).map(|v| (c, v)))
        .or_else(|_| {
            // A WAL database whose `-shm` cannot be created in a read-only folder opens as
            // immutable: its last checkpoint, which a closed history holds whole.
            let uri = url::Url::from_file_path(path)
                .map(|u| format!("{u}?immutable=1"))
                .unwrap_or_default();
            let c = Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)?;
            schema_version(&c).map(|v| (c, v))
        });
    let (connection, version) = opened.map_err(|e| io("read", path, e))?;
    if version > SCHEMA_VERSION || version == 0 {
        return Err(io(
            "read",
            path,
            format!("it has the format {version}, this version reads {SCHEMA_VERSION}"),
        ));
    }
    Ok(connection)
}

/// Renames `path` (and its WAL and shared-memory files) to `<name>.<tag>-<timestamp>`.
pub(super) fn keep_aside(path: &Path, tag: &str) -> Result<PathBuf, StoreError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let name = file_name(path);
    let kept_at = path.with_file_name(format!("{name}.{tag}-{stamp}"));
    std::fs::rename(path, &kept_at).map_err(|e| io("moved aside", path, e))?;
    for suffix in ["-wal", "-shm"] {
        let side = path.with_file_name(format!("{name}{suffix}"));
        let _ = std::fs::rename(
            &side,
            kept_at.with_file_name(format!("{}{suffix}", file_name(&kept_at))),
        );
    }
    Ok(kept_at)
}

/// Removes a database file and its `-wal` and `-shm`.
pub(super) fn remove_with_sidecars(path: &Path) {
    let _ = std::fs::remove_file(path);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(path.with_file_name(format!("{}{suffix}", file_name(path))));
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// Copies every readable job of the damaged database at `damaged` into a new database at
/// `path` (which must not exist; closed, so whole, on return), as SQLite's own recovery does: row by row, so one bad page
/// costs only the rows on it. Leases are not copied: every job is free to be resumed.
pub(super) fn salvage(damaged: &Path, path: &Path) -> Result<Salvaged, StoreError> {
    let source = Connection::open_with_flags(damaged, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| io("read", damaged, e))?;
    let mut target = open_database(path).map_err(Refusal::into_error)?;
    let failed = |e: rusqlite::Error| io("written", path, e);
    let tx = target.transaction().map_err(failed)?;
    let mut salvaged = Salvaged {
        recovered: 0,
        unreadable: 0,
    };
    {
        let mut insert = tx
            .prepare(
                "INSERT OR IGNORE INTO jobs (id, created_at, revision, record)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(failed)?;
        let mut read = source
            .prepare("SELECT id, created_at, revision, record FROM jobs WHERE rowid = ?1")
            .map_err(|e| io("read", damaged, e))?;
        // The largest rowid, where that page can still be read; else look until a long run
        // of rows that are not there or cannot be read (so a damaged root ends the search).
        let last: i64 = source
            .query_row("SELECT max(rowid) FROM jobs", [], |row| row.get(0))
            .optional()
            .ok()
            .flatten()
            .flatten()
            .unwrap_or(0)
            // A damaged page can answer any number: no file holds more rows than 16-byte
            // cells, so no search goes on for ever.
            .min(
                i64::try_from(std::fs::metadata(damaged).map_or(0, |m| m.len()) / 16).unwrap_or(0),
            );
        let (mut rowid, mut last_found) = (1_i64, 0_i64);
        while rowid <= last || rowid - last_found <= SALVAGE_MISSES {
            let row = read.query_row([rowid], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, String>(3)?,
                ))
            });
            match row {
                Ok((id, created_at, revision, record)) if valid_record(&record) => {
                    insert
                        .execute(params![id, created_at, revision, record])
                        .map_err(failed)?;
                    salvaged.recovered += 1;
                    last_found = rowid;
                }
                Err(rusqlite::Error::QueryReturnedNoRows) => {}
                Ok(_) | Err(_) => salvaged.unreadable += 1,
            }
            rowid += 1;
        }
        copy_meta(&source, &tx);
    }
    tx.commit().map_err(failed)?;
    Ok(salvaged)
}

/// A record a damaged page left readable but garbled is not copied.
fn valid_record(record: &str) -> bool {
    serde_json::from_str::<super::JobRecord>(record).is_ok()
}

/// The metadata rows that can be read (which imports were done).
fn copy_meta(source: &Connection, target: &Connection) {
    let Ok(mut statement) = source.prepare("SELECT key, value FROM meta") else {
        return;
    };
    let Ok(rows) = statement.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
    }) else {
        return;
    };
    for (key, value) in rows.map_while(Result::ok) {
        let _ = target.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
            params![key, value],
        );
    }
}
