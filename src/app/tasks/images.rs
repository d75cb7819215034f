//! Reference images and the draft: files and pastes checked and kept, thumbnails, a job's
//! images checked again for Edit and re-run, the draft read and written.

use super::*;
use crate::attachments::{self, Attachment};
use crate::clipboard::{ClipboardError, Pasted};
use crate::draft::{self, Draft};
use crate::jobs::ImageRef;
use std::path::{Path, PathBuf};

/// Thumbnails are at most this many pixels on a side.
pub(super) const THUMBNAIL_SIDE: u32 = 112;

/// A checked image, ready for the form.
pub struct AttachedImage {
    /// What the draft keeps.
    pub image: ImageRef,
    /// Its thumbnail.
    pub thumbnail: Option<egui::ColorImage>,
}

pub(super) fn thumbnail_of(attachment: &Attachment) -> Option<egui::ColorImage> {
    let (w, h, rgba) = attachment.thumbnail(THUMBNAIL_SIDE)?;
    Some(egui::ColorImage::from_rgba_unmultiplied(
        [w as usize, h as usize],
        &rgba,
    ))
}

/// Why an image was not attached (the form says it in words: `Composer`'s messages).
#[derive(Debug, Clone, PartialEq)]
pub enum AttachProblem {
    /// The file itself was refused: not an image, too large, unreadable.
    Refused(attachments::AttachmentError),
    /// The image could not be copied into the app's folder (the disk).
    NotKept {
        /// The image's name.
        name: String,
        /// The OS's words.
        reason: String,
    },
    /// A job's image is not the one the job was made with any more.
    Changed(PathBuf),
    /// Paste found neither an image nor files.
    NothingToPaste,
    /// The clipboard could not be read at all.
    ClipboardUnavailable,
}

/// What of the stored draft could not be restored (the form says it: `Composer`).
#[derive(Debug)]
pub enum DraftProblem {
    /// The draft file could not be read; it was kept beside a fresh one.
    Unreadable(draft::DraftError),
    /// An image of the draft can no longer be read (or is not the one attached).
    ImageGone(PathBuf),
}

/// Reads the draft, and checks its images again (they are the app's kept copies).
pub async fn load_draft(dir: PathBuf, report: Reporter) {
    let loaded = blocking(move || {
        let mut problems = Vec::new();
        let mut draft = draft::load(&dir).unwrap_or_else(|e| {
            problems.push(DraftProblem::Unreadable(e));
            Draft::default()
        });
        let mut thumbnails = Vec::new();
        draft
            .images
            .retain(|image| match attachments::load(&image.path) {
                Ok(attachment) if attachment.sha256 == image.sha256 => {
                    if let Some(thumbnail) = thumbnail_of(&attachment) {
                        thumbnails.push((image.sha256.clone(), thumbnail));
                    }
                    true
                }
                Ok(_) | Err(_) => {
                    problems.push(DraftProblem::ImageGone(image.path.clone()));
                    false
                }
            });
        (draft, thumbnails, problems)
    })
    .await;
    if let Some((draft, thumbnails, problems)) = loaded {
        report.send(Event::Composer(ComposerEvent::DraftLoaded {
            draft,
            thumbnails,
            problems,
        }));
    }
}

/// Writes the draft; reports only a failure.
pub async fn save_draft(dir: PathBuf, draft: Draft, report: Reporter) {
    if let Some(Err(e)) = blocking(move || draft::save(&dir, &draft)).await {
        report.send(Event::Notice(Notice::DraftNotSaved(e)));
    }
}

/// Checks images (dropped, picked) one by one, keeping accepted ones in `images_dir`.
pub async fn attach_files(paths: Vec<PathBuf>, images_dir: PathBuf, batch: u64, report: Reporter) {
    for path in paths {
        let dir = images_dir.clone();
        let checked = blocking(move || {
            let attachment = attachments::load(&path).map_err(AttachProblem::Refused)?;
            keep(&attachment, &dir)
        })
        .await;
        if let Some(result) = checked {
            report.send(Event::Composer(ComposerEvent::Attached { batch, result }));
        }
    }
}

/// Attaches what is on the clipboard, held to the same rules as a dropped file: an image is
/// checked on the bytes that will be sent (the clipboard's own PNG, JPEG, WebP or GIF where it
/// has one); copied files go where dropped files go ([`ComposerEvent::PastedFiles`]).
pub async fn attach_clipboard(images_dir: PathBuf, batch: u64, report: Reporter) {
    let checked = blocking(move || {
        let (name, bytes) = match crate::clipboard::read() {
            Ok(Pasted::Encoded { bytes, mime }) => {
                let extension = mime.trim_start_matches("image/").replace("jpeg", "jpg");
                (format!("pasted.{extension}"), bytes)
            }
            Ok(Pasted::Pixels { png }) => ("pasted.png".to_string(), png),
            Ok(Pasted::Files(files)) => return Ok(Err(files)),
            Err(ClipboardError::NoImage) => return Err(AttachProblem::NothingToPaste),
            Err(e @ ClipboardError::Unavailable(_)) => {
                tracing::warn!("{e}");
                return Err(AttachProblem::ClipboardUnavailable);
            }
        };
        let attachment =
            attachments::check(PathBuf::new(), name, bytes).map_err(AttachProblem::Refused)?;
        keep(&attachment, &images_dir).map(Ok)
    })
    .await;
    match checked {
        Some(Ok(Err(paths))) => {
            report.send(Event::Composer(ComposerEvent::PastedFiles { batch, paths }))
        }
        Some(Ok(Ok(image))) => report.send(Event::Composer(ComposerEvent::Attached {
            batch,
            result: Ok(image),
        })),
        Some(Err(problem)) => report.send(Event::Composer(ComposerEvent::Attached {
            batch,
            result: Err(problem),
        })),
        None => {}
    }
}

pub(super) fn keep(attachment: &Attachment, dir: &Path) -> Result<AttachedImage, AttachProblem> {
    let kept = attachment
        .keep_in(dir)
        .map_err(|e| AttachProblem::NotKept {
            name: attachment.file_name.clone(),
            reason: e.to_string(),
        })?;
    Ok(AttachedImage {
        image: kept.image_ref(),
        thumbnail: thumbnail_of(&kept),
    })
}

/// Thumbnails of the history's images (their kept copies), for the job cards. An image that
/// cannot be read any more is left out: its card counts it instead.
pub async fn load_thumbnails(images: Vec<ImageRef>, report: Reporter) {
    let thumbnails = blocking(move || {
        images
            .iter()
            .filter_map(|image| {
                let attachment = attachments::load(&image.path).ok()?;
                Some((image.sha256.clone(), thumbnail_of(&attachment)?))
            })
            .collect::<Vec<_>>()
    })
    .await;
    if let Some(thumbnails) = thumbnails {
        report.send(Event::Thumbnails(thumbnails));
    }
}

/// Re-checks a job's images for "Edit and re-run".
pub async fn reload_images(images: Vec<ImageRef>, batch: u64, report: Reporter) {
    for image in images {
        let checked = blocking(move || {
            let attachment = attachments::load(&image.path).map_err(AttachProblem::Refused)?;
            if attachment.sha256 != image.sha256 {
                return Err(AttachProblem::Changed(image.path.clone()));
            }
            Ok(AttachedImage {
                thumbnail: thumbnail_of(&attachment),
                image: ImageRef {
                    label: image.label.clone(),
                    ..attachment.image_ref()
                },
            })
        })
        .await;
        if let Some(result) = checked {
            report.send(Event::Composer(ComposerEvent::Attached { batch, result }));
        }
    }
}
