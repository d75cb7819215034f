//! Searching the history, on a real database file and through the CLI as a user runs it:
//! prompt, project name, key features, format and date; a job that changes is found by its
//! new words; a history from before the index is searched read-only and indexed when opened;
//! and in thousands of jobs, `makistry jobs --search` finds exactly the one asked for.

use std::process::Command;

use chrono::TimeZone;
use makistry::api::{Brainstorm, OutputFormat};
use makistry::jobs::{JobRecord, JobStore, ServiceReport};

use crate::support::new_job;

fn prompts(jobs: &[JobRecord]) -> Vec<&str> {
    jobs.iter().map(|j| j.spec.prompt.as_str()).collect()
}

fn finished(prompt: &str, format: OutputFormat, project: &str, features: &[&str]) -> JobRecord {
    let mut job = new_job(prompt, format);
    let brainstorm = Brainstorm {
        project_name: project.into(),
        key_features: features.iter().map(|f| (*f).into()).collect(),
        ..Brainstorm::default()
    };
    let report = ServiceReport {
        brainstorm: Some(brainstorm),
        ..ServiceReport::default()
    };
    job.phase = crate::support::done("part.step", report);
    job
}

#[test]
fn a_search_finds_jobs_by_their_words_and_follows_their_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = JobStore::open(dir.path()).unwrap();
    let cap = finished(
        "A 60 mm lens cap with a snap-fit lip",
        OutputFormat::Step,
        "Lens Cap — 60mm OD",
        &["snap-fit lip", "knurled rim"],
    );
    let mut bracket = finished(
        "An L-bracket for a shelf",
        OutputFormat::Stl,
        "Shelf Bracket",
        &["countersunk holes"],
    );
    bracket.created_at = chrono::Utc.with_ymd_and_hms(2025, 3, 14, 9, 0, 0).unwrap();
    store.insert_all(&[cap.clone(), bracket.clone()]).unwrap();

    let found = |text: &str| prompts(&store.search(text).unwrap()).join(" | ");
    assert_eq!(found("lens"), cap.spec.prompt, "a prompt's word");
    assert_eq!(
        found("LENS CA"),
        cap.spec.prompt,
        "any case; the last word a prefix"
    );
    assert_eq!(found("shelf bracket"), bracket.spec.prompt);
    assert_eq!(found("knurled"), cap.spec.prompt, "a key feature");
    assert_eq!(found("stl"), bracket.spec.prompt, "the format");
    assert_eq!(found("2025-03"), bracket.spec.prompt, "the date");
    assert_eq!(found("lens bracket"), "", "every word must match");
    assert_eq!(found("\"OR\" NEAR("), "", "search syntax is only text");
    assert_eq!(store.search("  ").unwrap().len(), 2, "no word: every job");

    store
        .update(&bracket.id, |j| j.spec.prompt = "A wall hook".into())
        .unwrap();
    assert_eq!(
        found("shelf bracket"),
        "A wall hook",
        "found by its project still"
    );
    assert_eq!(found("hook"), "A wall hook", "its new prompt is found");

    let unsent = new_job("a cable clip", OutputFormat::Stl);
    store.insert(unsent.clone()).unwrap();
    assert_eq!(found("clip"), "a cable clip");
    // Removed by another process (jobs are removed only as never sent; any remover counts).
    rusqlite::Connection::open(dir.path().join("jobs.db"))
        .unwrap()
        .execute("DELETE FROM jobs WHERE id = ?1", [&unsent.id])
        .unwrap();
    assert_eq!(found("clip"), "", "a removed job is not found");
}

#[test]
fn a_history_from_before_the_index_is_indexed_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = JobStore::open(dir.path()).unwrap();
    store
        .insert(new_job("a hinge pin", OutputFormat::Glb))
        .unwrap();
    drop(store);
    // As an earlier build left it: the jobs, and no index or triggers.
    let db = rusqlite::Connection::open(dir.path().join("jobs.db")).unwrap();
    db.execute_batch(
        "DROP TRIGGER job_search_insert; DROP TRIGGER job_search_update;
         DROP TRIGGER job_search_delete; DROP TABLE job_search;",
    )
    .unwrap();
    let job: JobRecord = new_job("a door stop", OutputFormat::Stl);
    db.execute(
        "INSERT INTO jobs (id, created_at, revision, record) VALUES (?1, ?2, 1, ?3)",
        rusqlite::params![
            job.id,
            job.created_at.to_rfc3339(),
            serde_json::to_string(&job).unwrap()
        ],
    )
    .unwrap();
    drop(db);

    // Read-only (a data dir that cannot be written): searched record by record, alike.
    let reader = JobStore::open_read_only(dir.path()).unwrap();
    assert_eq!(
        prompts(&reader.search("HINGE pi").unwrap()),
        ["a hinge pin"]
    );
    assert_eq!(prompts(&reader.search("stl").unwrap()), ["a door stop"]);
    assert_eq!(prompts(&reader.search("hinge stop").unwrap()), [""; 0]);
    drop(reader);

    let (store, _) = JobStore::open(dir.path()).unwrap();
    assert_eq!(prompts(&store.search("hinge").unwrap()), ["a hinge pin"]);
    assert_eq!(prompts(&store.search("door").unwrap()), ["a door stop"]);
}

#[test]
fn the_cli_finds_one_job_in_thousands() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = JobStore::open(dir.path()).unwrap();
    let jobs: Vec<JobRecord> = (0..3000)
        .map(|n| new_job(&format!("A spacer, variant {n}"), OutputFormat::Step))
        .collect();
    store.insert_all(&jobs).unwrap();
    drop(store);

    let search = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_makistry"))
            .env("MAKISTRY_DATA_DIR", dir.path())
            .env("RUST_LOG", "warn")
            .args(["jobs", "--search"])
            .args(args)
            .output()
            .expect("makistry runs");
        assert!(output.status.success(), "{output:?}");
        output.stdout
    };
    let listed: Vec<serde_json::Value> =
        serde_json::from_slice(&search(&["variant 2900", "--json"])).unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["prompt"], "A spacer, variant 2900");
    assert_eq!(listed[0]["id"], jobs[2900].id.as_str());

    let table = String::from_utf8(search(&["variant 29"])).unwrap();
    assert_eq!(
        table.lines().count(),
        1 + 111,
        "a header, then 29, 290–299 and 2900–2999:\n{table}"
    );
    let none = String::from_utf8(search(&["gearbox"])).unwrap();
    assert_eq!(none.trim(), "No job matches that search.");
}
