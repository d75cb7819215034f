//! Whether a downloaded file is whole, judged by its format's own structure: a link can serve
//! half a file as if it were all of it (no or a wrong `Content-Length`), and a short part must
//! never be called done. Cheap: headers, sizes and the file's tail, no parsing of the geometry.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::wire::OutputFormat;

/// Bytes at the end of a text file searched for its closing keyword.
const TAIL: u64 = 4096;

/// Checks the file at `path` is a whole file of `format`; the error says what is missing.
pub fn check(format: OutputFormat, path: &Path) -> Result<(), String> {
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let size = file.metadata().map_err(|e| e.to_string())?.len();
    if size == 0 {
        return Err("the file is empty".into());
    }
    match format {
        OutputFormat::Glb => check_glb(&mut file, size),
        OutputFormat::Stl => check_stl(&mut file, size),
        OutputFormat::ThreeMf => zip::ZipArchive::new(file)
            .map(drop)
            .map_err(|_| "its zip directory is missing, so the file was cut short".into()),
        OutputFormat::Step => {
            let tail = read_tail(&mut file, size)?;
            if contains(&tail, b"END-ISO-10303-21;") {
                Ok(())
            } else {
                Err("it does not end with END-ISO-10303-21;, so the file was cut short".into())
            }
        }
    }
}

fn read_tail(file: &mut std::fs::File, size: u64) -> Result<Vec<u8>, String> {
    let start = size.saturating_sub(TAIL);
    file.seek(SeekFrom::Start(start))
        .map_err(|e| e.to_string())?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).map_err(|e| e.to_string())?;
    Ok(tail)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// GLB's header says its total length.
fn check_glb(file: &mut std::fs::File, size: u64) -> Result<(), String> {
    let mut header = [0u8; 12];
    file.read_exact(&mut header)
        .map_err(|_| "it is shorter than a GLB header".to_string())?;
    if &header[0..4] != b"glTF" {
        return Err("it does not start like a GLB file".into());
    }
    let declared = u64::from(u32::from_le_bytes([
        header[8], header[9], header[10], header[11],
    ]));
    if declared == size {
        Ok(())
    } else {
        Err(format!(
            "it holds {size} bytes where its header declares {declared}"
        ))
    }
}

/// A binary STL's size follows from its triangle count; an ASCII one ends with `endsolid`.
fn check_stl(file: &mut std::fs::File, size: u64) -> Result<(), String> {
    let mut header = [0u8; 84];
    let read = file.read(&mut header).map_err(|e| e.to_string())?;
    if read == 84 {
        let triangles = u64::from(u32::from_le_bytes([
            header[80], header[81], header[82], header[83],
        ]));
        if 84 + 50 * triangles == size {
            return Ok(());
        }
    }
    // Binary headers may start with "solid" too: ASCII only when it also reads as text.
    if header[..read].starts_with(b"solid") && header[..read].iter().all(u8::is_ascii) {
        let tail = read_tail(file, size)?;
        return if contains(&tail, b"endsolid") {
            Ok(())
        } else {
            Err("it does not end with endsolid, so the file was cut short".into())
        };
    }
    if read < 84 {
        return Err("it is shorter than an STL header".into());
    }
    let triangles = u32::from_le_bytes([header[80], header[81], header[82], header[83]]);
    Err(format!(
        "it holds {size} bytes where its {triangles} triangles need {}",
        84 + 50 * u64::from(triangles)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(bytes: &[u8], format: OutputFormat) -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("part");
        std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
        check(format, &path)
    }

    #[test]
    fn each_emulator_part_is_whole_and_each_half_of_one_is_not() {
        let parts = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/parts");
        for format in OutputFormat::ALL {
            for name in ["gear", "enclosure_assembly"] {
                let bytes = std::fs::read(parts.join(format!("{name}.{}", format.extension())))
                    .unwrap_or_default();
                assert_eq!(with(&bytes, format), Ok(()), "{name} {format:?}");
                let half = with(&bytes[..bytes.len() / 2], format);
                assert!(half.is_err(), "half of {name} {format:?} passed");
            }
        }
        assert!(with(b"solid x\nfacet normal 0 0 1\n", OutputFormat::Stl).is_err());
        assert_eq!(with(b"solid x\nendsolid x\n", OutputFormat::Stl), Ok(()));
        assert!(with(b"", OutputFormat::Step).is_err());
    }
}
