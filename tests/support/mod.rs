//! Helpers shared by the integration tests.

#![allow(dead_code)]

pub mod cad;
pub mod images;

use makistry::emulator::{Emulator, EmulatorConfig, RateLimits};
use reqwest::{Client, RequestBuilder, Response};
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
    }
}

/// A plain HTTP client (the emulator is examined with reqwest directly, not the app's client).
pub fn http() -> Client {
    Client::builder().no_proxy().build().expect("client builds")
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
