//! The app's API client against the emulator over loopback: typed errors for every row of
//! the contract's tables, retries that never create a second job, the request budget, and
//! downloads that never leave a partial file.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use makistry::api::{
    ApiError, Client, DesignMode, ErrorKind, ImageUpload, JobRequest, JobStatus, OutputFormat,
    RequestBudget, RetryPolicy, Window, ignore_waits,
};
use makistry::emulator::{EmulatorConfig, Faults, RateLimits, generate_key};
use makistry::keychain::Secret;

use crate::support::images::encoded;
use crate::support::{client_for, client_with_key, emulator, emulator_with, quick_retries};

fn text(prompt: &str) -> JobRequest {
    JobRequest {
        prompt: prompt.into(),
        mode: DesignMode::Standard,
        format: OutputFormat::Glb,
        images: vec![],
        metadata: None,
    }
}

#[tokio::test]
async fn a_text_job_and_an_image_job_are_accepted_as_json_and_multipart() {
    let emu = emulator().await;
    let client = client_for(&emu);
    let accepted = client
        .submit(&text("a 60 mm lens cap"), "idem-1", &ignore_waits)
        .await
        .unwrap();
    assert_eq!(accepted.status, JobStatus::Queued);
    let image = ImageUpload {
        file_name: "front.png".into(),
        mime: "image/png",
        bytes: Bytes::from(encoded(image::ImageFormat::Png)),
    };
    let with_image = JobRequest {
        images: vec![image],
        prompt: "front view".into(),
        ..text("")
    };
    client
        .submit(&with_image, "idem-2", &ignore_waits)
        .await
        .unwrap();
    let jobs = emu.jobs();
    assert_eq!(jobs[0].endpoint, makistry::emulator::Endpoint::TextToCad);
    assert_eq!(
        jobs[0].output_format.as_str(),
        "GLB",
        "the client sends the format explicitly"
    );
    assert_eq!(jobs[1].endpoint, makistry::emulator::Endpoint::ImageToCad);
    assert_eq!(jobs[1].images[0].detected_type, "image/png");
    assert_eq!(jobs[1].prompt, "front view");
}

#[tokio::test]
async fn key_credit_and_lookup_errors_become_typed_errors_with_an_action() {
    let emu = emulator().await;
    let client = client_for(&emu);

    let unknown_key = client_with_key(&emu, &generate_key());
    let error = unknown_key
        .get_job("pub_000000000000", &ignore_waits)
        .await
        .unwrap_err();
    assert!(matches!(error, ApiError::InvalidApiKey { .. }), "{error:?}");
    assert_eq!(error.kind(), ErrorKind::User);

    let broke = generate_key();
    emu.add_key(&broke, 0);
    let error = client_with_key(&emu, &broke)
        .submit(&text("a box"), "k", &ignore_waits)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ApiError::PaymentRequired { message: Some(m) } if m.contains("top up")),
        "{error:?}"
    );
    assert!(error.action().contains("Top up"));

    let error = client
        .get_job("pub_000000000000", &ignore_waits)
        .await
        .unwrap_err();
    assert_eq!(error, ApiError::NotFound);
}

#[tokio::test]
async fn refused_requests_become_typed_errors_naming_the_cause() {
    let emu = emulator().await;
    let client = client_for(&emu);
    let mut big = serde_json::Map::new();
    big.insert(
        "notes".into(),
        serde_json::Value::String("x".repeat(20_000)),
    );
    let error = client
        .submit(
            &JobRequest {
                metadata: Some(big),
                ..text("a box")
            },
            "k2",
            &ignore_waits,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ApiError::InvalidInput { message } if message.contains("metadata")),
        "{error:?}"
    );

    let not_an_image = ImageUpload {
        file_name: "notes.png".into(),
        mime: "image/png",
        bytes: Bytes::from_static(b"hello"),
    };
    let error = client
        .submit(
            &JobRequest {
                images: vec![not_an_image],
                ..text("")
            },
            "k3",
            &ignore_waits,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ApiError::ImageParseFailed { message } if message.contains("notes.png")),
        "{error:?}"
    );
}

#[tokio::test]
async fn expiry_server_errors_and_rate_limits_become_typed_errors_with_an_action() {
    let emu = emulator().await;
    let client = client_for(&emu);
    let accepted = client
        .submit(&text("a box"), "k4", &ignore_waits)
        .await
        .unwrap();
    emu.advance_clock(Duration::from_secs(31 * 86_400));
    let error = client
        .get_job(&accepted.job_id, &ignore_waits)
        .await
        .unwrap_err();
    assert!(matches!(error, ApiError::OutputExpired { .. }), "{error:?}");
    assert!(error.action().contains("again"));

    emu.set_faults(Faults {
        fail_next: 10,
        ..Faults::default()
    });
    let error = client
        .get_job(&accepted.job_id, &ignore_waits)
        .await
        .unwrap_err();
    assert_eq!(error, ApiError::ServerError { status: 503 });
    assert_eq!(
        emu.faults().fail_next,
        6,
        "one try and three retries, then give up"
    );
    emu.set_faults(Faults::default());

    // A 429 the budget did not prevent (a second client with its own budget), surfaced when
    // the client is told not to wait.
    let limited = emulator_with(EmulatorConfig {
        rate_limits: RateLimits {
            per_minute: 1,
            ..RateLimits::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let impatient = client_for(&limited).with_retry_policy(RetryPolicy {
        transient: vec![],
        rate_limited: vec![],
    });
    impatient
        .get_job("pub_000000000000", &ignore_waits)
        .await
        .unwrap_err();
    let error = impatient
        .get_job("pub_000000000000", &ignore_waits)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::QuotaExceeded {
                retry_after: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
    for error in [
        error,
        ApiError::NotFound,
        ApiError::ServerError { status: 500 },
    ] {
        assert!(
            error.sentence().ends_with('.') && !error.action().is_empty(),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn refused_locally_never_reaches_the_server() {
    let emu = emulator().await;
    let client = client_for(&emu);
    let image = ImageUpload {
        file_name: "a.png".into(),
        mime: "image/png",
        bytes: Bytes::from(encoded(image::ImageFormat::Png)),
    };
    let pro_with_image = JobRequest {
        mode: DesignMode::Pro,
        images: vec![image],
        ..text("a gear")
    };
    assert!(matches!(
        client.submit(&pro_with_image, "k", &ignore_waits).await,
        Err(ApiError::InvalidRequest(_))
    ));
    assert!(matches!(
        client
            .submit(&text(&"x".repeat(5001)), "k", &ignore_waits)
            .await,
        Err(ApiError::InvalidRequest(_))
    ));
    assert_eq!(emu.stats().requests, 0);
}

#[tokio::test]
async fn bursts_of_5xx_lost_answers_and_dropped_connections_create_exactly_one_job() {
    let emu = emulator().await;
    let client = client_for(&emu);
    let waits = std::sync::Mutex::new(Vec::new());
    let record = |w: &makistry::api::Waiting| waits.lock().unwrap().push(w.error.clone());

    emu.set_faults(Faults {
        fail_next: 2,
        ..Faults::default()
    });
    client
        .submit(&text("first"), "key-a", &record)
        .await
        .unwrap();
    // The answer is lost once; the replay with the same key answers (and creates nothing).
    emu.set_faults(Faults {
        fail_after_commit_next: 1,
        ..Faults::default()
    });
    client
        .submit(&text("second"), "key-b", &record)
        .await
        .unwrap();
    emu.set_faults(Faults {
        drop_next: 1,
        fail_next: 1,
        ..Faults::default()
    });
    client
        .submit(&text("third"), "key-c", &record)
        .await
        .unwrap();

    let jobs = emu.jobs();
    let prompts: Vec<&str> = jobs.iter().map(|j| j.prompt.as_str()).collect();
    assert_eq!(
        prompts,
        ["first", "second", "third"],
        "one job per submission, whatever was lost"
    );
    let waits = waits.into_inner().unwrap();
    assert_eq!(waits.len(), 5, "{waits:?}");
    assert!(waits.iter().all(ApiError::is_transient));
}

#[tokio::test]
async fn the_budget_keeps_the_client_under_the_servers_limits() {
    // Both sides use the contract's sliding windows, shortened to a 1-second "minute".
    let limits = RateLimits {
        per_minute: 8,
        per_hour: 1000,
        minute: Duration::from_secs(1),
        hour: Duration::from_secs(3600),
    };
    let emu = emulator_with(EmulatorConfig {
        rate_limits: limits,
        ..EmulatorConfig::default()
    })
    .await;
    let windows = vec![
        Window {
            limit: 8,
            length: Duration::from_secs(1),
        },
        Window {
            limit: 1000,
            length: Duration::from_secs(3600),
        },
    ];
    let client = |budget: Arc<RequestBudget>| {
        Client::new(&emu.base_url(), Secret::new(emu.api_key()), budget)
            .unwrap()
            .with_retry_policy(RetryPolicy {
                transient: vec![],
                rate_limited: vec![],
            })
    };

    // Many tasks share one key's budget: every request is answered, none with 429.
    let shared = Arc::new(RequestBudget::new(windows.clone()));
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let client = client(shared.clone());
            tokio::spawn(async move {
                for _ in 0..6 {
                    assert_eq!(
                        client.get_job("pub_000000000000", &ignore_waits).await,
                        Err(ApiError::NotFound)
                    );
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(emu.stats().by_status.get(&404), Some(&24));
    assert_eq!(emu.stats().by_status.get(&429), None);

    // The control: a budget that does not match the server's earns 429s at once.
    let careless = client(Arc::new(RequestBudget::new(vec![Window {
        limit: 1000,
        length: Duration::from_secs(1),
    }])));
    let mut refused = 0;
    for _ in 0..12 {
        if matches!(
            careless.get_job("pub_000000000000", &ignore_waits).await,
            Err(ApiError::QuotaExceeded { .. })
        ) {
            refused += 1;
        }
    }
    assert!(refused > 0);
}

#[tokio::test]
async fn a_download_cut_in_the_middle_leaves_no_partial_file() {
    let emu = emulator().await;
    let client = client_for(&emu).with_retry_policy(quick_retries());
    let accepted = client
        .submit(
            &JobRequest {
                format: OutputFormat::Stl,
                ..text("a lens cap")
            },
            "k",
            &ignore_waits,
        )
        .await
        .unwrap();
    emu.advance_clock(Duration::from_secs(60));
    let job = client
        .get_job(&accepted.job_id, &ignore_waits)
        .await
        .unwrap();
    let url = job.download_url.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let destination = dir.path().join("cap.stl");

    emu.set_faults(Faults {
        cut_download_next: 1,
        ..Faults::default()
    });
    let mut seen = 0;
    let error = client
        .download(&url, &destination, OutputFormat::Stl, &mut |received, _| {
            seen = received
        })
        .await
        .unwrap_err();
    assert!(error.is_transient(), "{error:?}");
    assert!(seen > 0, "part of the file arrived before the cut");
    assert!(!destination.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no temporary file is left behind"
    );

    let mut progress = Vec::new();
    let bytes = client
        .download(
            &url,
            &destination,
            OutputFormat::Stl,
            &mut |received, total| progress.push((received, total)),
        )
        .await
        .unwrap();
    assert_eq!(std::fs::metadata(&destination).unwrap().len(), bytes);
    assert_eq!(progress.last(), Some(&(bytes, Some(bytes))));
    assert!(progress.len() > 2, "progress is reported as it goes");

    assert_eq!(
        emu.stats().downloads_with_credentials,
        0,
        "the signed link needs no key, and gets none"
    );

    emu.advance_clock(Duration::from_secs(16 * 60));
    let error = client
        .download(
            &url,
            &dir.path().join("late.stl"),
            OutputFormat::Stl,
            &mut |_, _| {},
        )
        .await
        .unwrap_err();
    assert_eq!(error, ApiError::DownloadRefused { status: 403 });
}

#[tokio::test]
async fn the_key_goes_only_to_the_api_origin_and_checking_it_costs_one_request() {
    let emu = emulator().await;
    let client = client_for(&emu);
    client.check_key().await.unwrap();
    assert_eq!(emu.stats().requests, 1);
    assert!(
        client_with_key(&emu, &generate_key())
            .check_key()
            .await
            .is_err()
    );
    assert!(
        format!("{client:?}").contains(&format!("…{}", &emu.api_key()[emu.api_key().len() - 4..]))
    );
    assert!(!format!("{client:?}").contains(emu.api_key()));
    // Plain http is refused for anything but this computer.
    assert!(
        Client::new(
            "http://example.com/v1",
            Secret::new(emu.api_key()),
            Arc::new(RequestBudget::contract())
        )
        .is_err()
    );
}

#[tokio::test]
async fn a_network_error_says_what_happened_in_words() {
    // Nothing listens on the discard port of this machine.
    let client = Client::new(
        "http://127.0.0.1:9/v1",
        Secret::new("mk_pub_0123456789abcdef0123456789abcdef"),
        Arc::new(RequestBudget::contract()),
    )
    .unwrap()
    .with_retry_policy(RetryPolicy {
        transient: vec![],
        rate_limited: vec![],
    });
    let error = client
        .get_job("pub_000000000000", &ignore_waits)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ApiError::Unreachable {
            detail: "nothing answered at the API's address".into()
        },
        "no attempt connected: the request was certainly not sent"
    );
    let sentence = error.sentence();
    assert!(!sentence.contains("error (Connect)"), "{sentence}");
}

/// A TLS server on loopback with a self-signed certificate (made with openssl), as a company
/// proxy with its own authority looks to the app; returns its port and its connection count.
async fn untrusted_tls_server(dir: &std::path::Path) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    assert!(
        made.as_ref().is_ok_and(|o| o.status.success()),
        "openssl makes the test's certificate (Debian: apt-get install openssl): {made:?}"
    );
    let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(&cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(&key).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(tcp).await;
            });
        }
    });
    (port, connections)
}

#[tokio::test]
async fn a_server_whose_certificate_does_not_verify_is_called_untrusted_and_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let (port, connections) = untrusted_tls_server(dir.path()).await;
    let client = Client::new(
        &format!("https://127.0.0.1:{port}/v1"),
        Secret::new("mk_pub_0123456789abcdef0123456789abcdef"),
        Arc::new(RequestBudget::contract()),
    )
    .unwrap()
    .with_retry_policy(quick_retries());
    let error = client
        .get_job("pub_000000000000", &ignore_waits)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ApiError::UntrustedServer { detail } if detail.contains("authority")),
        "{error:?}"
    );
    assert!(error.sentence().contains("certificate is not trusted"));
    assert!(error.action().contains("SSL_CERT_FILE"));
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "a certificate that does not verify is not tried again"
    );
}
