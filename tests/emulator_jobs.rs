//! The emulator's job lifecycle over real loopback HTTP, against the contract
//! (`shared/makistry-api.md`): queued to processing to success on the clock, every job-level
//! error, download links that expire, and the faults tests inject (5xx, cut downloads).

use std::time::Duration;

use makistry::emulator::{EmulatorConfig, Faults, JOB_ERROR_CODES, RateLimits, Timing, key_id};
use serde_json::{Value, json};

use crate::support::*;
// ---- Lifecycle and job-level failures -------------------------------------------------------

#[tokio::test]
async fn jobs_go_queued_processing_success_on_the_clock() {
    let emu = emulator_with(EmulatorConfig {
        timing: Timing::Realistic,
        ..EmulatorConfig::default()
    })
    .await;
    let job_id = submit(
        &emu,
        json!({ "prompt": "a 60 mm lens cap with a snap-fit lip", "output_format": "GLB" }),
    )
    .await;
    assert_eq!(job_json(&emu, &job_id).await["status"], "queued");
    emu.advance_clock(Duration::from_secs(6));
    assert_eq!(job_json(&emu, &job_id).await["status"], "processing");
    emu.advance_clock(Duration::from_secs(120));
    let done = job_json(&emu, &job_id).await;
    assert_eq!(done["status"], "success");
    let latency = done["latency_ms"].as_u64().unwrap();
    assert!(
        (30_000..=120_000).contains(&latency),
        "standard latency {latency}"
    );
    assert_eq!(done["brainstorm"]["project_name"], "Lens Cap — 60mm OD");
    assert!(done["brainstorm"]["suggestions"].as_array().unwrap().len() >= 2);
    assert!(done["brainstorm"]["material_recommendations"].is_string());
    assert_eq!(done["error_code"], Value::Null);

    let assembly = submit(
        &emu,
        json!({ "prompt": "an enclosure", "design_mode": "assembly" }),
    )
    .await;
    emu.advance_clock(Duration::from_secs(119));
    assert_ne!(
        job_json(&emu, &assembly).await["status"],
        "success",
        "assembly takes at least 2 min"
    );
    emu.advance_clock(Duration::from_secs(900));
    assert_eq!(job_json(&emu, &assembly).await["status"], "success");
}

#[tokio::test]
async fn every_job_level_error_code_is_reachable_with_a_prompt_marker() {
    let emu = emulator_with(EmulatorConfig {
        credits: 1_000_000,
        ..EmulatorConfig::default()
    })
    .await;
    let mut codes: Vec<&str> = JOB_ERROR_CODES.to_vec();
    codes.push("some_future_code");
    let ids: Vec<(String, &str)> = {
        let mut ids = Vec::new();
        for code in &codes {
            ids.push((
                submit(
                    &emu,
                    json!({ "prompt": format!("a box [fail:{code}]"), "output_format": "STL" }),
                )
                .await,
                *code,
            ));
        }
        ids
    };
    emu.advance_clock(Duration::from_secs(60));
    for (job_id, code) in ids {
        let job = job_json(&emu, &job_id).await;
        assert_eq!(job["status"], "failed");
        assert_eq!(job["error_code"], code);
        assert!(job["error_message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(job["tokens_used"], 0);
        assert!(job["latency_ms"].as_u64().is_some());
        assert_eq!(job["download_url"], Value::Null);
        assert_eq!(job["brainstorm"], Value::Null);
    }
}

#[tokio::test]
async fn a_counted_marker_fails_only_the_first_submissions_so_a_resubmission_succeeds() {
    let emu = emulator().await;
    let prompt = json!({ "prompt": "a gear [fail:code_generation_failed*1]" });
    let first = submit(&emu, prompt.clone()).await;
    let second = submit(&emu, prompt).await;
    emu.advance_clock(Duration::from_secs(60));
    assert_eq!(
        job_json(&emu, &first).await["error_code"],
        "code_generation_failed"
    );
    assert_eq!(job_json(&emu, &second).await["status"], "success");
}

// ---- Signed download links ------------------------------------------------------------------

#[tokio::test]
async fn download_links_are_resigned_on_every_get_need_no_key_and_expire() {
    let emu = emulator().await;
    let job_id = submit(&emu, prompt_body("an L-bracket", "STEP")).await;
    let first = finished_job(&emu, &job_id).await["download_url"]
        .as_str()
        .unwrap()
        .to_string();
    emu.advance_clock(Duration::from_secs(2));
    let second = job_json(&emu, &job_id).await["download_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(first, second, "a fresh signature on every GET");
    assert!(second.starts_with(&emu.origin()));

    let response = http().get(&second).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/step");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("l_bracket.step")
    );
    assert!(
        response
            .bytes()
            .await
            .unwrap()
            .starts_with(b"ISO-10303-21;")
    );

    let tampered = second.replace("signature=", "signature=00");
    assert_eq!(status_of(http().get(tampered)).await, 403);
    let other_job = second.replace(&job_id, "pub_ffffffffffff");
    assert_eq!(status_of(http().get(other_job)).await, 403);

    emu.advance_clock(Duration::from_secs(15 * 60 + 1));
    let expired = http().get(&second).send().await.unwrap();
    assert_eq!(expired.status(), 403);
    assert!(expired.text().await.unwrap().contains("GET the job again"));
    let fresh = job_json(&emu, &job_id).await["download_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(status_of(http().get(fresh)).await, 200);
    // Downloads are not API requests: 5 link hits, while only the POST and 3 GETs were counted.
    let stats = emu.stats();
    assert_eq!((stats.downloads, stats.requests), (5, 4));
}

// ---- Fault injection ------------------------------------------------------------------------

#[tokio::test]
async fn injected_5xx_dropped_connections_and_delays() {
    let emu = emulator().await;
    let job_id = submit(&emu, json!({ "prompt": "a box" })).await;

    emu.set_faults(Faults {
        fail_next: 2,
        ..Faults::default()
    });
    for _ in 0..2 {
        let response = get_job(&emu, emu.api_key(), &job_id).send().await.unwrap();
        assert_eq!(response.status(), 503);
    }
    assert_eq!(status_of(get_job(&emu, emu.api_key(), &job_id)).await, 200);

    emu.set_faults(Faults {
        drop_next: 1,
        ..Faults::default()
    });
    let dropped = get_job(&emu, emu.api_key(), &job_id).send().await;
    let transport_failed = match dropped {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(
        transport_failed,
        "a dropped connection must not look like an answer"
    );

    emu.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(status_of(get_job(&emu, emu.api_key(), &job_id)).await, 503);

    emu.set_faults(Faults {
        delay_ms: 300,
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    assert_eq!(status_of(get_job(&emu, emu.api_key(), &job_id)).await, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    let stats = emu.stats();
    assert_eq!(stats.by_status.get(&503), Some(&3));
    assert_eq!(stats.by_status.get(&0), Some(&1));
    // Injected faults never reached the service: 1 POST + 2 GETs were counted against the key.
}

#[tokio::test]
async fn downloads_can_be_cut_mid_file_or_served_truncated() {
    let emu = emulator().await;
    let job_id = submit(&emu, prompt_body("a lens cap", "STL")).await;
    let link = finished_job(&emu, &job_id).await["download_url"]
        .as_str()
        .unwrap()
        .to_string();
    let whole = http()
        .get(&link)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        whole.len() > 128 * 1024,
        "big enough to be sent in several chunks"
    );

    emu.set_faults(Faults {
        cut_download_next: 1,
        truncate_download_next: 1,
        ..Faults::default()
    });
    let mut cut = http().get(&link).send().await.unwrap();
    assert_eq!(cut.content_length(), Some(whole.len() as u64));
    let mut received = Vec::new();
    loop {
        match cut.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => panic!("a cut download must not end cleanly"),
            Err(_) => break,
        }
    }
    assert_eq!(
        received.len(),
        whole.len() / 2,
        "half the file arrives before the cut"
    );

    let truncated = http().get(&link).send().await.unwrap();
    assert_eq!(truncated.status(), 200);
    let truncated = truncated.bytes().await.unwrap();
    assert_eq!(truncated.len(), whole.len() / 2);
    assert_eq!(&truncated[..], &whole[..whole.len() / 2]);

    assert_eq!(
        http()
            .get(&link)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
        whole
    );
}

// ---- Control endpoints ----------------------------------------------------------------------

#[tokio::test]
async fn the_jobs_listing_counts_submissions_and_never_shows_a_full_key() {
    let emu = emulator().await;
    submit(
        &emu,
        json!({ "prompt": "a lens cap", "output_format": "GLB", "metadata": { "ref": "a" } }),
    )
    .await;
    submit(&emu, json!({ "prompt": "a gear", "design_mode": "pro" })).await;
    let response = http()
        .get(format!("{}/_emulator/jobs", emu.origin()))
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert!(
        !text.contains(emu.api_key()),
        "the full key leaked into the listing"
    );
    let jobs: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0]["endpoint"], "text-to-cad");
    assert_eq!(jobs[0]["prompt"], "a lens cap");
    assert_eq!(jobs[0]["output_format"], "GLB");
    assert_eq!(jobs[0]["part"], "lens_cap");
    assert_eq!(jobs[1]["design_mode"], "pro");
    assert_eq!(
        jobs[0]["key_preview"],
        format!("…{}", &emu.api_key()[emu.api_key().len() - 4..])
    );
    assert!(jobs[0]["status"].is_string());
}

#[tokio::test]
async fn faults_and_the_clock_can_be_driven_over_http_for_black_box_tests() {
    let emu = emulator_with(EmulatorConfig {
        rate_limits: no_rate_limits(),
        ..EmulatorConfig::default()
    })
    .await;
    let job_id = submit(&emu, json!({ "prompt": "a box" })).await;
    let faults = http()
        .put(format!("{}/_emulator/faults", emu.origin()))
        .json(&json!({ "fail_next": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), 200);
    assert_eq!(status_of(get_job(&emu, emu.api_key(), &job_id)).await, 503);
    let typo = http()
        .put(format!("{}/_emulator/faults", emu.origin()))
        .json(&json!({ "fail_nxt": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(typo.status(), 422);

    let clock = http()
        .post(format!("{}/_emulator/clock", emu.origin()))
        .json(&json!({ "advance_secs": 3600 }))
        .send()
        .await
        .unwrap();
    assert_eq!(clock.status(), 200);
    assert_eq!(job_json(&emu, &job_id).await["status"], "success");

    let added: Value = http()
        .post(format!("{}/_emulator/keys", emu.origin()))
        .json(&json!({ "credits": 0 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let poor_key = added["api_key"].as_str().unwrap();
    let (status, code, _) = error_of(
        text_job(&emu, poor_key, &json!({ "prompt": "a box" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (402, "payment_required"));
    let revoked = http()
        .post(format!("{}/_emulator/keys/revoke", emu.origin()))
        .json(&json!({ "api_key": poor_key }))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        error_of(
            text_job(&emu, poor_key, &json!({ "prompt": "a box" }))
                .send()
                .await
                .unwrap()
        )
        .await
        .0,
        401
    );
}

#[tokio::test]
async fn rotate_secret_works_only_for_the_callers_own_key_id() {
    let emu = emulator().await;
    let own_id = key_id(emu.api_key());
    let url = format!("{}/keys/{own_id}/rotate-secret", emu.base_url());
    let response = http()
        .post(&url)
        .bearer_auth(emu.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let rotated: Value = response.json().await.unwrap();
    assert!(
        rotated["signing_secret"]
            .as_str()
            .unwrap()
            .starts_with("whsec_")
    );
    assert!(rotated["signing_secret_rotated_at"].is_string());
    let other = http()
        .post(format!(
            "{}/keys/key_000000000000/rotate-secret",
            emu.base_url()
        ))
        .bearer_auth(emu.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn limits_are_configurable() {
    let emu = emulator_with(EmulatorConfig {
        rate_limits: RateLimits {
            per_minute: 2,
            per_hour: 10,
            ..RateLimits::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let job_id = submit(&emu, json!({ "prompt": "a box" })).await;
    assert_eq!(status_of(get_job(&emu, emu.api_key(), &job_id)).await, 200);
    let (status, _, message) =
        error_of(get_job(&emu, emu.api_key(), &job_id).send().await.unwrap()).await;
    assert_eq!(status, 429);
    assert_eq!(message, "per-minute limit (2/min) exceeded");
}
