//! A download in progress, under a temporary name beside its destination: renamed into place
//! when whole, removed if dropped before (a cut connection, a file that is not whole).

use std::path::{Path, PathBuf};

/// A download in progress: removed when dropped unless persisted.
pub(super) struct PartialFile {
    /// Where the bytes go until the file is whole.
    pub(super) path: PathBuf,
    destination: PathBuf,
    persisted: bool,
}

impl PartialFile {
    /// A temporary name beside `destination`, in `directory`.
    pub(super) fn new(directory: &Path, destination: &Path) -> Self {
        let name = destination
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let path = directory.join(format!(".{name}.{}.part", uuid::Uuid::new_v4().simple()));
        Self {
            path,
            destination: destination.to_path_buf(),
            persisted: false,
        }
    }

    /// Renames it into place.
    pub(super) async fn persist(mut self) -> std::io::Result<()> {
        tokio::fs::rename(&self.path, &self.destination).await?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
