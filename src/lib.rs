//! Makistry Desktop: a native client for the Makistry Text-to-CAD API.
//!
//! The library holds all the logic; the binaries (`makistry-desktop`, the window, and
//! `makistry`, the command line) are thin layers on top.
//!
//! Modules:
//! - [`api`]: the HTTP client for the Makistry API: typed errors, retries, request budget.
//! - [`jobs`]: the job state machine, the history on disk, and the worker that drives jobs.
//! - [`attachments`]: reference images checked by their bytes and size.
//! - [`keychain`]: the API key in the OS credential store; the `Secret` type.
//! - [`draft`]: the prompt form's draft on disk, so nothing typed or attached is lost.
//! - [`model`]: STEP, GLB, STL and 3MF files into render-ready parts; no GL, no egui.
//! - [`viewer`]: the 3D viewport (three-d in an egui paint callback) and its camera math.
//! - [`app`] and [`ui`]: the window (eframe/egui). Panels return intents; the app applies
//!   them by spawning background tasks that report through channels and wake the window.
//! - [`emulator`]: a local HTTP server that implements the documented API, for tests and the
//!   offline demo. It never imports the client code it examines.
//!
//! Core modules (`api`, `jobs`, `keychain`, `attachments`, `model`, `emulator`) never import
//! egui or three-d; only the window's modules do (see `shared/DESIGN.md`, "Boundary").

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod api;
pub mod app;
pub mod atomic_file;
pub mod attachments;
pub mod clipboard;
pub mod draft;
pub mod emulator;
pub mod format;
pub mod jobs;
pub mod keychain;
pub mod logging;
pub mod model;
pub mod slicer;
pub mod ui;
pub mod viewer;

/// The tokio runtime both binaries run background work on (network, files, decoding), with
/// named worker threads so they are recognisable in a debugger or profiler.
pub fn background_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("makistry-worker")
        .build()
}
