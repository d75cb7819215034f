//! Nothing lost, nothing hung (issue 22), as a user meets it through the `makistry` binary and
//! the window: special files given as images, a history with damaged pages, processes opening
//! a fresh history together, a listing cut short by `head`, an address where nothing listens.

use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::Utc;
use makistry::api::{DesignMode, OutputFormat};
use makistry::emulator::EmulatorConfig;
use makistry::jobs::{JobRecord, JobStore, Phase, ServiceReport};
use rand::{Rng, SeedableRng};

use crate::support::cli::{listed_jobs, makistry, run, text};
use crate::support::emulator_with;

#[cfg(unix)]
#[tokio::test]
async fn a_device_or_a_pipe_as_an_image_is_refused_at_once_and_nothing_is_sent() {
    let emu = emulator_with(EmulatorConfig::default()).await;
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let fifo = work.path().join("front.png");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    for (image, kind) in [
        (fifo.as_path(), "a pipe"),
        (Path::new("/dev/zero"), "a device"),
    ] {
        let mut generate = makistry(&emu, &data);
        generate.args(["generate", "a box", "--image"]).arg(image);
        let started = Instant::now();
        let refused = run(generate).await;
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{kind}: too slow"
        );
        assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
        assert!(
            text(&refused).contains(&format!("is {kind}, not an image file")),
            "{}",
            text(&refused)
        );
    }
    assert!(emu.jobs().is_empty(), "nothing reached the server");
    let (_, jobs) = listed_jobs(&emu, &data).await;
    assert!(jobs.is_empty(), "nothing was recorded: {jobs:?}");
}

#[cfg(unix)]
#[test]
fn a_pipe_dropped_on_the_window_is_refused_and_the_form_stays_free() {
    let machine = crate::window::Machine::new();
    machine
        .keychain
        .save(&makistry::keychain::Secret::new(machine.emulator.api_key()))
        .unwrap();
    let fifo = machine.files.path().join("front.png");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let mut harness = machine.open();
    crate::window::wait_for_text(&mut harness, "Generate");
    crate::window::drop_files(&mut harness, &[fifo, "/dev/zero".into()]);
    crate::window::wait_for_text(&mut harness, "front.png is a pipe, not an image file");
    crate::window::wait_for_text(&mut harness, "zero is a device, not an image file");
    assert!(!crate::window::shows(&harness, "Checking images"));
}

/// A history of `count` failed jobs in `dir`, closed (so whole in `jobs.db`), whose prompts
/// say "variant N".
fn history_of(dir: &Path, count: usize) {
    let (store, _) = JobStore::open(dir).unwrap();
    let jobs: Vec<JobRecord> = (0..count)
        .map(|n| {
            let mut job = JobRecord::new(
                format!("A 60 mm lens cap with a snap-fit lip, variant {n}"),
                vec![],
                DesignMode::Standard,
                OutputFormat::Step,
                Utc::now(),
            );
            job.phase = Phase::Failed {
                report: ServiceReport::default(),
                finished_at: Some(Utc::now()),
            };
            job
        })
        .collect();
    store.insert_all(&jobs).unwrap();
}

/// Overwrites `pages` pages of `jobs.db` in `dir` with random bytes, as a failing disk would.
/// The first page (the schema) and the tables' roots are spared: without them SQLite's own
/// recovery finds nothing either, and this test is about the pages in between.
fn damage_pages(dir: &Path, pages: usize) {
    let path = dir.join("jobs.db");
    let roots: Vec<u64> = {
        let connection = rusqlite::Connection::open(&path).unwrap();
        let mut statement = connection
            .prepare("SELECT rootpage FROM sqlite_master WHERE rootpage > 0")
            .unwrap();
        statement
            .query_map([], |row| row.get::<_, i64>(0))
            .unwrap()
            .map(|page| page.unwrap().unsigned_abs())
            .collect()
    };
    let size = std::fs::metadata(&path).unwrap().len();
    let page_count = size / 4096;
    let mut rng = rand::rngs::StdRng::seed_from_u64(22);
    let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let mut damaged = Vec::new();
    while damaged.len() < pages {
        let page = rng.random_range(2..=page_count);
        if roots.contains(&page) || damaged.contains(&page) {
            continue;
        }
        let garbage: Vec<u8> = (0..4096).map(|_| rng.random()).collect();
        file.seek(SeekFrom::Start((page - 1) * 4096)).unwrap();
        file.write_all(&garbage).unwrap();
        damaged.push(page);
    }
    file.sync_all().unwrap();
}

#[tokio::test]
async fn a_history_with_damaged_pages_is_salvaged_and_listed() {
    let emu = emulator_with(EmulatorConfig::default()).await;
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    history_of(&data, 2003);
    damage_pages(&data, 4);

    let (listed, jobs) = listed_jobs(&emu, &data).await;
    assert!(listed.status.success(), "{}", text(&listed));
    assert!(jobs.len() >= 1800, "{} jobs listed", jobs.len());
    let warning = String::from_utf8_lossy(&listed.stderr);
    assert!(
        warning.contains(&format!("{} jobs were recovered", jobs.len())),
        "{warning}"
    );
    let kept: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("jobs.db.damaged-") && !name.ends_with("-wal"))
        .filter(|name| !name.ends_with("-shm"))
        .collect();
    assert_eq!(kept.len(), 1, "the damaged file is kept beside the new one");

    // The salvaged history is a healthy one: listed again without a word, jobs can be added.
    let (again, same) = listed_jobs(&emu, &data).await;
    assert_eq!(same.len(), jobs.len());
    assert!(!String::from_utf8_lossy(&again.stderr).contains("damaged"));
    let mut generate = makistry(&emu, &data);
    generate
        .env("RUST_LOG", "warn")
        .args(["generate", "a box", "--format", "stl", "--out"])
        .arg(work.path().join("box.stl"));
    let generated = run(generate).await;
    assert!(generated.status.success(), "{}", text(&generated));
    assert_eq!(listed_jobs(&emu, &data).await.1.len(), jobs.len() + 1);
}

#[test]
fn the_window_opens_on_a_damaged_history_and_says_what_it_recovered() {
    let machine = crate::window::Machine::new();
    machine
        .keychain
        .save(&makistry::keychain::Secret::new(machine.emulator.api_key()))
        .unwrap();
    history_of(machine.data_dir(), 300);
    damage_pages(machine.data_dir(), 2);
    let mut harness = machine.open();
    crate::window::wait_for_text(&mut harness, "jobs were recovered into a new history");
    crate::window::wait_for_text(&mut harness, "snap-fit lip, variant");
    crate::window::wait_for_text(&mut harness, "Generate");
}

#[test]
fn a_history_whose_table_root_is_damaged_opens_anew_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    history_of(dir.path(), 300);
    let path = dir.path().join("jobs.db");
    let root: u64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT rootpage FROM sqlite_master WHERE name = 'jobs'",
            [],
            |row| row.get::<_, i64>(0),
        )
        .unwrap()
        .unsigned_abs();
    let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.seek(SeekFrom::Start((root - 1) * 4096)).unwrap();
    file.write_all(&[0xA5; 4096]).unwrap();
    drop(file);
    let started = Instant::now();
    let (store, notice) = JobStore::open(dir.path()).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!(notice.is_some(), "the user is told");
    store.insert_all(&[]).unwrap();
    assert!(store.all().is_ok(), "the new history works");
}

#[tokio::test]
async fn twelve_processes_opening_a_fresh_history_at_once_never_fail() {
    let emu = emulator_with(EmulatorConfig::default()).await;
    let work = tempfile::tempdir().unwrap();
    for round in 0..20 {
        let data = work.path().join(format!("data-{round}"));
        let opens: Vec<_> = (0..12)
            .map(|_| {
                let mut list = makistry(&emu, &data);
                list.env("RUST_LOG", "warn").args(["jobs", "--json"]);
                tokio::spawn(run(list))
            })
            .collect();
        for open in opens {
            let output = open.await.unwrap();
            assert!(output.status.success(), "round {round}: {}", text(&output));
        }
    }
}

#[tokio::test]
async fn a_listing_read_by_head_ends_quietly() {
    let emu = emulator_with(EmulatorConfig::default()).await;
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    // More than a pipe holds, so the listing is still writing when the reader goes.
    history_of(&data, 3000);
    let mut list = makistry(&emu, &data);
    list.env("RUST_LOG", "warn")
        .arg("jobs")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = list.spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("ID"), "{first}");
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!said.contains("panicked"), "{said}");
    assert!(output.status.success(), "{:?}: {said}", output.status);
}

#[tokio::test]
async fn a_send_where_nothing_listens_keeps_no_job() {
    let emu = emulator_with(EmulatorConfig::default()).await;
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let mut generate = makistry(&emu, &data);
    generate
        .env("MAKISTRY_BASE_URL", "http://127.0.0.1:9/v1")
        .args(["generate", "a box"]);
    let refused = run(generate).await;
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused));
    assert!(
        text(&refused).contains("Nothing was sent, so no job was kept"),
        "{}",
        text(&refused)
    );
    let (_, jobs) = listed_jobs(&emu, &data).await;
    assert!(jobs.is_empty(), "{jobs:?}");
}

#[tokio::test]
async fn control_characters_typed_in_a_prompt_are_neither_sent_nor_printed() {
    let emu = emulator_with(EmulatorConfig::default()).await;
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let mut generate = makistry(&emu, &data);
    generate.env("RUST_LOG", "warn").args([
        "generate",
        "a box\u{1b}[2J with a hole\u{7}",
        "--no-wait",
    ]);
    let sent = run(generate).await;
    assert!(sent.status.success(), "{}", text(&sent));
    let prompts: Vec<String> = emu.jobs().iter().map(|j| j.prompt.clone()).collect();
    assert_eq!(prompts, ["a box[2J with a hole"]);
    let mut list = makistry(&emu, &data);
    list.env("RUST_LOG", "warn").arg("jobs");
    let listed = run(list).await;
    assert!(!listed.stdout.iter().any(|b| *b == 0x1b || *b == 0x07));
}

#[tokio::test]
async fn six_generate_commands_on_one_key_at_the_real_pace_earn_no_429() {
    // The service's own limits and job times (30 s to 2 min), as `makistry emulator` without
    // `--fast`: together the six poll far faster than 20 requests a minute allows.
    let emu = emulator_with(EmulatorConfig {
        timing: makistry::emulator::Timing::Realistic,
        ..EmulatorConfig::default()
    })
    .await;
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    crate::support::cli::generate_gears_at_once(&emu, &data, work.path(), 6).await;
    let stats = emu.stats();
    assert_eq!(stats.by_status.get(&429), None, "{stats:?}");
    assert_eq!(emu.jobs().len(), 6);
}

#[cfg(unix)]
#[tokio::test]
async fn the_history_and_the_data_directory_are_the_users_alone() {
    use std::os::unix::fs::PermissionsExt;
    let emu = emulator_with(EmulatorConfig::default()).await;
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let (listed, _) = listed_jobs(&emu, &data).await;
    assert!(listed.status.success(), "{}", text(&listed));
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("jobs.db")), 0o600);
}
