//! Helpers shared by the integration tests.

#![allow(dead_code)]

pub mod cad;
pub mod cli;
pub mod images;

/// Longer than any corpus file takes to load, short enough that a hang fails the run.
pub const LOAD_DEADLINE: Duration = Duration::from_secs(120);

/// Loads a file on a thread of its own, so a hang is a failure with the file's name, not a
/// stuck run.
pub fn load_within_deadline(
    path: std::path::PathBuf,
) -> Result<makistry::model::Model, makistry::model::LoadError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let name = path.display().to_string();
    std::thread::spawn(move || {
        let _ = sender.send(makistry::model::load_path(&path));
    });
    receiver
        .recv_timeout(LOAD_DEADLINE)
        .unwrap_or_else(|_| panic!("{name}: no answer in {LOAD_DEADLINE:?} (hung or crashed)"))
}

use std::sync::Arc;
use std::time::Duration;

use makistry::api::{Client, DesignMode, OutputFormat, RequestBudget, RetryPolicy, Window};
use makistry::emulator::{Emulator, EmulatorConfig, RateLimits};
use makistry::jobs::{JobEvent, JobRecord, JobStore, Tracker};
use makistry::keychain::Secret;
use reqwest::{RequestBuilder, Response};
use serde_json::{Value, json};

/// An emulator with default settings (fast jobs, one key).
pub async fn emulator() -> Emulator {
    emulator_with(EmulatorConfig::default()).await
}

/// An emulator with `config`.
pub async fn emulator_with(config: EmulatorConfig) -> Emulator {
    Emulator::start_with(config).await.expect("emulator starts")
}

/// Limits high enough that a test sending many requests never meets them.
pub fn no_rate_limits() -> RateLimits {
    RateLimits {
        per_minute: 100_000,
        per_hour: 100_000,
        ..RateLimits::default()
    }
}

/// The contract's retry schedule in milliseconds instead of seconds.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        transient: [2, 4, 8].map(Duration::from_millis).to_vec(),
        rate_limited: [60, 120, 240, 480].map(Duration::from_millis).to_vec(),
    }
}

/// The app's client for the emulator's first key, with quick retries.
pub fn client_for(emu: &Emulator) -> Client {
    client_with_key(emu, emu.api_key())
}

/// The app's client for `key` on the emulator, with quick retries.
pub fn client_with_key(emu: &Emulator, key: &str) -> Client {
    Client::new(
        &emu.base_url(),
        Secret::new(key),
        Arc::new(RequestBudget::contract()),
    )
    .expect("client builds")
    .with_retry_policy(quick_retries())
}

/// Everything [`tracker_for`] returns: the tracker, its history directory, its events.
pub struct TrackerSetup {
    /// The tracker.
    pub tracker: Tracker,
    /// The history's directory (deleted on drop).
    pub dir: tempfile::TempDir,
    /// The tracker's events.
    pub events: tokio::sync::mpsc::UnboundedReceiver<JobEvent>,
}

/// The contract's rate windows (20 a minute, 100 an hour) with their lengths scaled by `scale`.
pub fn scaled_rate_limits(scale: f64) -> RateLimits {
    let default = RateLimits::default();
    RateLimits {
        minute: default.minute.mul_f64(scale),
        hour: default.hour.mul_f64(scale),
        ..default
    }
}

/// An emulator whose rate windows are the contract's, scaled like a [`tracker_for`] tracker.
pub async fn scaled_emulator(scale: f64, config: EmulatorConfig) -> Emulator {
    emulator_with(EmulatorConfig {
        rate_limits: scaled_rate_limits(scale),
        ..config
    })
    .await
}

/// A tracker on the emulator with a fresh history and the whole contract scaled by `scale`:
/// poll intervals, time-outs, re-submission delays and the request budget's windows (use it
/// with [`scaled_emulator`], whose server windows match).
pub fn tracker_for(emu: &Emulator, scale: f64) -> TrackerSetup {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, _) = JobStore::open(dir.path()).expect("store opens");
    let (sender, events) = tokio::sync::mpsc::unbounded_channel();
    let limits = scaled_rate_limits(scale);
    let budget = RequestBudget::new(vec![
        Window {
            limit: limits.per_minute,
            length: limits.minute,
        },
        Window {
            limit: limits.per_hour,
            length: limits.hour,
        },
    ]);
    let client = Client::new(
        &emu.base_url(),
        Secret::new(emu.api_key()),
        Arc::new(budget),
    )
    .expect("client builds")
    .with_retry_policy(quick_retries());
    let tracker =
        Tracker::new(client, Arc::new(store), sender, Arc::new(|| {})).with_time_scale(scale);
    TrackerSetup {
        tracker,
        dir,
        events,
    }
}

/// A new job for `prompt`.
pub fn new_job(prompt: &str, format: OutputFormat) -> JobRecord {
    JobRecord::new(
        prompt.into(),
        vec![],
        DesignMode::Standard,
        format,
        chrono::Utc::now(),
    )
}

/// The phase of a job whose part was stored at `file`, with the service's `report`.
pub fn done(file: &str, report: makistry::jobs::ServiceReport) -> makistry::jobs::Phase {
    makistry::jobs::Phase::Done {
        report,
        file: file.into(),
        finished_at: Some(chrono::Utc::now()),
    }
}

/// A plain HTTP client (the emulator is examined with reqwest directly, not the app's client).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client builds")
}

/// `POST /v1/text-to-cad` with `body`, authorised with `key`.
pub fn text_job(emu: &Emulator, key: &str, body: &Value) -> RequestBuilder {
    http()
        .post(format!("{}/text-to-cad", emu.base_url()))
        .bearer_auth(key)
        .json(body)
}

/// `GET /v1/jobs/{id}` authorised with `key`.
pub fn get_job(emu: &Emulator, key: &str, job_id: &str) -> RequestBuilder {
    http()
        .get(format!("{}/jobs/{job_id}", emu.base_url()))
        .bearer_auth(key)
}

/// Submits a text job and returns its id (panics unless 202).
pub async fn submit(emu: &Emulator, body: Value) -> String {
    let response = text_job(emu, emu.api_key(), &body)
        .send()
        .await
        .expect("request sent");
    assert_eq!(
        response.status(),
        202,
        "submission refused: {}",
        response.text().await.unwrap_or_default()
    );
    let accepted: Value = response.json().await.expect("json");
    assert_eq!(accepted["status"], "queued");
    accepted["job_id"].as_str().expect("job_id").to_string()
}

/// A standard text job for `prompt` in `format`.
pub fn prompt_body(prompt: &str, format: &str) -> Value {
    json!({ "prompt": prompt, "output_format": format })
}

/// Sends `request` and returns the HTTP status.
pub async fn status_of(request: RequestBuilder) -> u16 {
    request
        .send()
        .await
        .expect("request sent")
        .status()
        .as_u16()
}

/// Reads an error response: (status, error_code, message).
pub async fn error_of(response: Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("error body is JSON");
    (
        status,
        body["error_code"].as_str().unwrap_or("").into(),
        body["message"].as_str().unwrap_or("").into(),
    )
}

/// The job as the API reports it now.
pub async fn job_json(emu: &Emulator, job_id: &str) -> Value {
    let response = get_job(emu, emu.api_key(), job_id)
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

/// Moves the clock past any job's end and returns the job.
pub async fn finished_job(emu: &Emulator, job_id: &str) -> Value {
    emu.advance_clock(std::time::Duration::from_secs(16 * 60));
    job_json(emu, job_id).await
}
