//! Each process's owner file (`owners/<id>.lock`), locked for as long as the process lives:
//! the OS lets go of the lock when it dies, however it dies, which is how other processes know
//! a lease's owner is gone without waiting for the lease to run out.

use std::path::{Path, PathBuf};

pub(super) fn owner_file(dir: &Path, owner: &str) -> PathBuf {
    dir.join("owners").join(format!("{owner}.lock"))
}

/// Creates and locks this store's owner file. Without one (a read-only folder), leases still
/// work: they just wait for the lease to run out when this process dies.
pub(super) fn lock_owner_file(dir: &Path, owner: &str) -> Option<std::fs::File> {
    sweep_dead_owners(dir);
    let path = owner_file(dir, owner);
    // Locked under a temporary name, then renamed into place: no other process ever sees the
    // file unlocked (and takes it for a dead owner's).
    let unready = path.with_extension("lock.new");
    let file = std::fs::create_dir_all(dir.join("owners"))
        .and_then(|()| std::fs::File::create(&unready))
        .and_then(|file| {
            file.try_lock()
                .map(|()| file)
                .map_err(std::io::Error::other)
        })
        .and_then(|file| std::fs::rename(&unready, &path).map(|()| file));
    file.map_err(|e| tracing::warn!("no owner lock at {}: {e}", path.display()))
        .ok()
}

/// Whether the process that owns `owner`'s lock file is alive: its lock is held. A missing
/// file, or one that can be locked, means it is gone (its file is then removed).
pub(super) fn owner_alive(dir: &Path, owner: &str) -> bool {
    let path = owner_file(dir, owner);
    let Ok(file) = std::fs::File::open(&path) else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = std::fs::remove_file(&path);
            false
        }
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => false,
    }
}

/// Removes the owner files of processes that died without cleaning up (a crash, kill -9), so
/// the folder does not grow: a file whose lock can be taken belongs to nobody.
fn sweep_dead_owners(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir.join("owners")) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(owner) = name.strip_suffix(".lock") {
            owner_alive(dir, owner);
        }
    }
}
