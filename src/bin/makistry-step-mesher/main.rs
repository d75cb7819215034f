//! `makistry-step-mesher PATH [--careful] [--skip N,N,…] [--whole-file] [--coarse] [--chord MM]
//! [--angle DEG]`: meshes a STEP file
//! with OpenCascade and writes the parts to stdout (format in `occt_mesher.cpp`, reader in
//! `makistry::model::step`), with progress lines on stderr. `--coarse` cuts the surfaces about
//! 8 times coarser, for a thumbnail; `--chord MM` and `--angle DEG` set the cut outright (an
//! export's quality).
//!
//! It is a process of its own so that the window and the CLI never load OpenCascade, and so that
//! a face on which the kernel loops or crashes costs a killed child, not a hung window. The
//! parent first takes the quick path (PMI left out, lighter healing, every face meshed at once on
//! every core); if that leaves a face bare, fails, hangs or dies, it runs the child `--careful
//! --whole-file` (OpenCascade's full read and healing, one face at a time), then again with the
//! face it stopped on in `--skip`, and names that face in the result.
//!
//! The file's PMI (GD&T, annotations, saved views: see `makistry::model::step_prune`) is left
//! out of what OpenCascade parses, unless `--whole-file` (which the tests use to check that
//! leaving it out changes nothing).

// The one call into C++: a C function taking a path, a buffer and a list of numbers.
#![allow(unsafe_code)]

use std::ffi::{CString, c_char, c_int};
use std::process::ExitCode;

unsafe extern "C" {
    fn makistry_mesh_step(
        path: *const c_char,
        text: *const c_char,
        text_length: usize,
        skip: *const u32,
        skip_count: usize,
        careful: c_int,
        coarse: c_int,
        chord: f64,
        angle: f64,
    ) -> c_int;
}

/// What the command line asked for.
struct Request {
    path: String,
    skip: Vec<u32>,
    careful: bool,
    whole_file: bool,
    coarse: bool,
    /// Largest distance between a triangle and the surface, in mm (0: relative to the size).
    chord: f64,
    /// Largest angle between neighbouring triangles' normals, in radians (0: the default).
    angle: f64,
}

fn usage() -> ExitCode {
    eprintln!(
        "error usage: makistry-step-mesher PATH [--careful] [--skip N,N,...] [--whole-file] [--coarse] [--chord MM] [--angle DEG]"
    );
    ExitCode::from(64)
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Option<Request> {
    let mut request = Request {
        path: args.next()?,
        skip: Vec::new(),
        careful: false,
        whole_file: false,
        coarse: false,
        chord: 0.0,
        angle: 0.0,
    };
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--careful" => request.careful = true,
            "--coarse" => request.coarse = true,
            "--chord" => request.chord = args.next()?.parse().ok().filter(|c: &f64| *c > 0.0)?,
            "--angle" => {
                let degrees: f64 = args.next()?.parse().ok().filter(|a: &f64| *a > 0.0)?;
                request.angle = degrees.to_radians();
            }
            "--whole-file" => request.whole_file = true,
            "--skip" => {
                let list = args.next()?;
                for number in list.split(',').filter(|n| !n.is_empty()) {
                    request.skip.push(number.parse().ok()?);
                }
                // Only the careful path, one face at a time, can leave one out.
                request.careful = true;
            }
            _ => return None,
        }
    }
    Some(request)
}

/// Ends this process when the one that started it is gone (killed, or stopped by a time
/// limit such as `makistry thumbnail`'s): nobody would read the answer, and a file OpenCascade
/// loops on would hold a core for nothing.
fn end_with_parent() {
    #[cfg(unix)]
    {
        let parent = std::os::unix::process::parent_id();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_millis(250));
                if std::os::unix::process::parent_id() != parent {
                    std::process::exit(1);
                }
            }
        });
    }
}

fn main() -> ExitCode {
    let Some(request) = parse_args(std::env::args().skip(1)) else {
        return usage();
    };
    end_with_parent();
    let Ok(path) = CString::new(request.path.as_bytes()) else {
        return usage();
    };
    // A file that cannot be read here is left to OpenCascade, which says so in its own way; so
    // is one over 256 MiB, whose pruned copies (here, and OpenCascade's stream) would cost
    // more memory than its PMI costs time.
    const LARGEST_PRUNED: u64 = 256 << 20;
    let small_enough = std::fs::metadata(&request.path).is_ok_and(|m| m.len() <= LARGEST_PRUNED);
    let pruned = (!request.whole_file && small_enough)
        .then(|| std::fs::read(&request.path).ok())
        .flatten()
        .and_then(|file| makistry::model::step_prune::prune(&file));
    let (text, text_length) = pruned.as_ref().map_or((std::ptr::null(), 0), |text| {
        (text.as_ptr().cast::<c_char>(), text.len())
    });
    // SAFETY: `path` is a NUL-terminated string, `text` null or `text_length` readable bytes,
    // and `skip` a slice of u32, all alive for the call; the C++ side only reads them, and
    // catches every C++ exception before returning.
    let code = unsafe {
        makistry_mesh_step(
            path.as_ptr(),
            text,
            text_length,
            request.skip.as_ptr(),
            request.skip.len(),
            c_int::from(request.careful),
            c_int::from(request.coarse),
            request.chord,
            request.angle,
        )
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
