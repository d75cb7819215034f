//! STEP: meshed by OpenCascade in the `makistry-step-mesher` child process, read back here.
//!
//! The kernel runs in a child because a face can make it loop (or crash): the parent watches
//! its progress lines, and when one face takes longer than [`FACE_LIMIT`] (or the child dies
//! on it) it kills the child and starts it again with that face skipped. Skipped faces, and
//! faces OpenCascade could not mesh, are named in [`Model::unmeshed`]. The whole load is
//! bounded by [`FILE_LIMIT`] and stops at once when its [`LoadProgress`] is cancelled.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::normals::smooth;
use super::step_file::{finished, read_without_solids};
use super::{
    Detail, LoadError, LoadProgress, MAX_TRIANGLES, MeshFormat, Model, Part, srgb_to_linear,
};

/// Longest one face may take before it is skipped (`MAKISTRY_STEP_FACE_LIMIT_MS` overrides it,
/// for tests of the watchdog).
pub const FACE_LIMIT: Duration = Duration::from_secs(20);
/// Longest a whole file may take.
pub const FILE_LIMIT: Duration = Duration::from_secs(180);
/// Most restarts (each skipping one more face) before the file is given up.
const MAX_RESTARTS: usize = 8;
const HELPER: &str = "makistry-step-mesher";
const MAGIC: &[u8] = b"MKSTEP2\n";
/// Colour of a part the file gives none (the same grey as other formats).
use super::STEP_DEFAULT_COLOUR as DEFAULT_COLOUR;

fn malformed(reason: impl Into<String>) -> LoadError {
    LoadError::malformed(MeshFormat::Step, reason)
}

/// Whether `start` (the first bytes of a file) opens a STEP file: `ISO-10303-21;`, after an
/// optional byte-order mark and white space, whatever the schema (AP203, AP214, AP242).
pub fn is_step(start: &[u8]) -> bool {
    let start = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(start);
    let first = start.iter().position(|b| !b.is_ascii_whitespace());
    first.is_some_and(|i| start[i..].starts_with(b"ISO-10303-21"))
}

/// Where the mesher is: `MAKISTRY_STEP_MESHER`, else beside this executable (installed
/// packages), else one folder up (cargo puts test binaries in `target/<profile>/deps`).
pub fn helper_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MAKISTRY_STEP_MESHER") {
        return Some(path.into());
    }
    let exe = std::env::current_exe().ok()?;
    let name = format!("{HELPER}{}", std::env::consts::EXE_SUFFIX);
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(&name))
        .find(|candidate| candidate.is_file())
}

/// What the child said on stderr so far.
#[derive(Debug, Default)]
struct ChildReport {
    /// The face being meshed (1-based), once the first "faces" line came.
    current_face: Option<u32>,
    /// When the last progress line came.
    last_progress: Option<Instant>,
    /// Its "error …" line.
    error: Option<String>,
}

fn read_reports(stderr: impl std::io::Read, report: &Mutex<ChildReport>, progress: &LoadProgress) {
    let reader = std::io::BufReader::new(stderr);
    for line in std::io::BufRead::lines(reader).map_while(Result::ok) {
        let Ok(mut report) = report.lock() else {
            return;
        };
        if let Some(error) = line.strip_prefix("error ") {
            report.error = Some(error.to_string());
        } else if let Some(counts) = line.strip_prefix("faces ") {
            let mut numbers = counts.split(' ').filter_map(|n| n.parse::<u32>().ok());
            if let (Some(done), Some(total)) = (numbers.next(), numbers.next()) {
                report.current_face = Some(done + 1);
                report.last_progress = Some(Instant::now());
                progress
                    .faces_done
                    .store(u64::from(done), Ordering::Relaxed);
                progress
                    .faces_total
                    .store(u64::from(total), Ordering::Relaxed);
            }
        }
    }
}

/// Which way the child meshes.
#[derive(Clone, Copy)]
enum Way<'a> {
    /// Lighter healing and every face at once, on every core.
    Quick,
    /// The whole file, OpenCascade's full healing, one face at a time, these faces (1-based)
    /// left out.
    Careful(&'a [u32]),
}

/// How one run of the child ended.
enum Run {
    /// It wrote its parts.
    Meshed(Vec<u8>),
    /// It stopped on this face (too slow, or it died there).
    StuckOn(u32),
}

/// Meshes the STEP file at `path`: the quick path first; the careful one, on the whole file,
/// when the quick one leaves a face bare, fails, hangs or dies (see `makistry-step-mesher`).
pub fn load(path: &Path, progress: &LoadProgress, detail: Detail) -> Result<Model, LoadError> {
    let helper = helper_path().ok_or(LoadError::NoStepKernel)?;
    progress.reading_done.store(true, Ordering::Relaxed);
    let started = Instant::now();
    let mesher = Mesher {
        helper: &helper,
        detail,
    };
    match run_once(&mesher, path, Way::Quick, progress, started) {
        Ok(Run::Meshed(output)) => {
            if let Ok(model) = parse(&output)
                && model.unmeshed.is_empty()
            {
                return Ok(finished(model, path));
            }
        }
        // Stopped by the user or the clock, or no mesher: the careful path would be too.
        Err(e @ (LoadError::Cancelled | LoadError::TooLarge { .. } | LoadError::NoStepKernel)) => {
            return Err(e);
        }
        Ok(Run::StuckOn(_)) | Err(_) => {}
    }
    let mut skip: Vec<u32> = Vec::new();
    loop {
        match run_once(&mesher, path, Way::Careful(&skip), progress, started)? {
            Run::Meshed(output) => {
                return match parse(&output) {
                    Ok(model) => Ok(finished(model, path)),
                    Err(e) => read_without_solids(path).unwrap_or(Err(e)),
                };
            }
            Run::StuckOn(face) if skip.len() < MAX_RESTARTS && !skip.contains(&face) => {
                tracing::warn!("STEP mesher stopped on face {face} of {}", path.display());
                skip.push(face);
            }
            Run::StuckOn(face) => {
                return Err(malformed(format!(
                    "OpenCascade could not mesh it (it stopped on face {face} after skipping {} others)",
                    skip.len()
                )));
            }
        }
    }
}

fn face_limit() -> Duration {
    std::env::var("MAKISTRY_STEP_FACE_LIMIT_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(FACE_LIMIT, Duration::from_millis)
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The mesher program, and how finely it meshes.
struct Mesher<'a> {
    helper: &'a Path,
    detail: Detail,
}

fn spawn(mesher: &Mesher<'_>, path: &Path, way: Way) -> Result<Child, LoadError> {
    let helper = mesher.helper;
    let mut command = Command::new(helper);
    command.arg(path);
    match mesher.detail {
        Detail::Full => {}
        Detail::Coarse => {
            command.arg("--coarse");
        }
        Detail::Chord {
            chord_mm,
            angle_deg,
        } => {
            command.args([
                "--chord",
                &chord_mm.to_string(),
                "--angle",
                &angle_deg.to_string(),
            ]);
        }
    }
    if let Way::Careful(skip) = way {
        // OpenCascade reads the whole file here, PMI included, as it would on its own.
        command.arg("--careful").arg("--whole-file");
        if !skip.is_empty() {
            let list: Vec<String> = skip.iter().map(u32::to_string).collect();
            command.arg("--skip").arg(list.join(","));
        }
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            tracing::warn!("cannot start {}: {e}", helper.display());
            LoadError::NoStepKernel
        })
}

/// Runs the child once, reading its answer and its progress on two scoped threads while this
/// one watches the clocks and the cancel switch.
fn run_once(
    mesher: &Mesher<'_>,
    path: &Path,
    way: Way,
    progress: &LoadProgress,
    started: Instant,
) -> Result<Run, LoadError> {
    let mut child = spawn(mesher, path, way)?;
    let (Some(mut stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        kill(&mut child);
        return Err(LoadError::NoStepKernel);
    };
    let face_limit = face_limit();
    let report = Mutex::new(ChildReport {
        last_progress: Some(Instant::now()),
        ..ChildReport::default()
    });
    std::thread::scope(|scope| {
        let report = &report;
        scope.spawn(move || read_reports(stderr, report, progress));
        let output = scope.spawn(move || {
            let mut output = Vec::new();
            stdout.read_to_end(&mut output).map(|_| output)
        });
        let status = loop {
            if progress.is_cancelled() {
                kill(&mut child);
                return Err(LoadError::Cancelled);
            }
            if started.elapsed() > FILE_LIMIT {
                kill(&mut child);
                return Err(LoadError::TooLarge {
                    format: MeshFormat::Step,
                    reason: format!("meshing it took over {} s", FILE_LIMIT.as_secs()),
                });
            }
            let (face, since) = report
                .lock()
                .map(|r| (r.current_face, r.last_progress))
                .unwrap_or_default();
            if let (Some(face), Some(since)) = (face, since)
                && since.elapsed() > face_limit
            {
                kill(&mut child);
                return Ok(Run::StuckOn(face));
            }
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => {
                    kill(&mut child);
                    return Err(LoadError::Io(e.to_string()));
                }
            }
        };
        let output = output.join().ok().and_then(Result::ok).unwrap_or_default();
        finish(status, output, report)
    })
}

/// How a child that exited on its own ended.
fn finish(
    status: std::process::ExitStatus,
    output: Vec<u8>,
    report: &Mutex<ChildReport>,
) -> Result<Run, LoadError> {
    let (face, error) = report
        .lock()
        .map(|r| (r.current_face, r.error.clone()))
        .unwrap_or_default();
    if status.success() {
        Ok(Run::Meshed(output))
    } else if let Some(error) = error {
        Err(malformed(error))
    } else if let Some(face) = face {
        // It died without a word (a crash in the kernel): skip the face it was on.
        Ok(Run::StuckOn(face))
    } else {
        Err(malformed("OpenCascade stopped while reading it"))
    }
}

/// An sRGB colour from the mesher, as the linear colour parts have.
fn linear(rgba: [f32; 4]) -> [f32; 4] {
    [
        srgb_to_linear(rgba[0]),
        srgb_to_linear(rgba[1]),
        srgb_to_linear(rgba[2]),
        rgba[3],
    ]
}

/// A part's faces' own colours, one per vertex (empty when they all have the part's colour),
/// from the runs the mesher gives: (vertex count, sRGB colour), in vertex order.
fn read_colour_runs<'a>(
    take: &mut impl FnMut(usize) -> Result<&'a [u8], LoadError>,
    vertex_count: usize,
) -> Result<Vec<[f32; 4]>, LoadError> {
    let runs = u32_at(take(4)?) as usize;
    let mut colours = Vec::new();
    for _ in 0..runs {
        let count = u32_at(take(4)?) as usize;
        let rgba: Vec<f32> = take(16)?.chunks_exact(4).map(f32_at).collect();
        if colours.len() + count > vertex_count {
            return Err(malformed(
                "the STEP mesher coloured more vertices than it gave",
            ));
        }
        let colour = linear([rgba[0], rgba[1], rgba[2], rgba[3]]);
        colours.extend(std::iter::repeat_n(colour, count));
    }
    if runs > 0 && colours.len() != vertex_count {
        return Err(malformed(
            "the STEP mesher coloured fewer vertices than it gave",
        ));
    }
    Ok(colours)
}

/// Reads the child's output (format in `occt_mesher.cpp`).
fn parse(output: &[u8]) -> Result<Model, LoadError> {
    let input = output
        .strip_prefix(MAGIC)
        .ok_or_else(|| malformed("the STEP mesher answered something else than a mesh"))?;
    let mut reader = Reader(input);
    let mut take = |n: usize| reader.take(n);
    let short = || malformed("the STEP mesher's answer ended early");
    let mut parts = Vec::new();
    let mut triangles = 0usize;
    let part_count = u32_at(take(4)?);
    for _ in 0..part_count {
        let name_len = u32_at(take(4)?) as usize;
        let name = String::from_utf8_lossy(take(name_len)?).into_owned();
        let rgba: Vec<f32> = take(16)?.chunks_exact(4).map(f32_at).collect();
        let has_colour = take(1)?[0] == 1;
        let vertex_count = u32_at(take(4)?) as usize;
        let positions: Vec<[f32; 3]> = take(vertex_count.checked_mul(12).ok_or_else(short)?)?
            .chunks_exact(12)
            .map(|v| [f32_at(&v[0..4]), f32_at(&v[4..8]), f32_at(&v[8..12])])
            .collect();
        let triangle_count = u32_at(take(4)?) as usize;
        triangles += triangle_count;
        if triangles > MAX_TRIANGLES {
            return Err(LoadError::TooLarge {
                format: MeshFormat::Step,
                reason: format!("over {MAX_TRIANGLES} triangles"),
            });
        }
        let indices: Vec<u32> = take(triangle_count.checked_mul(12).ok_or_else(short)?)?
            .chunks_exact(4)
            .map(u32_at)
            .collect();
        if indices.iter().any(|&i| i as usize >= vertex_count) {
            return Err(malformed(
                "the STEP mesher gave a triangle outside its vertices",
            ));
        }
        let face_colours = read_colour_runs(&mut take, vertex_count)?;
        if indices.is_empty() {
            continue;
        }
        let color = if has_colour {
            linear([rgba[0], rgba[1], rgba[2], rgba[3]])
        } else {
            DEFAULT_COLOUR
        };
        // Each face has its own vertices: normals are smooth within a face, sharp between.
        let normals = smooth(&positions, &indices);
        parts.push(
            Part::new(name, positions, normals, indices, color).with_vertex_colors(face_colours),
        );
    }
    let unmeshed_count = u32_at(take(4)?);
    let mut unmeshed = Vec::new();
    for _ in 0..unmeshed_count {
        let len = u32_at(take(4)?) as usize;
        unmeshed.push(String::from_utf8_lossy(take(len)?).into_owned());
    }
    if parts.is_empty() {
        return Err(malformed(if unmeshed.is_empty() {
            "it holds no solid or surface to show".to_string()
        } else {
            format!(
                "none of its faces could be meshed ({})",
                unmeshed.join(", ")
            )
        }));
    }
    let mut model = Model::new(parts);
    model.unmeshed = unmeshed;
    Ok(model)
}

/// The unread rest of the child's answer.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], LoadError> {
        if self.0.len() < n {
            return Err(malformed("the STEP mesher's answer ended early"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
}

fn u32_at(bytes: &[u8]) -> u32 {
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

fn f32_at(bytes: &[u8]) -> f32 {
    f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_is_known_by_its_header_whatever_the_schema() {
        assert!(is_step(b"ISO-10303-21;\nHEADER;"));
        assert!(is_step(b"\xEF\xBB\xBF\r\n  ISO-10303-21;"));
        assert!(!is_step(b"solid cube\n"));
        assert!(!is_step(b""));
    }

    #[test]
    fn a_short_answer_is_an_error_not_a_panic() {
        let mut output = MAGIC.to_vec();
        output.extend_from_slice(&1u32.to_le_bytes());
        output.extend_from_slice(&100u32.to_le_bytes());
        assert!(parse(&output).is_err());
        assert!(parse(b"garbage").is_err());
    }
}
