//! A full disk and a read-only data directory, made real with mounts (root: CI runs as root;
//! `.ci/test` runs these with the other system tests).

use std::path::{Path, PathBuf};
use std::process::Command;

use makistry::emulator::EmulatorConfig;

use crate::support::cli::{listed_jobs, makistry, run, text};
use crate::support::emulator_with;

/// A mount that is undone when the test ends, however it ends.
struct Mount(PathBuf);

impl Mount {
    fn new(args: &[&str], at: &Path) -> Self {
        std::fs::create_dir_all(at).unwrap();
        let status = Command::new("mount").args(args).arg(at).status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "mount {args:?} failed: these tests need root (CI runs as root)"
        );
        Self(at.to_path_buf())
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", options])
            .arg(&self.0)
            .status();
        assert!(status.is_ok_and(|s| s.success()), "remount {options}");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_disk_that_fills_during_the_download_loses_nothing_and_resume_delivers() {
    let emu = emulator_with(EmulatorConfig::default()).await;
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    // The downloads' folder on a 64 kB disk: the lens cap's STEP (270 kB) does not fit.
    let files = Mount::new(
        &["-t", "tmpfs", "-o", "size=64k", "tmpfs"],
        &data.join("files"),
    );
    let out = work.path().join("cap.step");
    let mut generate = makistry(&emu, &data);
    generate
        .env("RUST_LOG", "warn")
        .args(["generate", "a 60 mm lens cap", "--out"])
        .arg(&out);
    let full = run(generate).await;
    assert_eq!(full.status.code(), Some(2), "{}", text(&full));
    assert!(text(&full).contains("The disk is full"), "{}", text(&full));
    assert!(
        text(&full).contains("makistry jobs resume"),
        "{}",
        text(&full)
    );
    let (_, jobs) = listed_jobs(&emu, &data).await;
    assert_eq!(jobs[0]["phase"], "downloading", "{jobs:?}");
    assert_eq!(jobs[0]["error"]["code"], "disk_full");

    files.remount("remount,size=10m");
    let mut resume = makistry(&emu, &data);
    resume.env("RUST_LOG", "warn").args(["jobs", "resume"]);
    let resumed = run(resume).await;
    assert!(resumed.status.success(), "{}", text(&resumed));
    let step = std::fs::read_to_string(&out).unwrap();
    assert!(step.trim_end().ends_with("END-ISO-10303-21;"));
    assert_eq!(emu.jobs().len(), 1, "one server job: nothing paid twice");
    assert_eq!(listed_jobs(&emu, &data).await.1[0]["phase"], "done");
}

#[tokio::test]
async fn a_read_only_data_directory_can_still_be_listed() {
    let emu = emulator_with(EmulatorConfig::default()).await;
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let mut generate = makistry(&emu, &data);
    generate
        .env("RUST_LOG", "warn")
        .args(["generate", "a box", "--format", "stl", "--out"])
        .arg(work.path().join("box.stl"));
    assert!(run(generate).await.status.success());

    let read_only = work.path().join("read-only");
    let bind = Mount::new(&["--bind", data.to_str().unwrap()], &read_only);
    bind.remount("remount,bind,ro");
    let (listed, jobs) = listed_jobs(&emu, &read_only).await;
    assert!(listed.status.success(), "{}", text(&listed));
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["phase"], "done");
}
