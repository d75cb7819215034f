//! The emulator over real loopback HTTP, checked row by row against the contract
//! (`shared/makistry-api.md`): errors, idempotency, rate limits, credits, lifecycle, expiry,
//! job-level failures and fault injection.

use std::time::Duration;

use makistry::emulator::{EmulatorConfig, Faults, generate_key};
use serde_json::{Value, json};

use crate::support::*;

// ---- 401 invalid_api_key ----------------------------------------------------------------

#[tokio::test]
async fn missing_malformed_unknown_and_revoked_keys_get_401() {
    let emu = emulator().await;
    let url = format!("{}/text-to-cad", emu.base_url());
    let body = json!({ "prompt": "a box" });

    let missing = http().post(&url).json(&body).send().await.unwrap();
    let (status, code, message) = error_of(missing).await;
    assert_eq!((status, code.as_str()), (401, "invalid_api_key"));
    assert!(message.contains("missing Authorization"), "{message}");

    for header in [
        "Basic abc",
        "Bearer",
        "Bearer mk_pub_123",
        "Bearer mk_pub_ABCDEF0123456789ABCDEF0123456789",
        "Bearer mk_live_0123456789abcdef0123456789abcdef",
    ] {
        let response = http()
            .post(&url)
            .header("Authorization", header)
            .json(&body)
            .send()
            .await
            .unwrap();
        let (status, code, _) = error_of(response).await;
        assert_eq!(
            (status, code.as_str()),
            (401, "invalid_api_key"),
            "header {header:?}"
        );
    }

    let unknown = text_job(&emu, &generate_key(), &body).send().await.unwrap();
    let (status, code, message) = error_of(unknown).await;
    assert_eq!((status, code.as_str()), (401, "invalid_api_key"));
    assert!(message.contains("revoked"), "{message}");

    let job_id = submit(&emu, body.clone()).await;
    assert!(emu.revoke_key(emu.api_key()));
    let (status, code, _) =
        error_of(get_job(&emu, emu.api_key(), &job_id).send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (401, "invalid_api_key"));
}

// ---- 402 payment_required ---------------------------------------------------------------

#[tokio::test]
async fn credits_are_reserved_at_submit_charged_on_success_and_released_on_failure() {
    let emu = emulator_with(EmulatorConfig {
        credits: 2_500,
        ..EmulatorConfig::default()
    })
    .await;
    let key = emu.api_key().to_string();

    // Pro reserves 3000 of 2500: refused, and no job is queued.
    let response = text_job(
        &emu,
        &key,
        &json!({ "prompt": "a gear", "design_mode": "pro" }),
    )
    .send()
    .await
    .unwrap();
    let (status, code, message) = error_of(response).await;
    assert_eq!((status, code.as_str()), (402, "payment_required"));
    assert!(message.contains("top up"), "{message}");
    assert!(emu.jobs().is_empty());

    // Two standard jobs reserve 2000; a third does not fit while they run.
    let first = submit(&emu, json!({ "prompt": "a box" })).await;
    let failing = submit(&emu, json!({ "prompt": "a box [fail:export_failed]" })).await;
    assert_eq!(emu.credits_available(&key), 500);
    let response = text_job(&emu, &key, &json!({ "prompt": "a box" }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await.1, "payment_required");

    // When they end, the success is charged its tokens_used and the failure costs nothing.
    let done = finished_job(&emu, &first).await;
    let failed = job_json(&emu, &failing).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["tokens_used"], 0);
    let charged = done["tokens_used"].as_u64().unwrap();
    assert!((600..=1000).contains(&charged));
    assert_eq!(emu.credits_available(&key), 2_500 - charged);
    submit(&emu, json!({ "prompt": "a box" })).await;
}

// ---- 404 ----------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_jobs_and_other_keys_jobs_are_404_with_no_body() {
    let emu = emulator().await;
    let other_key = generate_key();
    emu.add_key(&other_key, 10_000);
    let job_id = submit(&emu, json!({ "prompt": "a box" })).await;

    for (key, id) in [
        (emu.api_key(), "pub_000000000000"),
        (other_key.as_str(), job_id.as_str()),
    ] {
        let response = get_job(&emu, key, id).send().await.unwrap();
        assert_eq!(response.status(), 404);
        assert!(response.bytes().await.unwrap().is_empty());
    }
    assert_eq!(status_of(get_job(&emu, emu.api_key(), &job_id)).await, 200);
}

// ---- 410 output_expired -------------------------------------------------------------------

#[tokio::test]
async fn outputs_expire_30_days_after_creation() {
    let emu = emulator().await;
    let job_id = submit(&emu, prompt_body("a lens cap", "GLB")).await;
    let done = finished_job(&emu, &job_id).await;
    let old_link = done["download_url"].as_str().unwrap().to_string();

    emu.advance_clock(Duration::from_secs(29 * 86_400));
    assert_eq!(job_json(&emu, &job_id).await["status"], "success");

    emu.advance_clock(Duration::from_secs(86_400));
    let (status, code, message) =
        error_of(get_job(&emu, emu.api_key(), &job_id).send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (410, "output_expired"));
    assert!(message.contains("submit a new job"), "{message}");
    // Old links are dead too (their own lifetime ran out long ago).
    assert_eq!(status_of(http().get(old_link)).await, 403);
}

// ---- 422 invalid_input --------------------------------------------------------------------

#[tokio::test]
async fn malformed_text_requests_get_422_invalid_input_naming_the_field() {
    let emu = emulator().await;
    let cases = [
        (json!({}), "prompt"),
        (json!({ "prompt": "" }), "prompt"),
        (json!({ "prompt": "   \n" }), "prompt"),
        (json!({ "prompt": "x".repeat(5001) }), "5000"),
        (json!({ "prompt": "é".repeat(5001) }), "5000"),
        (json!({ "prompt": 42 }), "prompt"),
        (
            json!({ "prompt": "a box", "design_mode": "turbo" }),
            "design_mode",
        ),
        (
            json!({ "prompt": "a box", "design_mode": "Standard" }),
            "design_mode",
        ),
        (
            json!({ "prompt": "a box", "output_format": "OBJ" }),
            "output_format",
        ),
        (
            json!({ "prompt": "a box", "output_format": "glb" }),
            "output_format",
        ),
        (
            json!({ "prompt": "a box", "metadata": "ref=42" }),
            "metadata",
        ),
        (json!({ "prompt": "a box", "metadata": [1, 2] }), "metadata"),
        (
            json!({ "prompt": "a box", "callback_url": "http://example.com/hook" }),
            "callback_url",
        ),
        (
            json!({ "prompt": "a box", "callback_url": "not a url" }),
            "callback_url",
        ),
        (
            json!({ "prompt": "a box", "outputFormat": "GLB" }),
            "outputFormat",
        ),
        (json!(["a box"]), "object"),
    ];
    for (body, named) in cases {
        let (status, code, message) =
            error_of(text_job(&emu, emu.api_key(), &body).send().await.unwrap()).await;
        assert_eq!(
            (status, code.as_str()),
            (422, "invalid_input"),
            "body {body}"
        );
        assert!(
            message.contains(named),
            "message {message:?} should name {named}"
        );
    }
    let not_json = http()
        .post(format!("{}/text-to-cad", emu.base_url()))
        .bearer_auth(emu.api_key())
        .header("Content-Type", "application/json")
        .body("{\"prompt\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(not_json).await.1, "invalid_input");
    let form = reqwest::multipart::Form::new().text("prompt", "a box");
    let multipart = http()
        .post(format!("{}/text-to-cad", emu.base_url()))
        .bearer_auth(emu.api_key())
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, code, message) = error_of(multipart).await;
    assert_eq!((status, code.as_str()), (422, "invalid_input"));
    assert!(message.contains("application/json"), "{message}");
    assert!(emu.jobs().is_empty(), "no refused request may create a job");

    // The limits themselves are accepted.
    submit(
        &emu,
        json!({ "prompt": "x".repeat(5000), "metadata": null, "design_mode": null }),
    )
    .await;
    submit(&emu, json!({ "prompt": "a box", "callback_url": "https://example.com/hook", "metadata": { "ref": "part-42" } })).await;
}

#[tokio::test]
async fn defaults_are_standard_and_step_and_metadata_is_echoed() {
    let emu = emulator().await;
    let job_id = submit(
        &emu,
        json!({ "prompt": "a box", "metadata": { "ref": "part-42", "n": [1, 2] } }),
    )
    .await;
    let job = &emu.jobs()[0];
    assert_eq!(job.design_mode.as_str(), "standard");
    assert_eq!(job.output_format.as_str(), "STEP");
    let out = job_json(&emu, &job_id).await;
    assert_eq!(out["metadata"], json!({ "ref": "part-42", "n": [1, 2] }));
    // Every documented key is present while queued, null where it does not apply yet.
    for key in [
        "download_url",
        "brainstorm",
        "tokens_used",
        "latency_ms",
        "error_code",
        "error_message",
    ] {
        assert_eq!(out[key], Value::Null, "{key}");
    }
    assert_eq!(out["job_id"], job_id.as_str());
}

// ---- 429 quota_exceeded -------------------------------------------------------------------

#[tokio::test]
async fn twenty_requests_a_minute_then_429_with_retry_after_until_the_window_slides() {
    let emu = emulator().await;
    let job_id = submit(&emu, json!({ "prompt": "a box" })).await;
    emu.advance_clock(Duration::from_secs(30));
    // Every authenticated request counts: polls and even invalid requests.
    for _ in 0..9 {
        assert_eq!(status_of(get_job(&emu, emu.api_key(), &job_id)).await, 200);
    }
    for _ in 0..10 {
        let refused = text_job(&emu, emu.api_key(), &json!({ "prompt": "" }))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 422);
    }
    let response = get_job(&emu, emu.api_key(), &job_id).send().await.unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        retry_after, 30,
        "the first request leaves the window 60 s after it was made"
    );
    let (_, code, message) = error_of(response).await;
    assert_eq!(code, "quota_exceeded");
    assert_eq!(message, "per-minute limit (20/min) exceeded");

    // Another key has its own window.
    let other = generate_key();
    emu.add_key(&other, 10_000);
    assert_eq!(status_of(get_job(&emu, &other, &job_id)).await, 404);

    // Refused requests are not counted: once the oldest request leaves the window, one is let in.
    emu.advance_clock(Duration::from_secs(retry_after));
    assert_eq!(status_of(get_job(&emu, emu.api_key(), &job_id)).await, 200);
    assert_eq!(status_of(get_job(&emu, emu.api_key(), &job_id)).await, 429);
    assert_eq!(emu.stats().by_status.get(&429), Some(&2));
}

#[tokio::test]
async fn a_hundred_requests_an_hour_then_429_for_the_hour() {
    let emu = emulator().await;
    let job_id = submit(&emu, json!({ "prompt": "a box" })).await;
    for i in 1..100 {
        if i % 20 == 0 {
            emu.advance_clock(Duration::from_secs(61));
        }
        assert_eq!(
            status_of(get_job(&emu, emu.api_key(), &job_id)).await,
            200,
            "request {i}"
        );
    }
    emu.advance_clock(Duration::from_secs(61));
    let response = get_job(&emu, emu.api_key(), &job_id).send().await.unwrap();
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let (status, code, message) = error_of(response).await;
    assert_eq!((status, code.as_str()), (429, "quota_exceeded"));
    assert_eq!(message, "per-hour limit (100/hour) exceeded");
    assert!(
        retry_after > 60 && retry_after <= 3600,
        "Retry-After {retry_after}"
    );
    emu.advance_clock(Duration::from_secs(retry_after));
    assert_eq!(status_of(get_job(&emu, emu.api_key(), &job_id)).await, 200);
}

// ---- Idempotency ----------------------------------------------------------------------------

#[tokio::test]
async fn idempotency_key_replays_return_the_original_job_whatever_the_body() {
    let emu = emulator().await;
    let send = |body: Value, idem: &str| {
        text_job(&emu, emu.api_key(), &body)
            .header("Idempotency-Key", idem.to_string())
            .send()
    };
    let first: Value = send(json!({ "prompt": "a lens cap" }), "k-1")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let replay = send(
        json!({ "prompt": "a completely different gear", "design_mode": "assembly" }),
        "k-1",
    )
    .await
    .unwrap();
    assert_eq!(replay.status(), 202);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["job_id"], first["job_id"]);
    // Even an invalid body replays: the key decides.
    let invalid_replay: Value = send(json!({ "prompt": "" }), "k-1")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(invalid_replay["job_id"], first["job_id"]);
    assert_eq!(emu.jobs().len(), 1);

    // A replay reports the job's current status.
    emu.advance_clock(Duration::from_secs(60));
    let late: Value = send(json!({ "prompt": "a lens cap" }), "k-1")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(late["status"], "success");

    // A new key makes a new job; a refused submission does not claim its key.
    let refused = send(json!({ "prompt": "" }), "k-2").await.unwrap();
    assert_eq!(refused.status(), 422);
    let second: Value = send(json!({ "prompt": "a gear" }), "k-2")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(second["job_id"], first["job_id"]);

    // Keys are scoped per API key.
    let other = generate_key();
    emu.add_key(&other, 10_000);
    let theirs = text_job(&emu, &other, &json!({ "prompt": "a box" }))
        .header("Idempotency-Key", "k-1")
        .send()
        .await
        .unwrap();
    let theirs: Value = theirs.json().await.unwrap();
    assert_ne!(theirs["job_id"], first["job_id"]);
    assert_eq!(emu.jobs().len(), 3);

    // Kept 24 hours.
    emu.advance_clock(Duration::from_secs(24 * 3600));
    let after_a_day: Value = send(json!({ "prompt": "a lens cap" }), "k-1")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(after_a_day["job_id"], first["job_id"]);

    let bad_key = send(json!({ "prompt": "a box" }), &"x".repeat(256))
        .await
        .unwrap();
    assert_eq!(error_of(bad_key).await.1, "invalid_input");
}

#[tokio::test]
async fn a_lost_answer_after_commit_is_recovered_by_a_replay_with_one_job_created() {
    let emu = emulator().await;
    emu.set_faults(Faults {
        fail_after_commit_next: 1,
        ..Faults::default()
    });
    let body = json!({ "prompt": "a box" });
    let lost = text_job(&emu, emu.api_key(), &body)
        .header("Idempotency-Key", "same")
        .send()
        .await
        .unwrap();
    assert_eq!(lost.status(), 502);
    assert!(lost.bytes().await.unwrap().is_empty());
    let replay = text_job(&emu, emu.api_key(), &body)
        .header("Idempotency-Key", "same")
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 202);
    let replay: Value = replay.json().await.unwrap();
    let jobs = emu.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(replay["job_id"], jobs[0].job_id.as_str());
    assert_eq!(jobs[0].idempotency_key.as_deref(), Some("same"));
}
