//! The `makistry` binary as a user runs it, against an in-process emulator: a whole job, a
//! process killed right after its submission and resumed, exit codes, and a search of every
//! log line and stored file for the API key.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use makistry::emulator::{EmulatorConfig, Faults};

use crate::support::cad::load_mesh;
use crate::support::cli::{makistry, run, text};
use crate::support::emulator_with;

/// Every file under `dir`, read as bytes.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, bytes));
            }
        }
    }
    out
}

#[tokio::test]
async fn generate_writes_the_file_and_the_key_is_in_no_log_or_stored_file() {
    let emu = emulator_with(EmulatorConfig::default()).await;
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let out = work.path().join("box.glb");

    let mut generate = makistry(&emu, &data);
    generate
        .args([
            "generate",
            "A 40x20x10mm box with a 5mm hole",
            "--format",
            "glb",
            "--out",
        ])
        .arg(&out);
    let generated = run(generate).await;
    assert!(generated.status.success(), "{}", text(&generated));
    assert_eq!(
        String::from_utf8_lossy(&generated.stdout).trim(),
        out.display().to_string()
    );
    let mesh = load_mesh("box.glb", std::fs::read(&out).unwrap()).unwrap();
    assert!(mesh.triangles > 50);

    let mut listing = makistry(&emu, &data);
    listing.args(["jobs", "--json"]);
    let listed = run(listing).await;
    let jobs: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(jobs[0]["phase"], "done");
    assert_eq!(jobs[0]["out_path"], out.display().to_string());

    let mut status = makistry(&emu, &data);
    status.args(["key", "status", "--check"]);
    let status = run(status).await;
    assert!(status.status.success(), "{}", text(&status));
    assert!(
        String::from_utf8_lossy(&status.stdout)
            .contains(&format!("…{}", &emu.api_key()[emu.api_key().len() - 4..]))
    );

    let key = emu.api_key();
    for output in [&generated, &listed, &status] {
        assert!(
            !text(output).contains(key),
            "the key leaked into the output:\n{}",
            text(output)
        );
    }
    for (path, bytes) in files_under(&data) {
        let found = bytes.windows(key.len()).any(|w| w == key.as_bytes());
        assert!(!found, "the key leaked into {}", path.display());
    }
    assert!(
        !files_under(&data).is_empty(),
        "the search looked at real files"
    );
}

#[tokio::test]
async fn a_process_killed_right_after_its_submission_resumes_the_same_job() {
    let emu = emulator_with(EmulatorConfig::default()).await;
    // The job is created, then its answer is lost: the CLI is now waiting to send the same
    // submission again, with nothing but its own record to go on.
    emu.set_faults(Faults {
        fail_after_commit_next: 1,
        ..Faults::default()
    });
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let out = work.path().join("cap.stl");
    let mut generate = makistry(&emu, &data);
    generate
        .args(["generate", "a 60 mm lens cap", "--format", "stl", "--out"])
        .arg(&out);
    let mut child = generate
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while emu.jobs().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the submission never arrived"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    assert!(!out.exists());

    // Resuming goes back to the API the job was made on, whatever --base-url says now.
    let mut resume = makistry(&emu, &data);
    resume
        .env("MAKISTRY_BASE_URL", "http://127.0.0.1:9/v1")
        .args(["jobs", "resume"]);
    let resumed = run(resume).await;
    assert!(resumed.status.success(), "{}", text(&resumed));
    assert_eq!(
        emu.jobs().len(),
        1,
        "resuming re-sent the same Idempotency-Key: no second job"
    );
    let mesh = load_mesh("cap.stl", std::fs::read(&out).unwrap()).unwrap();
    assert!(mesh.triangles > 1000);

    let mut again = makistry(&emu, &data);
    again.args(["jobs", "resume"]);
    let again = run(again).await;
    assert!(again.status.success());
    assert!(text(&again).contains("Nothing to resume"));
}

#[tokio::test]
async fn exit_codes_tell_user_api_and_transport_errors_apart() {
    let emu = emulator_with(EmulatorConfig::default()).await;
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    std::fs::write(work.path().join("notes.png"), b"not an image").unwrap();

    let mut spoofed = makistry(&emu, &data);
    spoofed
        .args(["generate", "a gear", "--image"])
        .arg(work.path().join("notes.png"));
    let spoofed = run(spoofed).await;
    assert_eq!(spoofed.status.code(), Some(2), "{}", text(&spoofed));
    assert!(text(&spoofed).contains("not a PNG, JPEG, WebP or GIF"));

    let mut failing = makistry(&emu, &data);
    failing
        .args([
            "generate",
            "a box [fail:geometry_validation_failed]",
            "--out",
        ])
        .arg(work.path().join("x.glb"));
    let failing = run(failing).await;
    assert_eq!(failing.status.code(), Some(3), "{}", text(&failing));
    assert!(text(&failing).contains("geometry_validation_failed"));

    let mut unreachable = makistry(&emu, &data);
    unreachable
        .env("MAKISTRY_BASE_URL", "http://127.0.0.1:9/v1")
        .args(["key", "status", "--check"]);
    let unreachable = run(unreachable).await;
    assert_eq!(unreachable.status.code(), Some(4), "{}", text(&unreachable));

    let mut no_key = makistry(&emu, &data);
    no_key
        .env_remove("MAKISTRY_API_KEY")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .args(["generate", "a box"]);
    let no_key = run(no_key).await;
    assert_ne!(no_key.status.code(), Some(0), "{}", text(&no_key));
    assert!(
        emu.jobs().len() == 1,
        "only the failing job reached the server"
    );
}

#[tokio::test]
async fn six_generate_commands_at_once_keep_six_jobs_each_run_once() {
    let emu = emulator_with(EmulatorConfig {
        rate_limits: crate::support::no_rate_limits(),
        ..EmulatorConfig::default()
    })
    .await;
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    crate::support::cli::generate_gears_at_once(&emu, &data, work.path(), 6).await;
    let mut list = makistry(&emu, &data);
    list.env("RUST_LOG", "warn").args(["jobs", "--json"]);
    let listed = run(list).await;
    let jobs: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(jobs.len(), 6, "{}", text(&listed));
    assert!(jobs.iter().all(|j| j["phase"] == "done"), "{jobs:#?}");
    assert_eq!(emu.jobs().len(), 6, "each job ran once on the server");
}
