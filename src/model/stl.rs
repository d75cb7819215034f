//! STL, binary and ASCII. STL shares no vertices between triangles, so every triangle gets its
//! own three vertices, and no normals: every STL triangle is flat, and the viewer derives its
//! normal on the GPU (the file's stored normals are often zero or stale, and storing ours
//! would take 36 more bytes a triangle than the 50 the file has). Binary is told from ASCII
//! by size: `84 + 50 × count` bytes.

use std::sync::atomic::Ordering;
use std::sync::mpsc;

use super::{Bounds, LoadError, LoadProgress, MAX_TRIANGLES, MeshFormat, Model, Part};

/// Neutral grey, linear: STL has no colour.
const GREY: [f32; 4] = [0.55, 0.57, 0.6, 1.0];

fn malformed(reason: impl Into<String>) -> LoadError {
    LoadError::malformed(MeshFormat::Stl, reason)
}

/// Loads binary or ASCII STL.
pub fn load(bytes: &[u8]) -> Result<Model, LoadError> {
    let binary_count = (bytes.len() >= 84)
        .then(|| u32::from_le_bytes([bytes[80], bytes[81], bytes[82], bytes[83]]) as usize);
    let binary_size = binary_count.map(|n| 84 + 50 * n as u64);
    let looks_ascii = bytes
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(5)
        .eq(b"solid".iter());
    match binary_size {
        Some(size) if size == bytes.len() as u64 => load_binary(bytes),
        _ if looks_ascii => load_ascii(bytes),
        // Some exporters pad binary files; fewer bytes than the count says is a cut file.
        Some(size) if size < bytes.len() as u64 => load_binary(bytes),
        Some(size) => Err(malformed(format!(
            "its header announces {} triangles ({size} bytes) but the file has only {} bytes; it was probably cut short",
            binary_count.unwrap_or(0),
            bytes.len()
        ))),
        None if bytes.is_empty() => Err(malformed("the file is empty (0 bytes)")),
        None => Err(malformed("it is too short to be an STL file")),
    }
}

fn load_binary(bytes: &[u8]) -> Result<Model, LoadError> {
    let count = u32::from_le_bytes([bytes[80], bytes[81], bytes[82], bytes[83]]) as usize;
    if count > MAX_TRIANGLES {
        return Err(LoadError::TooLarge {
            format: MeshFormat::Stl,
            reason: format!("{count} triangles"),
        });
    }
    if count == 0 {
        return Ok(Model::new(Vec::new()));
    }
    // Fixed-size records: every offset in `parse_records` is checked at compile time, so its
    // loop has no bounds checks. Large files are split across the cores, each thread filling
    // its own slice of the (lazily zeroed) output: the work is mostly writing fresh memory.
    let (records, _) = bytes[84..84 + 50 * count].as_chunks::<50>();
    let mut positions = vec![[0.0f32; 3]; count * 3];
    let mut indices = vec![0u32; count * 3];
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count / 200_000)
        .clamp(1, 8);
    let share = count.div_ceil(threads);
    std::thread::scope(|scope| {
        let outputs = positions
            .chunks_mut(share * 3)
            .zip(indices.chunks_mut(share * 3));
        for (chunk, (part, (positions, indices))) in records.chunks(share).zip(outputs).enumerate()
        {
            let first = (chunk * share * 3) as u32;
            scope.spawn(move || {
                parse_records(part, positions);
                for (offset, index) in indices.iter_mut().enumerate() {
                    *index = first + offset as u32;
                }
            });
        }
    });
    Ok(Model::new(vec![Part::new(
        solid_name(&bytes[..80]),
        positions,
        Vec::new(),
        indices,
        GREY,
    )]))
}

/// Fills `positions` (three per record) from binary STL records.
fn parse_records(records: &[[u8; 50]], positions: &mut [[f32; 3]]) {
    let (corners, _) = positions.as_chunks_mut::<3>();
    for (record, corners) in records.iter().zip(corners) {
        let f =
            |i: usize| f32::from_le_bytes([record[i], record[i + 1], record[i + 2], record[i + 3]]);
        let v = |at: usize| [f(at), f(at + 4), f(at + 8)];
        *corners = [v(12), v(24), v(36)];
    }
}

/// Records per slice read from disk while the previous slice is parsed (2 MB).
const SLICE_RECORDS: usize = 40_000;

/// Reads a binary STL from `file` (`size` bytes, at its start) in slices, parsing each while
/// the next is read, so the file is never in memory whole: the peak is the model plus a few
/// MB. Bounds and the finite check come from the same pass. `None` (file rewound) when the
/// file is not binary STL of exactly the size its header says: [`load`] reads those whole.
pub(super) fn read_binary_file(
    file: &mut std::fs::File,
    size: u64,
    progress: &LoadProgress,
) -> Result<Option<Model>, LoadError> {
    use std::io::{Read, Seek};
    let io = |e: std::io::Error| super::io_error(&e);
    let mut header = [0u8; 84];
    let count = match file.read_exact(&mut header) {
        Ok(()) => u32::from_le_bytes([header[80], header[81], header[82], header[83]]) as usize,
        Err(_) => 0,
    };
    if count == 0 || count > MAX_TRIANGLES || 84 + 50 * count as u64 != size {
        file.rewind().map_err(io)?;
        return Ok(None);
    }
    let mut positions = vec![[0.0f32; 3]; count * 3];
    let mut bounds = Bounds::empty();
    let mut finite = true;
    let (full, empty) = (
        mpsc::sync_channel::<Vec<u8>>(2),
        mpsc::sync_channel::<Vec<u8>>(3),
    );
    let (to_parser, from_reader) = full;
    let (to_reader, from_parser) = empty;
    for _ in 0..3 {
        let _ = to_reader.send(Vec::with_capacity(SLICE_RECORDS * 50));
    }
    let read = std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> std::io::Result<()> {
            let mut left = count;
            while left > 0 && !progress.is_cancelled() {
                let Ok(mut slice) = from_parser.recv() else {
                    break;
                };
                let records = left.min(SLICE_RECORDS);
                slice.resize(records * 50, 0);
                file.read_exact(&mut slice)?;
                left -= records;
                if to_parser.send(slice).is_err() {
                    break;
                }
            }
            Ok(())
        });
        let mut done = 0;
        for slice in from_reader.iter() {
            let (records, _) = slice.as_chunks::<50>();
            let corners = &mut positions[done * 3..(done + records.len()) * 3];
            parse_records(records, corners);
            for p in corners.iter() {
                finite &= p.iter().all(|c| c.is_finite());
                bounds.add(*p);
            }
            done += records.len();
            progress
                .read
                .store(84 + 50 * done as u64, Ordering::Relaxed);
            let _ = to_reader.send(slice);
        }
        drop(to_reader);
        reader.join().unwrap_or(Ok(())).map(|()| done)
    });
    if progress.is_cancelled() {
        return Err(LoadError::Cancelled);
    }
    if read.map_err(io)? != count {
        return Err(malformed("the file ended before its last triangle"));
    }
    if !finite {
        return Err(malformed("it has NaN or infinite coordinates"));
    }
    progress.reading_done.store(true, Ordering::Relaxed);
    let indices = (0..count as u32 * 3).collect();
    let part = Part::with_bounds(
        solid_name(&header[..80]),
        positions,
        Vec::new(),
        indices,
        GREY,
        bounds,
    );
    Ok(Some(Model::new(vec![part])))
}

/// The solid's name from the 80-byte header, or "solid" when it has none.
fn solid_name(header: &[u8]) -> String {
    let name = String::from_utf8_lossy(header)
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .to_string();
    if name.is_empty() || name.starts_with("solid") {
        "solid".to_string()
    } else {
        name
    }
}

fn load_ascii(bytes: &[u8]) -> Result<Model, LoadError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| malformed("it starts like ASCII STL but is not text"))?;
    let mut parts = Vec::new();
    let mut current: Option<(String, Vec<[f32; 3]>)> = None;
    let mut facet = Vec::with_capacity(3);
    let mut triangles = 0usize;
    // Old Mac tools (MeshLab's test file among them) end lines with CR alone.
    let lines: Box<dyn Iterator<Item = &str>> = if !text.contains('\n') && text.contains('\r') {
        Box::new(text.split('\r'))
    } else {
        Box::new(text.lines())
    };
    for (line_number, line) in lines.enumerate() {
        let mut words = line.split_whitespace();
        let at = || format!("line {}", line_number + 1);
        match words.next() {
            Some("solid") => {
                if current.is_some() {
                    return Err(malformed(format!(
                        "{}: a solid starts inside another",
                        at()
                    )));
                }
                current = Some((words.collect::<Vec<_>>().join(" "), Vec::new()));
            }
            Some("vertex") => {
                let (_, positions) = current
                    .as_mut()
                    .ok_or_else(|| malformed(format!("{}: a vertex outside any solid", at())))?;
                let mut coordinate = || -> Result<f32, LoadError> {
                    words
                        .next()
                        .and_then(|w| w.parse().ok())
                        .ok_or_else(|| malformed(format!("{}: a vertex needs three numbers", at())))
                };
                let p = [coordinate()?, coordinate()?, coordinate()?];
                facet.push(p);
                if facet.len() > 3 {
                    return Err(malformed(format!(
                        "{}: a facet with more than three vertices",
                        at()
                    )));
                }
                if facet.len() == 3 {
                    positions.append(&mut facet);
                    triangles += 1;
                    if triangles > MAX_TRIANGLES {
                        return Err(LoadError::TooLarge {
                            format: MeshFormat::Stl,
                            reason: format!("over {MAX_TRIANGLES} triangles"),
                        });
                    }
                }
            }
            Some("endfacet") if !facet.is_empty() => {
                return Err(malformed(format!(
                    "{}: a facet with fewer than three vertices",
                    at()
                )));
            }
            Some("endsolid") => {
                let (name, positions) = current
                    .take()
                    .ok_or_else(|| malformed(format!("{}: endsolid without solid", at())))?;
                let name = if name.is_empty() {
                    format!("solid {}", parts.len() + 1)
                } else {
                    name
                };
                let indices = (0..positions.len() as u32).collect();
                parts.push(Part::new(name, positions, Vec::new(), indices, GREY));
            }
            _ => {}
        }
    }
    if current.is_some() {
        return Err(malformed(
            "the last solid has no endsolid; the file was probably cut short",
        ));
    }
    parts.retain(|p| !p.positions.is_empty());
    Ok(Model::new(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_binary_file_split_across_threads_reads_like_a_small_one() {
        // 450,000 triangles: enough for two threads; triangle i lies at x = i.
        let count = 450_000u32;
        let mut bytes = vec![0u8; 80];
        bytes.extend_from_slice(&count.to_le_bytes());
        for i in 0..count {
            bytes.extend_from_slice(&[0u8; 12]);
            let x = i as f32;
            for corner in [[x, 0.0, 0.0], [x + 1.0, 0.0, 0.0], [x, 1.0, 0.0]] {
                for c in corner {
                    bytes.extend_from_slice(&c.to_le_bytes());
                }
            }
            bytes.extend_from_slice(&[0, 0]);
        }
        let model = load(&bytes).unwrap();
        let part = &model.parts[0];
        assert_eq!(part.triangles(), count as usize);
        for i in [0, 1, 224_999, 225_000, 449_999] {
            let x = i as f32;
            assert_eq!(part.positions[3 * i + 1], [x + 1.0, 0.0, 0.0]);
            assert_eq!(part.indices[3 * i + 2], 3 * i as u32 + 2);
        }
        assert_eq!(model.bounds.max, [count as f32, 1.0, 0.0]);
    }

    fn binary(triangles: &[[[f32; 3]; 3]]) -> Vec<u8> {
        let mut out = vec![0u8; 80];
        out.extend_from_slice(&(triangles.len() as u32).to_le_bytes());
        for t in triangles {
            out.extend_from_slice(&[0u8; 12]);
            for v in t {
                for c in v {
                    out.extend_from_slice(&c.to_le_bytes());
                }
            }
            out.extend_from_slice(&[0, 0]);
        }
        out
    }

    const TRI: [[f32; 3]; 3] = [[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 5.0, 0.0]];

    #[test]
    fn binary_stl_gets_bounds_and_no_normals_for_its_flat_triangles() {
        let model = load(&binary(&[
            TRI,
            [[0.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 2.0]],
        ]))
        .unwrap();
        assert_eq!(
            (model.parts.len(), model.triangles(), model.vertices()),
            (1, 2, 6)
        );
        assert!(model.parts[0].normals.is_empty());
        assert_eq!(model.bounds.max, [10.0, 5.0, 2.0]);
    }

    #[test]
    fn ascii_stl_with_two_solids_gives_two_parts() {
        let text = "solid left\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1 0 0\n   vertex 0 1 0\n  endloop\n endfacet\nendsolid left\n\
                    solid right\n facet normal 0 0 1\n  outer loop\n   vertex 5 0 0\n   vertex 6 0 0\n   vertex 5 1 0\n  endloop\n endfacet\nendsolid right\n";
        let model = load(text.as_bytes()).unwrap();
        let names: Vec<_> = model.parts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["left", "right"]);
        assert_eq!(model.bounds.max[0], 6.0);
        let cr_only = load(text.replace('\n', "\r").as_bytes()).unwrap();
        assert_eq!(cr_only.triangles(), 2, "lines ended by CR alone");
    }

    #[test]
    fn broken_and_hostile_files_are_errors_not_panics() {
        let mut cut = binary(&[TRI, TRI]);
        cut.truncate(cut.len() - 10);
        assert!(matches!(load(&cut), Err(LoadError::Malformed { .. })));
        let mut lying = binary(&[TRI]);
        lying[80..84].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(load(&lying).is_err());
        assert!(load(b"").is_err());
        assert!(load(b"solid x\n facet\n outer loop\n vertex 0 0\n").is_err());
        assert!(
            load(b"solid x\n facet\n outer loop\n vertex 0 0 0\n").is_err(),
            "no endsolid"
        );
        assert_eq!(load(&binary(&[])).unwrap().triangles(), 0);
        assert_eq!(
            load(b"solid empty\nendsolid empty\n").unwrap().triangles(),
            0
        );
    }
}
