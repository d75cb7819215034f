//! The shared job history on a real database file: reopening, a write only when something
//! changed, a corrupt or newer database kept aside, the old `jobs.json` imported once, leases
//! (one driver, taken over when the owner is gone), and a process killed with SIGKILL in the
//! middle of writing losing nothing it had committed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use makistry::api::OutputFormat;
use makistry::jobs::{JobStore, StoreNotice};

use crate::support::new_job;

#[test]
fn jobs_survive_reopening_and_an_unchanged_job_is_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let (store, notice) = JobStore::open(dir.path()).unwrap();
    assert!(notice.is_none());
    let job = new_job("a box", OutputFormat::Stl);
    store.insert(job.clone()).unwrap();
    store
        .update(&job.id, |j| j.remote_id = Some("pub_1".into()))
        .unwrap();
    let revision = store.all().unwrap().revision;
    // Nothing changed: no write, so no new revision for other processes to read.
    store
        .update(&job.id, |j| j.remote_id = Some("pub_1".into()))
        .unwrap();
    assert_eq!(store.all().unwrap().revision, revision);
    drop(store);

    let (reopened, _) = JobStore::open(dir.path()).unwrap();
    let stored = reopened.get(&job.id).unwrap().unwrap();
    assert_eq!(stored.remote_id.as_deref(), Some("pub_1"));
    assert_eq!(reopened.all().unwrap().jobs.len(), 1);
}

#[test]
fn a_corrupt_database_is_kept_aside_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = b"this is not an SQLite database, it is half a jobs file".repeat(100);
    std::fs::write(dir.path().join("jobs.db"), &garbage).unwrap();
    let (store, notice) = JobStore::open(dir.path()).unwrap();
    let Some(StoreNotice::Unreadable { kept_at, .. }) = notice else {
        panic!("{notice:?}")
    };
    assert_eq!(std::fs::read(&kept_at).unwrap(), garbage);
    store.insert(new_job("new", OutputFormat::Glb)).unwrap();
    assert_eq!(std::fs::read(&kept_at).unwrap(), garbage, "never written");
    assert_eq!(store.all().unwrap().jobs.len(), 1);
}

#[test]
fn a_database_from_a_newer_version_is_kept_aside_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let newer = rusqlite::Connection::open(dir.path().join("jobs.db")).unwrap();
    newer
        .execute_batch("CREATE TABLE future (x); PRAGMA user_version = 7;")
        .unwrap();
    drop(newer);
    let (store, notice) = JobStore::open(dir.path()).unwrap();
    let Some(StoreNotice::NewerVersion {
        kept_at,
        version: 7,
    }) = notice
    else {
        panic!("{notice:?}")
    };
    assert!(kept_at.exists());
    assert!(notice_sentence_names(&kept_at));
    assert!(store.all().unwrap().jobs.is_empty());
}

fn notice_sentence_names(kept_at: &std::path::Path) -> bool {
    let notice = StoreNotice::NewerVersion {
        kept_at: kept_at.to_path_buf(),
        version: 7,
    };
    notice.sentence().contains(&kept_at.display().to_string())
}

#[test]
fn an_old_jobs_json_is_imported_once_and_kept_as_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = vec![
        new_job("a lens cap", OutputFormat::Glb),
        new_job("a gear", OutputFormat::Stl),
    ];
    let legacy = serde_json::json!({ "schema_version": 1, "jobs": jobs });
    std::fs::write(
        dir.path().join("jobs.json"),
        serde_json::to_vec_pretty(&legacy).unwrap(),
    )
    .unwrap();
    let (store, notice) = JobStore::open(dir.path()).unwrap();
    assert!(notice.is_none(), "{notice:?}");
    let mut ids: Vec<String> = store
        .all()
        .unwrap()
        .jobs
        .into_iter()
        .map(|j| j.id)
        .collect();
    ids.sort();
    let mut expected: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();
    expected.sort();
    assert_eq!(ids, expected);
    assert!(!dir.path().join("jobs.json").exists());
    let backups: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("jobs.json.imported-")
        })
        .collect();
    assert_eq!(backups.len(), 1, "kept beside the database");
    drop(store);
    let (store, _) = JobStore::open(dir.path()).unwrap();
    assert_eq!(store.all().unwrap().jobs.len(), 2, "imported once");
}

#[test]
fn one_store_drives_a_job_until_its_owner_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = JobStore::open(dir.path()).unwrap();
    let (second, _) = JobStore::open(dir.path()).unwrap();
    let job = new_job("a box", OutputFormat::Stl);
    first.insert(job.clone()).unwrap();
    assert!(first.try_lease(&job.id, Duration::from_secs(30)).unwrap());
    assert!(!second.try_lease(&job.id, Duration::from_secs(30)).unwrap());
    assert!(
        second
            .unleased(std::slice::from_ref(&job.id))
            .unwrap()
            .is_empty()
    );
    // Writes by a store that does not hold the lease are refused.
    assert!(
        second
            .update_as_driver(&job.id, |j| j.resubmissions = 1)
            .is_err()
    );
    drop(first); // its process "dies": its owner lock goes with it
    let free = second.unleased(std::slice::from_ref(&job.id)).unwrap();
    assert_eq!(free, std::slice::from_ref(&job.id));
    assert!(second.try_lease(&job.id, Duration::from_secs(30)).unwrap());
    assert!(
        second
            .update_as_driver(&job.id, |j| j.resubmissions = 1)
            .is_ok()
    );

    // A lease that ran out is free even while its owner lives.
    let (third, _) = JobStore::open(dir.path()).unwrap();
    let other = new_job("a gear", OutputFormat::Stl);
    third.insert(other.clone()).unwrap();
    assert!(
        third
            .try_lease(&other.id, Duration::from_millis(1))
            .unwrap()
    );
    std::thread::sleep(Duration::from_millis(20));
    assert!(
        second
            .try_lease(&other.id, Duration::from_secs(30))
            .unwrap()
    );
}

/// Not a test on its own: the child process of the SIGKILL test, which runs it with
/// `--ignored`. It inserts jobs as fast as it can and prints each id once its transaction has
/// committed.
#[test]
#[ignore = "the child process of a_process_killed_while_writing_loses_nothing_it_committed"]
fn writer_child() {
    let dir = std::env::var_os("MAKISTRY_TEST_WRITER_DIR")
        .expect("run by the SIGKILL test, which names the directory");
    let (store, _) = JobStore::open(std::path::Path::new(&dir)).unwrap();
    for n in 0.. {
        let job = new_job(&format!("job {n}"), OutputFormat::Stl);
        store.insert(job.clone()).unwrap();
        println!("committed {}", job.id);
    }
}

#[test]
fn a_process_killed_while_writing_loses_nothing_it_committed() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "history::writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("MAKISTRY_TEST_WRITER_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut committed = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while committed.len() < 200 {
        let line = lines.next().expect("the writer runs").unwrap();
        if let Some(id) = line.strip_prefix("committed ") {
            committed.push(id.to_string());
        }
    }
    child.kill().unwrap(); // SIGKILL, in the middle of its next transactions
    child.wait().unwrap();
    let (store, notice) = JobStore::open(dir.path()).unwrap();
    assert!(notice.is_none(), "{notice:?}");
    for id in &committed {
        assert!(store.get(id).unwrap().is_some(), "job {id} was lost");
    }
}
