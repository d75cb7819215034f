//! The job tracker against the emulator: whole jobs to parseable files, the contract's
//! job-level retry rules, expiry and time-outs, and the store it writes as it goes. Waits are
//! the contract's, scaled down.

use std::time::Duration;

use makistry::api::{DesignMode, OutputFormat};
use makistry::emulator::{EmulatorConfig, Timing};
use makistry::jobs::{JobEvent, JobStore, Outcome, Phase};

use crate::support::cad::load_mesh;
use crate::support::{new_job, scaled_emulator, tracker_for};

/// Poll every 50 ms instead of 5 s; standard jobs time out after 3 s instead of 5 min.
const SCALE: f64 = 0.01;

/// Jobs that take 0.3 s ("30 s" at [`SCALE`]), so a job costs a few polls as in real life.
fn quick_jobs() -> EmulatorConfig {
    let timing = Timing::Fixed {
        queued: Duration::from_millis(100),
        processing: Duration::from_millis(200),
    };
    EmulatorConfig {
        timing,
        ..EmulatorConfig::default()
    }
}

#[tokio::test]
async fn a_job_runs_to_a_downloaded_parseable_file_and_is_stored_at_each_step() {
    let emu = scaled_emulator(SCALE, quick_jobs()).await;
    let mut setup = tracker_for(&emu, SCALE);
    let job = setup
        .tracker
        .record(new_job(
            "a 60 mm lens cap with a snap-fit lip",
            OutputFormat::Glb,
        ))
        .await
        .unwrap();
    // Recorded, with its key, before anything was sent.
    let (reopened, _) = JobStore::open(setup.dir.path()).unwrap();
    assert_eq!(
        reopened.get(&job.id).unwrap().unwrap().phase,
        Phase::Submitting
    );
    assert_eq!(emu.stats().requests, 0);

    emu.advance_clock(Duration::from_secs(1));
    let done = setup.tracker.run(&job.id).await.unwrap();
    assert!(matches!(done.phase, Phase::Done { .. }));
    assert_eq!(
        done.brainstorm().unwrap().project_name,
        "Lens Cap — 60mm OD"
    );
    let report = done.phase.report().unwrap();
    assert!(report.tokens_used.is_some() && report.latency_ms.is_some());
    let file = done.file().unwrap().to_path_buf();
    let mesh = load_mesh("cap.glb", std::fs::read(&file).unwrap()).unwrap();
    assert!(mesh.triangles > 1000);

    let mut phases = Vec::new();
    let mut progress = 0;
    while let Ok(event) = setup.events.try_recv() {
        match event {
            JobEvent::Updated(job) if phases.last() != Some(&job.phase) => {
                phases.push(job.phase.clone())
            }
            JobEvent::Progress { .. } => progress += 1,
            _ => {}
        }
    }
    assert_eq!(phases.first(), Some(&Phase::Submitting));
    assert!(phases.contains(&Phase::Queued) || phases.contains(&Phase::Processing));
    assert_eq!(
        phases[phases.len() - 2..]
            .iter()
            .map(Phase::label)
            .collect::<Vec<_>>(),
        ["downloading", "done"]
    );
    assert!(progress > 0);
    let (reopened, _) = JobStore::open(setup.dir.path()).unwrap();
    assert_eq!(reopened.get(&job.id).unwrap().unwrap(), done);
    assert_eq!(emu.jobs().len(), 1);
}

#[tokio::test]
async fn prompt_problems_fail_without_a_second_submission() {
    let emu = scaled_emulator(SCALE, quick_jobs()).await;
    let setup = tracker_for(&emu, SCALE);
    for code in ["prompt_too_ambiguous", "geometry_validation_failed"] {
        let job = setup
            .tracker
            .record(new_job(&format!("a box [fail:{code}]"), OutputFormat::Stl))
            .await
            .unwrap();
        let failed = setup.tracker.run(&job.id).await.unwrap();
        assert!(matches!(failed.phase, Phase::Failed { .. }));
        let error = failed.error.unwrap();
        assert_eq!(error.code, code);
        assert!(!error.action.is_empty());
    }
    assert_eq!(emu.jobs().len(), 2);
}

#[tokio::test]
async fn transient_failures_are_resubmitted_once_with_a_new_idempotency_key() {
    let emu = scaled_emulator(SCALE, quick_jobs()).await;
    let setup = tracker_for(&emu, SCALE);
    for code in ["code_generation_failed", "sandbox_timeout", "export_failed"] {
        let job = setup
            .tracker
            .record(new_job(
                &format!("a gear [fail:{code}*1]"),
                OutputFormat::Glb,
            ))
            .await
            .unwrap();
        let done = setup.tracker.run(&job.id).await.unwrap();
        assert!(matches!(done.phase, Phase::Done { .. }), "{code}");
        assert_eq!(done.resubmissions, 1);
        assert_eq!(done.earlier_remote_ids.len(), 1);
    }
    let jobs = emu.jobs();
    assert_eq!(jobs.len(), 6);
    assert_ne!(jobs[0].idempotency_key, jobs[1].idempotency_key);

    let job = setup
        .tracker
        .record(new_job("a gear [fail:export_failed]", OutputFormat::Glb))
        .await
        .unwrap();
    let failed = setup.tracker.run(&job.id).await.unwrap();
    assert!(matches!(failed.phase, Phase::Failed { .. }), "only once");
    assert_eq!(emu.jobs().len(), 8);
}

#[tokio::test]
async fn internal_errors_are_retried_after_30_s_then_5_min() {
    let emu = scaled_emulator(SCALE, quick_jobs()).await;
    // 30 s → 0.3 s and 5 min → 3 s.
    let setup = tracker_for(&emu, SCALE);
    let job = setup
        .tracker
        .record(new_job("a box [fail:internal_error*2]", OutputFormat::Glb))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let done = setup.tracker.run(&job.id).await.unwrap();
    assert!(matches!(done.phase, Phase::Done { .. }));
    assert!(
        started.elapsed() >= Duration::from_millis(3300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(emu.jobs().len(), 3);
}

#[tokio::test]
async fn a_job_past_its_mode_time_out_is_still_running_and_can_be_checked_again() {
    let emu = scaled_emulator(
        0.001,
        EmulatorConfig {
            timing: Timing::Realistic,
            ..EmulatorConfig::default()
        },
    )
    .await;
    let setup = tracker_for(&emu, 0.001);
    let mut record = new_job("an enclosure with a lid", OutputFormat::ThreeMf);
    record.spec.mode = DesignMode::Assembly;
    let job = setup.tracker.record(record).await.unwrap();
    let waiting = setup.tracker.run(&job.id).await.unwrap();
    assert!(
        matches!(waiting.phase, Phase::StillRunning { .. }),
        "25 min scaled to 1.5 s, and the job needs 2+ min"
    );
    assert!(waiting.file().is_none());

    emu.advance_clock(Duration::from_secs(16 * 60));
    setup
        .tracker
        .store()
        .update(&job.id, |j| j.check_again(chrono::Utc::now()))
        .unwrap();
    let done = setup.tracker.run(&job.id).await.unwrap();
    assert!(matches!(done.phase, Phase::Done { .. }), "{:?}", done.error);
    assert_eq!(emu.jobs().len(), 1, "checking again never re-submits");
}

#[tokio::test]
async fn a_job_left_unresumed_past_30_days_ends_as_expired() {
    let emu = scaled_emulator(SCALE, quick_jobs()).await;
    let setup = tracker_for(&emu, SCALE);
    let job = setup
        .tracker
        .record(new_job("a box", OutputFormat::Step))
        .await
        .unwrap();
    // Accepted (as the tracker would record it), then the app stays closed for 31 days.
    let request = makistry::api::JobRequest {
        prompt: job.spec.prompt.clone(),
        mode: job.spec.mode,
        format: job.spec.format,
        images: vec![],
        metadata: None,
    };
    let accepted = crate::support::client_for(&emu)
        .submit(&request, &job.idempotency_key, &makistry::api::ignore_waits)
        .await
        .unwrap();
    let outcome = Outcome::Accepted {
        remote_id: accepted.job_id,
        status: accepted.status,
    };
    setup
        .tracker
        .store()
        .update(&job.id, |j| j.apply(outcome, chrono::Utc::now(), SCALE))
        .unwrap();
    emu.advance_clock(Duration::from_secs(31 * 86_400));

    let expired = setup.tracker.run(&job.id).await.unwrap();
    assert!(matches!(expired.phase, Phase::Expired { .. }));
    assert!(expired.error.unwrap().action.contains("again"));
    assert_eq!(emu.jobs().len(), 1);
}

#[tokio::test]
async fn a_download_that_keeps_failing_waits_for_resume_and_then_completes() {
    let emu = scaled_emulator(SCALE, quick_jobs()).await;
    let setup = tracker_for(&emu, SCALE);
    emu.set_faults(makistry::emulator::Faults {
        cut_download_next: 3,
        ..Default::default()
    });
    let job = setup
        .tracker
        .record(new_job("a gear", OutputFormat::Stl))
        .await
        .unwrap();
    let stuck = setup.tracker.run(&job.id).await.unwrap();
    assert!(matches!(stuck.phase, Phase::Downloading { .. }));
    assert_eq!(stuck.error.as_ref().unwrap().code, "network_error");
    let files = setup.tracker.store().files_dir();
    assert_eq!(
        std::fs::read_dir(&files).map(|d| d.count()).unwrap_or(0),
        0,
        "nothing partial is kept"
    );
    let done = setup.tracker.run(&job.id).await.unwrap();
    assert!(matches!(done.phase, Phase::Done { .. }));
    assert!(done.error.is_none());
    assert_eq!(emu.jobs().len(), 1);
}

#[tokio::test]
async fn a_job_whose_answers_are_unlike_the_docs_finishes_and_downloads_its_file() {
    let emu = scaled_emulator(SCALE, quick_jobs()).await;
    // Within the contract's letter: unknown fields, nulls, float counts, a status the docs do
    // not list while the job runs, and a download link that redirects.
    emu.set_faults(makistry::emulator::Faults {
        odd_answers: true,
        undocumented_status: true,
        redirect_downloads: true,
        ..makistry::emulator::Faults::default()
    });
    let setup = tracker_for(&emu, SCALE);
    let job = setup
        .tracker
        .record(new_job("a 60 mm lens cap", OutputFormat::Stl))
        .await
        .unwrap();
    let done = setup.tracker.run(&job.id).await.unwrap();
    assert!(matches!(done.phase, Phase::Done { .. }), "{:?}", done.error);
    let brainstorm = done.brainstorm().unwrap().clone();
    assert_eq!(brainstorm.project_name, "Lens Cap — 60mm OD");
    assert!(brainstorm.key_features.is_empty());
    assert!(!brainstorm.suggestions.is_empty());
    assert!(done.tokens_used().is_some());
    let served = emu.jobs()[0].clone();
    let file = std::fs::read(done.file().unwrap()).unwrap();
    let mesh = load_mesh("cap.stl", file).unwrap();
    assert!(mesh.triangles > 1000, "{served:?}");
    assert_eq!(emu.stats().downloads_with_credentials, 0);
    assert_eq!(emu.jobs().len(), 1, "one job on the server");
}

#[tokio::test]
async fn no_format_ends_done_with_a_file_cut_short() {
    let emu = scaled_emulator(SCALE, quick_jobs()).await;
    let setup = tracker_for(&emu, SCALE);
    for format in OutputFormat::ALL {
        // Every link serves half the file as if it were all of it.
        emu.set_faults(makistry::emulator::Faults {
            truncate_download_next: 100,
            ..makistry::emulator::Faults::default()
        });
        let job = setup
            .tracker
            .record(new_job("an enclosure", format))
            .await
            .unwrap();
        let stopped = setup.tracker.run(&job.id).await.unwrap();
        assert!(!matches!(stopped.phase, Phase::Done { .. }), "{format:?}");
        assert_eq!(stopped.file(), None, "{format:?}");
        let error = stopped.error.clone().unwrap();
        assert_eq!(error.code, "incomplete_download", "{format:?}");
        assert!(error.sentence.contains("incomplete"), "{}", error.sentence);
        let files = setup.dir.path().join("files");
        let kept = std::fs::read_dir(&files).map_or(0, |d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(&stopped.id))
                .count()
        });
        assert_eq!(kept, 0, "{format:?}: nothing of the short file is kept");

        // One short download, then a whole one: fetched again with a fresh link, done.
        emu.set_faults(makistry::emulator::Faults {
            truncate_download_next: 1,
            ..makistry::emulator::Faults::default()
        });
        let job = setup
            .tracker
            .record(new_job("an enclosure", format))
            .await
            .unwrap();
        let done = setup.tracker.run(&job.id).await.unwrap();
        assert!(
            matches!(done.phase, Phase::Done { .. }),
            "{format:?}: {:?}",
            done.error
        );
        let file = std::fs::read(done.file().unwrap()).unwrap();
        let served = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("assets/parts/enclosure.{}", format.extension())),
        )
        .unwrap();
        assert_eq!(file, served, "{format:?}: the whole file");
    }
}
