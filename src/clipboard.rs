//! What Paste finds on the system clipboard: the image file the copying app offered, in its
//! own encoding (so the 10 MiB limit and the format are judged on the bytes that will be
//! sent, and a 16-bit PNG stays 16-bit), files copied in a file manager, or, where the
//! clipboard only gives pixels, those pixels as a lossless PNG.
//!
//! On X11 (and XWayland) the encoded formats are asked for by name with `x11-clipboard`;
//! elsewhere, and when that fails, arboard's file list and pixels are used. Reading may wait
//! on another app: call it off the UI thread.

use std::path::PathBuf;

use bytes::Bytes;

/// Image types the API takes, in the order they are asked for.
pub const ENCODED_IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/webp", "image/gif"];

/// What the clipboard held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pasted {
    /// An image file as the copying app encoded it.
    Encoded {
        /// The file's bytes, unchanged.
        bytes: Bytes,
        /// The type the clipboard named (the bytes are judged again when checked).
        mime: &'static str,
    },
    /// Only pixels were offered: they were written as a PNG, losslessly.
    Pixels {
        /// The PNG.
        png: Bytes,
    },
    /// Files copied in a file manager.
    Files(Vec<PathBuf>),
}

/// Why nothing could be pasted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClipboardError {
    /// The clipboard itself could not be reached.
    #[error("the clipboard could not be read ({0})")]
    Unavailable(String),
    /// It holds no image and no file (text, or nothing).
    #[error("there is no image or file on the clipboard")]
    NoImage,
}

/// Reads what Paste should attach.
pub fn read() -> Result<Pasted, ClipboardError> {
    #[cfg(all(unix, not(target_os = "macos")))]
    if std::env::var_os("DISPLAY").is_some() {
        match x11::read() {
            Ok(Some(pasted)) => return Ok(pasted),
            Ok(None) => return Err(ClipboardError::NoImage),
            // Fall back to arboard, which may still manage (e.g. over Wayland).
            Err(e) => tracing::warn!("X11 clipboard: {e}"),
        }
    }
    read_with_arboard()
}

fn read_with_arboard() -> Result<Pasted, ClipboardError> {
    let mut clipboard =
        arboard::Clipboard::new().map_err(|e| ClipboardError::Unavailable(e.to_string()))?;
    if let Ok(files) = clipboard.get().file_list()
        && !files.is_empty()
    {
        return Ok(Pasted::Files(files));
    }
    let image = clipboard.get_image().map_err(|_| ClipboardError::NoImage)?;
    let png = lossless_png(image.width as u32, image.height as u32, &image.bytes)
        .ok_or(ClipboardError::NoImage)?;
    Ok(Pasted::Pixels { png })
}

/// RGBA8 pixels as a PNG (no loss: PNG keeps every 8-bit value).
fn lossless_png(width: u32, height: u32, rgba: &[u8]) -> Option<Bytes> {
    let buffer = image::RgbaImage::from_raw(width, height, rgba.to_vec())?;
    let mut out = std::io::Cursor::new(Vec::new());
    buffer.write_to(&mut out, image::ImageFormat::Png).ok()?;
    Some(Bytes::from(out.into_inner()))
}

/// The local files named by a `text/uri-list` (RFC 2483): `file:` URIs, one per line,
/// comments (`#`) skipped; anything else (web links) ignored.
pub fn files_of_uri_list(list: &str) -> Vec<PathBuf> {
    list.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| url::Url::parse(line).ok())
        .filter(|url| url.scheme() == "file")
        .filter_map(|url| url.to_file_path().ok())
        .collect()
}

#[cfg(all(unix, not(target_os = "macos")))]
mod x11 {
    use std::time::Duration;

    use bytes::Bytes;
    use x11_clipboard::Clipboard;
    use x11_clipboard::error::Error;

    use super::{ENCODED_IMAGE_TYPES, Pasted, files_of_uri_list};

    /// How long the app that owns the clipboard may take to answer one request. A 10 MiB
    /// image arrives in 4 kB steps (INCR), so this is generous.
    const ANSWER_TIME: Duration = Duration::from_secs(10);

    /// The first encoded image type the owner gives, else its copied files, else pixels in
    /// some other image type (BMP, TIFF…) through arboard. `None`: no image and no file.
    pub fn read() -> Result<Option<Pasted>, Error> {
        let clipboard = Clipboard::new()?;
        let atoms = &clipboard.getter.atoms;
        let load = |target: &str| -> Result<Vec<u8>, Error> {
            let target = clipboard.getter.get_atom(target)?;
            match clipboard.load(atoms.clipboard, target, atoms.property, ANSWER_TIME) {
                // An owner that cannot give this type answers "none": an empty result. Some
                // (xclip) answer every request with their one type: that is not this one.
                Err(Error::UnexpectedType(_)) => Ok(Vec::new()),
                other => other,
            }
        };
        for mime in ENCODED_IMAGE_TYPES {
            let bytes = load(mime)?;
            if !bytes.is_empty() {
                return Ok(Some(Pasted::Encoded {
                    bytes: Bytes::from(bytes),
                    mime,
                }));
            }
        }
        let list = load("text/uri-list")?;
        let files = files_of_uri_list(&String::from_utf8_lossy(&list));
        if !files.is_empty() {
            return Ok(Some(Pasted::Files(files)));
        }
        // Another image type: arboard decodes what it knows.
        Ok(super::read_with_arboard().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uri_list_names_local_files_only() {
        let list = "# copied by a file manager\r\nfile:///home/ana/My%20drawing.png\r\n\
                    https://example.com/a.png\r\nfile:///tmp/b.jpg\r\n";
        assert_eq!(
            files_of_uri_list(list),
            vec![
                PathBuf::from("/home/ana/My drawing.png"),
                PathBuf::from("/tmp/b.jpg")
            ]
        );
        assert!(files_of_uri_list("just some text").is_empty());
    }

    #[test]
    fn pixels_become_a_png_with_the_same_pixels() {
        let rgba: Vec<u8> = (0..4 * 3 * 2).map(|i| (i * 11) as u8).collect();
        let png = lossless_png(3, 2, &rgba).unwrap();
        let back = image::load_from_memory(&png).unwrap().to_rgba8();
        assert_eq!(back.into_raw(), rgba);
    }
}
