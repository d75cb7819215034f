//! Reference images, checked before they are accepted: by their bytes (PNG, JPEG, WebP or GIF,
//! whatever the name says), by decoding them, and by size (at most 10 MiB), so a file the API
//! would refuse never reaches it. Only checked attachments exist past this module. Checking
//! decodes the image: run it off the UI thread.

use std::io::{Cursor, Read};
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
    #[error("{name} is {}; images must be at most {}", size_words(*bytes), size_words(MAX_IMAGE_BYTES as u64))]
    TooLarge {
        /// The file's name.
        name: String,
        /// Its size in bytes (at least; a file that grows while read is over the limit).
        bytes: u64,
    },
    /// A folder, a device, a pipe or a socket: only regular files are read, so a check
    /// never reads for ever (`/dev/zero`) nor waits for a writer that never comes (a FIFO).
    #[error("{name} is {kind}, not an image file")]
    NotAFile {
        /// The file's name.
        name: String,
        /// "a folder", "a device", "a pipe", "a socket".
        kind: &'static str,
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
            Self::NotAFile { .. } => "Choose a PNG, JPEG, WebP or GIF file.",
            Self::TooLarge { .. } => "Shrink or crop the image, or save it as JPEG.",
            Self::NotAnImage { .. } | Self::Undecodable { .. } => {
                "Save or export it as PNG (drawings) or JPEG (photos)."
            }
        }
    }
}

/// A size as a person reads it: MiB with one decimal, or the exact bytes where that rounding
/// would hide the difference from the 10 MiB limit ("10.0 MiB" for 10,485,761 bytes).
fn size_words(bytes: u64) -> String {
    let limit = MAX_IMAGE_BYTES as u64;
    let mib = bytes as f64 / (1024.0 * 1024.0);
    if bytes.is_multiple_of(1024 * 1024) {
        format!("{mib:.0} MiB")
    } else if bytes.abs_diff(limit) < 100 * 1024 {
        format!(
            "{} bytes",
            crate::format::count(usize::try_from(bytes).unwrap_or(usize::MAX))
        )
    } else {
        format!("{mib:.1} MiB")
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
            bytes: bytes.len() as u64,
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

/// Reads and checks an image file. Only a regular file is read, and never more than the
/// limit plus one byte, so no path makes the check read for ever or wait for ever.
pub fn load(path: &Path) -> Result<Attachment, AttachmentError> {
    let name = file_name_of(path);
    let unreadable = |e: std::io::Error| AttachmentError::Unreadable {
        name: name.clone(),
        reason: e.to_string(),
    };
    // The kind is judged on the path first (stat never blocks), then again on what was
    // opened, in case the path changed in between.
    not_a_regular_file(&std::fs::metadata(path).map_err(unreadable)?, &name)?;
    let file = open_without_waiting(path).map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    not_a_regular_file(&metadata, &name)?;
    // Refuse a huge file before reading it all.
    let limit = MAX_IMAGE_BYTES as u64;
    if metadata.len() > limit {
        return Err(AttachmentError::TooLarge {
            name,
            bytes: metadata.len(),
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    check(path.to_path_buf(), name, Bytes::from(bytes))
}

/// Refuses anything but a regular file, naming what it is.
fn not_a_regular_file(metadata: &std::fs::Metadata, name: &str) -> Result<(), AttachmentError> {
    let file_type = metadata.file_type();
    if file_type.is_file() {
        return Ok(());
    }
    let kind = if file_type.is_dir() {
        "a folder"
    } else {
        special_kind(&file_type)
    };
    Err(AttachmentError::NotAFile {
        name: name.to_string(),
        kind,
    })
}

#[cfg(unix)]
fn special_kind(file_type: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "a pipe"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_block_device() || file_type.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a device or special file"
}

/// Opens for reading without waiting: on Unix a FIFO would block `open` until a writer came.
fn open_without_waiting(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
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
        let refused = check(PathBuf::new(), "big.png".into(), Bytes::from(big)).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "big.png is 10,485,761 bytes; images must be at most 10 MiB"
        );
    }

    #[test]
    fn sizes_say_the_bytes_where_rounding_hides_the_difference() {
        assert_eq!(size_words(10 * 1024 * 1024), "10 MiB");
        assert_eq!(size_words(10 * 1024 * 1024 + 1), "10,485,761 bytes");
        assert_eq!(size_words(12_800_000), "12.2 MiB");
        assert_eq!(size_words(1_500_000), "1.4 MiB");
    }

    #[cfg(unix)]
    #[test]
    fn devices_pipes_and_folders_are_refused_without_reading_them() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.png");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let kind = |path: &Path| match load(path) {
            Err(AttachmentError::NotAFile { kind, .. }) => kind,
            other => panic!("{}: {other:?}", path.display()),
        };
        assert_eq!(kind(&fifo), "a pipe");
        assert_eq!(kind(Path::new("/dev/zero")), "a device");
        assert_eq!(kind(dir.path()), "a folder");
    }
}
