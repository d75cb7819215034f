//! The `makistry` binary as a user runs it: a command against an emulator with its own data
//! directory, run off the test's runtime, and what it printed.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use makistry::emulator::Emulator;

/// `makistry` with the emulator's URL and key in the environment and its own data directory.
pub fn makistry(emu: &Emulator, data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_makistry"));
    command
        .env("MAKISTRY_BASE_URL", emu.base_url())
        .env("MAKISTRY_API_KEY", emu.api_key())
        .env("MAKISTRY_DATA_DIR", data)
        .env("RUST_LOG", "trace")
        .stdin(Stdio::null());
    command
}

/// Runs `command` to its end on a blocking thread.
pub async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("makistry runs"))
        .await
        .expect("joins")
}

/// Everything it printed, standard output then standard error.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The history as `makistry jobs --json` lists it.
pub async fn listed_jobs(emu: &Emulator, data: &Path) -> (Output, Vec<serde_json::Value>) {
    let mut list = makistry(emu, data);
    list.env("RUST_LOG", "warn").args(["jobs", "--json"]);
    let listed = run(list).await;
    let jobs = serde_json::from_slice(&listed.stdout).unwrap_or_default();
    (listed, jobs)
}

/// Runs `count` `makistry generate` commands at once on one history, each asking for a gear
/// as `gear-N.stl` in `out`; every one must succeed.
pub async fn generate_gears_at_once(emu: &Emulator, data: &Path, out: &Path, count: usize) {
    let runs: Vec<_> = (0..count)
        .map(|n| {
            let mut generate = makistry(emu, data);
            generate
                .env("RUST_LOG", "warn")
                .args(["generate", &format!("a gear number {n}"), "--format", "stl"])
                .arg("--out")
                .arg(out.join(format!("gear-{n}.stl")));
            tokio::spawn(run(generate))
        })
        .collect();
    for generate in runs {
        let output = generate.await.expect("joins");
        assert!(output.status.success(), "{}", text(&output));
    }
    for n in 0..count {
        assert!(out.join(format!("gear-{n}.stl")).exists(), "gear-{n}.stl");
    }
}

/// `makistry inspect --json FILE` with `mesher` standing in for the STEP mesher and the
/// watchdog's face limit at `face_limit_ms` (where given): its summary. It must succeed.
pub fn inspect_with_mesher(
    file: &Path,
    mesher: &Path,
    face_limit_ms: Option<u64>,
) -> serde_json::Value {
    let mut command = Command::new(env!("CARGO_BIN_EXE_makistry"));
    command
        .args(["inspect", "--json"])
        .arg(file)
        .env("MAKISTRY_STEP_MESHER", mesher);
    if let Some(ms) = face_limit_ms {
        command.env("MAKISTRY_STEP_FACE_LIMIT_MS", ms.to_string());
    }
    let output = command.output().expect("makistry runs");
    assert!(output.status.success(), "{}", text(&output));
    serde_json::from_slice(&output.stdout).expect("a JSON summary")
}

/// A shell script at `path` holding `body`, made executable (a stand-in mesher, say).
#[cfg(unix)]
pub fn executable_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}")).expect("the script is written");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .expect("the script is made executable");
}
