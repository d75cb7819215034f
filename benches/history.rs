//! The job history (SQLite): opening a history of 10,000 jobs as the window does at start
//! (open, migrate, read every job), a search, one poll that changed its job (its search index
//! kept by triggers), and, printed before the
//! timings, the bytes each poll writes now against what the JSON history rewrote per poll.
//!
//! `cargo bench --bench history`. The 10,000-job history is made in `target/bench-data/`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use makistry::api::{DesignMode, OutputFormat};
use makistry::jobs::{JobRecord, JobStore};

#[path = "support/jobs.rs"]
mod jobs;
use jobs::finished_job;

const JOBS: usize = 10_000;

fn history_of(jobs: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-data")
        .join(format!("history-{jobs}"));
    if !dir.join("jobs.db").exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let (store, _) = JobStore::open(&dir).unwrap();
        let records: Vec<JobRecord> = (0..jobs).map(finished_job).collect();
        store.insert_all(&records).unwrap();
    }
    dir
}

/// Bytes this process has passed to write() so far (Linux).
fn written() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|l| l.strip_prefix("wchar: ").map(|n| n.trim().parse().ok()))?
        })
        .unwrap_or(0)
}

/// Bytes written by `polls` polls of one running job in a history of `jobs` jobs.
fn bytes_per_poll(jobs: usize, changed: bool) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = JobStore::open(dir.path()).unwrap();
    store
        .insert_all(&(0..jobs).map(finished_job).collect::<Vec<_>>())
        .unwrap();
    let running = JobRecord::new(
        "a box".into(),
        vec![],
        DesignMode::Standard,
        OutputFormat::Step,
        Utc::now(),
    );
    store.insert(running.clone()).unwrap();
    let polls = 100u64;
    let before = written();
    for n in 0..polls {
        store
            .update(&running.id, |job| {
                if changed {
                    job.resubmissions = n as u32;
                }
            })
            .unwrap();
    }
    (written() - before) / polls
}

fn report_bytes() {
    for jobs in [100, JOBS] {
        let old: Vec<JobRecord> = (0..jobs).map(finished_job).collect();
        let json =
            serde_json::to_vec_pretty(&serde_json::json!({"schema_version": 1, "jobs": old}))
                .unwrap()
                .len();
        println!(
            "history of {jobs} jobs: a poll wrote {json} bytes before (jobs.json rewritten); now \
             {} bytes when the job changed, {} when it did not",
            bytes_per_poll(jobs, true),
            bytes_per_poll(jobs, false)
        );
    }
}

fn history(c: &mut Criterion) {
    report_bytes();
    let dir = history_of(JOBS);
    let mut group = c.benchmark_group("history");
    group.sample_size(20);
    group.bench_function("open 10,000 jobs and read them all", |b| {
        b.iter(|| {
            let (store, _) = JobStore::open(&dir).unwrap();
            store.all().unwrap().jobs.len()
        })
    });
    let (store, _) = JobStore::open(&dir).unwrap();
    // What the window reads at connect instead: every job's outline, the newest 60 records
    // and the unfinished ones (the rest is read as it comes into view).
    group.bench_function(
        "the window's first look at 10,000 jobs (outline, 60 records)",
        |b| {
            b.iter(|| {
                let outline = store.outline().unwrap();
                let newest: Vec<String> = (outline.entries.iter().take(60))
                    .map(|e| e.id.clone())
                    .collect();
                store.unfinished().unwrap().len() + store.records(&newest).unwrap().len()
            })
        },
    );
    group.bench_function("a screenful of records by id (30 of 10,000)", |b| {
        let outline = store.outline().unwrap();
        let ids: Vec<String> = (outline.entries.iter().skip(5000).take(30))
            .map(|e| e.id.clone())
            .collect();
        b.iter(|| assert_eq!(store.records(&ids).unwrap().len(), 30))
    });
    let id = store.all().unwrap().jobs[0].id.clone();
    let mut n = 0u64;
    group.bench_function("search 10,000 jobs for one (\"9000 mm spacer\")", |b| {
        b.iter(|| {
            let found = store.search("9000 mm spacer").unwrap();
            assert_eq!(found.len(), 1);
        })
    });
    group.bench_function("search 10,000 jobs as typed (\"sp\": every job)", |b| {
        b.iter(|| store.search("sp").unwrap().len())
    });
    group.bench_function("a poll that changed its job (one transaction)", |b| {
        b.iter(|| {
            n += 1;
            store
                .update(&id, |job| job.resubmissions = n as u32)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, history);
criterion_main!(benches);
