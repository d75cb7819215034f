//! Builds the C++ half of `makistry-step-mesher` (feature `step-preview`, on by default)
//! against the system's OpenCascade, linked dynamically (LGPL-2.1 with OCCT's exception).
//! Only that binary links it: the window and the CLI run it as a child process.

use std::path::{Path, PathBuf};

const SOURCE: &str = "src/bin/makistry-step-mesher/occt_mesher.cpp";
const HELPER: &str = "makistry-step-mesher";
/// The OCCT toolkits the mesher calls into (their dependencies come with them).
const TOOLKITS: &[&str] = &[
    "TKXDESTEP",
    "TKSTEP",
    "TKXSBase",
    "TKXCAF",
    "TKLCAF",
    "TKCAF",
    "TKCDF",
    "TKMesh",
    "TKTopAlgo",
    "TKBRep",
    "TKG3d",
    "TKGeomBase",
    "TKMath",
    "TKService",
    "TKV3d",
    "TKernel",
];

fn find_include() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("OCCT_INCLUDE_DIR") {
        return Some(dir.into());
    }
    [
        "/usr/include/opencascade",
        "/usr/local/include/opencascade",
        "/opt/homebrew/include/opencascade",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|dir| dir.join("Standard.hxx").is_file())
}

fn main() {
    println!("cargo:rerun-if-changed={SOURCE}");
    println!("cargo:rerun-if-env-changed=OCCT_INCLUDE_DIR");
    println!("cargo:rerun-if-env-changed=OCCT_LIB_DIR");
    if std::env::var_os("CARGO_FEATURE_STEP_PREVIEW").is_none() {
        return;
    }
    let Some(include) = find_include() else {
        panic!(
            "\n\nSTEP preview needs OpenCascade (OCCT) 7.6 or newer, which was not found.\n\
             Debian/Ubuntu: apt-get install libocct-data-exchange-dev libocct-ocaf-dev \
             libocct-modeling-algorithms-dev libocct-modeling-data-dev libocct-foundation-dev\n\
             macOS: brew install opencascade    Windows: vcpkg install opencascade\n\
             Or set OCCT_INCLUDE_DIR and OCCT_LIB_DIR, or build without STEP preview: \
             cargo build --no-default-features\n\n"
        );
    };
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let msvc = std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "msvc");
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++17")
        .include(&include)
        .file(SOURCE)
        .warnings(false)
        .cargo_metadata(false);
    if !msvc {
        build.flag("-Wno-deprecated-declarations");
    }
    build.compile("makistry_occt_mesher");

    let arg = |value: String| println!("cargo:rustc-link-arg-bin={HELPER}={value}");
    let archive = if msvc {
        out_dir.join("makistry_occt_mesher.lib")
    } else {
        out_dir.join("libmakistry_occt_mesher.a")
    };
    arg(archive.display().to_string());
    let lib_dir = std::env::var_os("OCCT_LIB_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // Homebrew keeps headers and libraries side by side under its prefix.
            let prefix = include.parent().and_then(Path::parent)?;
            Some(prefix.join("lib")).filter(|dir| dir.is_dir())
        });
    if let Some(dir) = lib_dir {
        arg(if msvc {
            format!("/LIBPATH:{}", dir.display())
        } else {
            format!("-L{}", dir.display())
        });
    }
    for toolkit in TOOLKITS {
        arg(if msvc {
            format!("{toolkit}.lib")
        } else {
            format!("-l{toolkit}")
        });
    }
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if !msvc {
        arg(if target_os == "macos" {
            "-lc++"
        } else {
            "-lstdc++"
        }
        .into());
    }
}
