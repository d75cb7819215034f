//! Reference images, checked before they are accepted: by their bytes (PNG, JPEG, WebP or GIF,
//! whatever the name says), by decoding them, and by size (at most 10 MiB), so a file the API
//! would refuse never reaches it. Only checked attachments exist past this module. Checking
//! decodes the image: run it off the UI thread.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use image::{ImageFormat, ImageReader};
use sha2::{Digest, Sha256};

use crate::api::{ImageUpload, MAX_IMAGE_BYTES};
use serde::{Deserialize, Serialize};

/// An attached image as the history and the draft keep it (the bytes stay in the kept copy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRef {
    /// Where the image was read from.
    pub path: PathBuf,
    /// SHA-256 of its bytes, hex: tells whether the file changed before a re-submission.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// MIME type judged from the bytes.
    pub mime: String,
    /// Which view the image shows ("front", "right side"), told to the API in the prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A checked image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Where it was read from (empty for pasted images).
    pub path: PathBuf,
    /// Name sent to the API.
    pub file_name: String,
    /// MIME type judged from the bytes.
    pub mime: &'static str,
    /// The file.
    pub bytes: Bytes,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Pixel size of the (first) frame.
    pub width: u32,
    /// Pixel size of the (first) frame.
    pub height: u32,
}

/// Why an image was not accepted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AttachmentError {
    /// The file could not be read.
    #[error("{name} could not be read: {reason}")]
    Unreadable {
        /// The file's name.
        name: String,
        /// The OS error.
        reason: String,
    },
    /// Over 10 MiB.
    #[error("{name} is {mib:.1} MiB; images must be at most 10 MiB")]
    TooLarge {
        /// The file's name.
        name: String,
        /// Its size in MiB.
        mib: f64,
    },
    /// Not PNG, JPEG, WebP or GIF by its bytes.
    #[error("{name} is not a PNG, JPEG, WebP or GIF image")]
    NotAnImage {
        /// The file's name.
        name: String,
    },
    /// The right kind of file, but broken.
    #[error("{name} could not be decoded: {reason}")]
    Undecodable {
        /// The file's name.
        name: String,
        /// The decoder's words.
        reason: String,
    },
}

impl AttachmentError {
    /// What to do next.
    pub fn action(&self) -> &'static str {
        match self {
            Self::Unreadable { .. } => "Check the file exists and you can read it.",
            Self::TooLarge { .. } => "Shrink or crop the image, or save it as JPEG.",
            Self::NotAnImage { .. } | Self::Undecodable { .. } => {
                "Save or export it as PNG (drawings) or JPEG (photos)."
            }
        }
    }
}

fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| "image".to_string(), |n| n.to_string_lossy().into_owned())
}

/// Checks an image given as bytes (a dropped file, a pasted image).
pub fn check(
    path: PathBuf,
    file_name: String,
    bytes: Bytes,
) -> Result<Attachment, AttachmentError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(AttachmentError::TooLarge {
            name: file_name,
            mib: bytes.len() as f64 / (1024.0 * 1024.0),
        });
    }
    let (format, mime) = match image::guess_format(&bytes) {
        Ok(ImageFormat::Png) => (ImageFormat::Png, "image/png"),
        Ok(ImageFormat::Jpeg) => (ImageFormat::Jpeg, "image/jpeg"),
        Ok(ImageFormat::WebP) => (ImageFormat::WebP, "image/webp"),
        Ok(ImageFormat::Gif) => (ImageFormat::Gif, "image/gif"),
        _ => return Err(AttachmentError::NotAnImage { name: file_name }),
    };
    let mut reader = ImageReader::new(Cursor::new(&bytes[..]));
    reader.set_format(format);
    let decoded = reader.decode().map_err(|e| AttachmentError::Undecodable {
        name: file_name.clone(),
        reason: e.to_string(),
    })?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    Ok(Attachment {
        path,
        file_name,
        mime,
        sha256,
        width: decoded.width(),
        height: decoded.height(),
        bytes,
    })
}

/// Reads and checks an image file.
pub fn load(path: &Path) -> Result<Attachment, AttachmentError> {
    let name = file_name_of(path);
    let metadata = std::fs::metadata(path).map_err(|e| AttachmentError::Unreadable {
        name: name.clone(),
        reason: e.to_string(),
    })?;
    // Refuse a huge file before reading it all.
    if metadata.len() > MAX_IMAGE_BYTES as u64 {
        return Err(AttachmentError::TooLarge {
            name,
            mib: metadata.len() as f64 / (1024.0 * 1024.0),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| AttachmentError::Unreadable {
        name: name.clone(),
        reason: e.to_string(),
    })?;
    check(path.to_path_buf(), name, Bytes::from(bytes))
}

impl Attachment {
    /// The part to send.
    pub fn upload(&self) -> ImageUpload {
        ImageUpload {
            file_name: self.file_name.clone(),
            mime: self.mime,
            bytes: self.bytes.clone(),
        }
    }

    /// What the job history keeps.
    pub fn image_ref(&self) -> ImageRef {
        ImageRef {
            path: self.path.clone(),
            sha256: self.sha256.clone(),
            bytes: self.bytes.len() as u64,
            mime: self.mime.to_string(),
            label: None,
        }
    }

    /// A copy of the image in `dir` (named by its SHA-256, so the same image is kept once),
    /// returned with its path there. The app keeps every attached image this way: a draft or
    /// a job can be re-sent after the original file moved, and pasted images have no file.
    pub fn keep_in(&self, dir: &Path) -> std::io::Result<Attachment> {
        let extension = match self.mime {
            "image/png" => "png",
            "image/jpeg" => "jpg",
            "image/webp" => "webp",
            _ => "gif",
        };
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{}.{extension}", self.sha256));
        if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(self.bytes.len() as u64) {
            crate::atomic_file::write(&path, &self.bytes)?;
        }
        Ok(Attachment {
            path,
            ..self.clone()
        })
    }

    /// The (first) frame scaled to fit `max_side` pixels, as RGBA8 rows, for a thumbnail.
    pub fn thumbnail(&self, max_side: u32) -> Option<(u32, u32, Vec<u8>)> {
        let image = image::load_from_memory(&self.bytes).ok()?;
        let small = image.thumbnail(max_side, max_side).to_rgba8();
        Some((small.width(), small.height(), small.into_raw()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::new_rgb8(8, 6)
            .write_to(&mut out, ImageFormat::Png)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn images_are_judged_by_their_bytes() {
        let ok = check(PathBuf::new(), "drawing.jpg".into(), Bytes::from(png())).unwrap();
        assert_eq!((ok.mime, ok.width, ok.height), ("image/png", 8, 6));
        let text = check(
            PathBuf::new(),
            "notes.png".into(),
            Bytes::from_static(b"hello"),
        );
        assert!(matches!(text, Err(AttachmentError::NotAnImage { .. })));
        let mut cut = png();
        cut.truncate(cut.len() / 2);
        assert!(matches!(
            check(PathBuf::new(), "cut.png".into(), Bytes::from(cut)),
            Err(AttachmentError::Undecodable { .. })
        ));
        let mut big = png();
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert!(matches!(
            check(PathBuf::new(), "big.png".into(), Bytes::from(big)),
            Err(AttachmentError::TooLarge { .. })
        ));
    }
}
