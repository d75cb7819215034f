//! The prompt form's draft (text, images, choices), kept on disk so that a restart or a crash
//! loses nothing typed or attached. The window saves it shortly after each change; images are
//! referred to by their kept copies (see [`crate::attachments::Attachment::keep_in`]).

use std::path::{Path, PathBuf};

const FILE_NAME: &str = "draft.json";

/// What the prompt form holds: the spec of the job it would submit.
pub type Draft = crate::jobs::JobSpec;

/// Why the draft could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("The draft at {} could not be {action}: {source}", path.display())]
pub struct DraftError {
    /// "read" or "saved".
    pub action: &'static str,
    /// The file.
    pub path: PathBuf,
    /// The OS error.
    #[source]
    pub source: std::io::Error,
}

/// The draft file in `dir`.
pub fn draft_path(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// Reads the draft; a missing file is an empty draft, and an unreadable one is kept aside as
/// `draft.json.unreadable` (and reported) rather than overwritten.
pub fn load(dir: &Path) -> Result<Draft, DraftError> {
    let path = draft_path(dir);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Draft::default()),
        Err(source) => {
            return Err(DraftError {
                action: "read",
                path,
                source,
            });
        }
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        let aside = path.with_extension("json.unreadable");
        let _ = std::fs::rename(&path, &aside);
        DraftError {
            action: "read",
            path,
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        }
    })
}

/// Writes the draft atomically (a temporary file renamed over the old one).
pub fn save(dir: &Path, draft: &Draft) -> Result<(), DraftError> {
    let path = draft_path(dir);
    let fail = |source| DraftError {
        action: "saved",
        path: path.clone(),
        source,
    };
    let json = serde_json::to_vec_pretty(draft).map_err(|e| fail(e.into()))?;
    crate::atomic_file::write(&path, &json).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{DesignMode, OutputFormat};
    use crate::attachments::ImageRef;

    #[test]
    fn a_draft_round_trips_and_a_broken_one_is_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), Draft::default());
        let draft = Draft {
            prompt: "a 60 mm lens cap".into(),
            mode: DesignMode::Assembly,
            format: OutputFormat::Stl,
            images: vec![ImageRef {
                path: dir.path().join("a.png"),
                sha256: "00".into(),
                bytes: 10,
                mime: "image/png".into(),
                label: Some("front".into()),
            }],
            follow_up_of: Some("parent-job".into()),
        };
        save(dir.path(), &draft).unwrap();
        assert_eq!(load(dir.path()).unwrap(), draft);

        std::fs::write(draft_path(dir.path()), b"{ not json").unwrap();
        assert!(load(dir.path()).is_err());
        assert!(dir.path().join("draft.json.unreadable").exists());
        assert_eq!(load(dir.path()).unwrap(), Draft::default());
    }
}
