//! `makistry-step-mesher PATH [--skip N,N,…]`: meshes a STEP file with OpenCascade and writes
//! the parts to stdout (format in `occt_mesher.cpp`, reader in `makistry::model::step`), with
//! progress lines on stderr.
//!
//! It is a process of its own so that the window and the CLI never load OpenCascade, and so that
//! a face on which the kernel loops or crashes costs a killed child, not a hung window: the
//! parent restarts it with that face in `--skip` and names the face in the result.

// The one call into C++: a C function taking a path and a list of numbers.
#![allow(unsafe_code)]

use std::ffi::{CString, c_char, c_int};
use std::process::ExitCode;

unsafe extern "C" {
    fn makistry_mesh_step(path: *const c_char, skip: *const u32, skip_count: usize) -> c_int;
}

fn usage() -> ExitCode {
    eprintln!("error usage: makistry-step-mesher PATH [--skip N,N,...]");
    ExitCode::from(64)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, skip) = match args.as_slice() {
        [path] => (path, Vec::new()),
        [path, flag, list] if flag == "--skip" => {
            let numbers: Result<Vec<u32>, _> = list
                .split(',')
                .filter(|n| !n.is_empty())
                .map(str::parse)
                .collect();
            match numbers {
                Ok(numbers) => (path, numbers),
                Err(_) => return usage(),
            }
        }
        _ => return usage(),
    };
    let Ok(path) = CString::new(path.as_bytes()) else {
        return usage();
    };
    // SAFETY: `path` is a NUL-terminated string and `skip` a slice of u32, both alive for the
    // call; the C++ side only reads them, and catches every C++ exception before returning.
    let code = unsafe { makistry_mesh_step(path.as_ptr(), skip.as_ptr(), skip.len()) };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
