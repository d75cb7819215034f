//! Files written whole or not at all: the bytes go to a temporary file beside the target,
//! are flushed to the disk, and the temporary file is renamed over the target (atomic on one
//! file system), then the folder is flushed so the rename survives a power cut. A reader, a
//! second process, a kill -9 or a full disk never leaves a half-written file behind.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` (creating its folder), private to the user (0600 on Unix).
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace(path, false, |file| file.write_all(bytes))
}

/// Copies `from` to `to` (creating its folder) as an ordinary document (0644 on Unix).
pub fn copy(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut source = std::fs::File::open(from)?;
    replace(to, true, |file| std::io::copy(&mut source, file).map(drop))
}

fn replace(
    path: &Path,
    readable: bool,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = folder_of(path);
    std::fs::create_dir_all(&dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(&dir)?;
    // Temporary files are private (0600); a saved part is an ordinary document.
    #[cfg(unix)]
    if readable {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = readable;
    fill(temp.as_file_mut())?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    sync_folder(&dir);
    Ok(())
}

fn folder_of(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Flushes a folder's entries (the rename) on Unix; elsewhere the rename is what there is.
fn sync_folder(dir: &Path) {
    #[cfg(unix)]
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_whole_file_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("state.json");
        write(&path, b"first, and longer").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let copy_to = dir.path().join("copy.json");
        copy(&path, &copy_to).unwrap();
        assert_eq!(std::fs::read(&copy_to).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
    }
}
