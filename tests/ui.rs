//! The real window app driven by egui_kittest (no GPU, no display), against the emulator over
//! loopback HTTP, with the job history and draft in a temporary directory and the keychain in
//! keyring's in-memory store. Background tasks run on a real tokio runtime; the helpers step
//! the window until what a user would see appears.

use std::path::Path;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use makistry::app::{AppConfig, MakistryApp};
use makistry::emulator::{EmulatorConfig, Timing};
use makistry::viewer::camera::{OrbitCamera, UpAxis};

use crate::support::images;
use crate::window::*;

/// A key in the wrong shape is refused on the spot and nothing is stored; the right key is
/// checked with the API, stored in the keychain and shown as …last4.
fn refuse_a_malformed_key_then_sign_in(machine: &Machine, harness: &mut Harness<'_, MakistryApp>) {
    // A key in the wrong shape is refused on the spot and nothing is stored.
    type_into(harness, "API key", "mk_pub_123");
    click(harness, "Save key");
    wait_for_text(harness, "API key");
    wait_for_text(harness, "That is not a Makistry API key");
    assert_eq!(machine.keychain.load().unwrap(), None);

    // The right key: checked with the API, stored in the keychain, shown as …last4.
    field(harness, "API key").focus();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    sign_in(machine, harness);
    assert_eq!(
        machine
            .keychain
            .load()
            .unwrap()
            .map(|k| k.expose().to_string()),
        Some(machine.emulator.api_key().to_string())
    );
    assert!(shows(harness, "Replace") && shows(harness, "Remove"));
}

#[test]
fn a_new_user_pastes_a_key_attaches_images_and_gets_a_part() {
    let machine = Machine::new();
    let mut harness = machine.open();
    wait_for_text(&mut harness, "Welcome to Makistry Desktop");
    assert!(shows(&harness, "Try the offline demo"));
    harness.check_accessibility();

    refuse_a_malformed_key_then_sign_in(&machine, &mut harness);

    // The prompt and its live counter.
    type_into(
        &mut harness,
        "Prompt",
        "A 60 mm lens cap with a snap-fit lip",
    );
    wait_for_text(&mut harness, "36 / 5,000");

    // Two images dropped on the window, one of which is not an image at all.
    let front = machine.file("front.png", &images::encoded(image::ImageFormat::Png));
    let fake = machine.file("notes.png", b"these are my notes, not a picture");
    drop_files(&mut harness, &[front, fake]);
    wait_for_text(&mut harness, "Image 1: PNG");
    wait_for_text(
        &mut harness,
        "notes.png is not a PNG, JPEG, WebP or GIF image",
    );
    assert!(
        !shows(&harness, "Image 2"),
        "a rejected file is not attached"
    );
    type_into(&mut harness, "View", "front");

    // Pro mode is text only while an image is attached.
    harness
        .query_all_by_label("Design mode")
        .find(|n| n.accesskit_node().role() == accesskit::Role::ComboBox)
        .expect("the design mode choice")
        .click();
    harness.step();
    harness.step();
    let pro = harness.get_by_role_and_label(accesskit::Role::Button, "pro");
    assert!(
        pro.accesskit_node().is_disabled(),
        "pro is disabled with images"
    );
    harness.key_press(egui::Key::Escape);
    harness.step();
    harness.check_accessibility();

    click(&mut harness, "Generate");
    wait_for_text(&mut harness, "Design summary");
    wait_for_text(&mut harness, "Save As…");
    wait_for_text(&mut harness, "triangles");
    assert!(shows(&harness, "done"));
    assert!(shows(&harness, "Follow-up ideas"));
    harness.check_accessibility();

    // The API got one image job, with the view label in its prompt.
    let jobs = machine.emulator.jobs();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].endpoint, makistry::emulator::Endpoint::ImageToCad);
    assert!(
        jobs[0].prompt.contains("Image 1 is the front view"),
        "{:?}",
        jobs[0].prompt
    );

    // Diagnostics for a bug report: versions and paths, the key only as …last4.
    click(&mut harness, "About");
    harness.step();
    let diagnostics = harness
        .query_all_by_label("Diagnostics")
        .find_map(|node| node.value())
        .unwrap_or_default();
    assert!(diagnostics.contains(&format!("Makistry Desktop {}", env!("CARGO_PKG_VERSION"))));
    assert!(diagnostics.contains(&makistry::emulator::key_preview(machine.emulator.api_key())));
    assert!(
        !diagnostics.contains(machine.emulator.api_key()),
        "{diagnostics}"
    );
    harness.check_accessibility();

    // The form is fresh for the next part; "Edit and re-run" brings the job back.
    assert_eq!(field(&harness, "Prompt").value().as_deref(), Some(""));
    click(&mut harness, "Edit and re-run");
    wait_for_text(&mut harness, "Image 1: PNG");
    assert!(
        field(&harness, "Prompt")
            .value()
            .is_some_and(|v| v.starts_with("A 60 mm lens cap"))
    );
}

#[test]
fn a_failing_job_says_why_and_retry_makes_a_new_job() {
    let machine = Machine::new();
    let mut harness = machine.open();
    sign_in(&machine, &mut harness);

    // Fails twice: the app submits it again once by itself (the contract's rule for this
    // code), then leaves Retry to the user.
    submit(
        &mut harness,
        "A 40x20x10 mm block [fail:code_generation_failed*2]",
    );
    wait_for_text(&mut harness, "Submitted again once by the app");
    step_until(&mut harness, "Retry", |h| {
        h.query_all_by_role_and_label(accesskit::Role::Button, "Retry")
            .next()
            .is_some()
    });

    // The same action under the reason, where the user reads it.
    click(&mut harness, "Retry this job");
    wait_for_text(&mut harness, "Design summary");
    assert_eq!(
        machine.emulator.jobs().len(),
        3,
        "Retry is a new submission"
    );
}

#[test]
fn an_error_that_needs_a_new_prompt_offers_edit_not_retry() {
    let machine = Machine::new();
    let mut harness = machine.open();
    sign_in(&machine, &mut harness);

    submit(
        &mut harness,
        "A 40x20x10 mm block [fail:geometry_validation_failed*1]",
    );
    wait_for_text(
        &mut harness,
        "Makistry says: The geometry failed validation",
    );
    for _ in 0..5 {
        harness.step();
    }
    for retry in ["Retry", "Retry this job"] {
        assert!(
            harness
                .query_all_by_role_and_label(accesskit::Role::Button, retry)
                .next()
                .is_none(),
            "the same prompt would fail the same way"
        );
    }
    click(&mut harness, "Edit the prompt and re-run");
    harness.step();
    assert!(
        field(&harness, "Prompt")
            .value()
            .is_some_and(|v| v.starts_with("A 40x20x10 mm block"))
    );
    assert_eq!(machine.emulator.jobs().len(), 1);
}

#[test]
fn a_rate_limited_job_shows_a_countdown_and_is_not_failed() {
    // Three requests a minute: the key check, the submission and one poll; the next poll
    // meets a 429, and the client waits at least the contract's 60 s.
    let machine = Machine::with_api(EmulatorConfig {
        rate_limits: makistry::emulator::RateLimits {
            per_minute: 3,
            ..Default::default()
        },
        ..EmulatorConfig::default()
    });
    let mut harness = machine.open();
    sign_in(&machine, &mut harness);
    type_into(&mut harness, "Prompt", "A 40x20x10 mm block");
    click(&mut harness, "Generate");
    wait_for_text(&mut harness, "rate-limited: trying again in 0:5");
    assert!(!shows(&harness, "failed"));
    harness.check_accessibility();
}

#[test]
fn a_restart_restores_the_draft_and_the_jobs() {
    let machine = Machine::new();
    let mut harness = machine.open();
    sign_in(&machine, &mut harness);

    // One finished job.
    type_into(&mut harness, "Prompt", "An L-bracket 40 mm per side");
    click(&mut harness, "Generate");
    wait_for_text(&mut harness, "Design summary");

    // A draft being written, with an image, when the app goes away.
    type_into(&mut harness, "Prompt", "A gear with 24 teeth");
    let sketch = machine.file("sketch.jpg", &images::encoded(image::ImageFormat::Jpeg));
    drop_files(&mut harness, &[sketch]);
    wait_for_text(&mut harness, "Image 1: JPEG");
    let draft_file = makistry::draft::draft_path(machine.data.path());
    step_until(&mut harness, "the draft on disk", |_| {
        std::fs::read_to_string(&draft_file)
            .is_ok_and(|d| d.contains("24 teeth") && d.contains("image/jpeg"))
    });
    drop(harness);

    let mut harness = machine.open();
    let preview = makistry::emulator::key_preview(machine.emulator.api_key());
    wait_for_text(&mut harness, &format!("API key {preview}"));
    wait_for_text(&mut harness, "An L-bracket 40 mm per side");
    wait_for_text(&mut harness, "Image 1: JPEG");
    assert_eq!(
        field(&harness, "Prompt").value().as_deref(),
        Some("A gear with 24 teeth")
    );
}

/// The window started with `config` (another API address, say), tall enough for the welcome.
fn open_with(config: makistry::app::AppConfig) -> Harness<'static, MakistryApp> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 1000.0))
        .build_eframe(move |cc| MakistryApp::new(cc, config))
}

/// A key that cannot be checked (nothing answers at the API's address) is not kept until the
/// user says so, and the reason reads as a sentence.
#[test]
fn a_key_that_cannot_be_checked_is_kept_only_when_the_user_says_so() {
    let machine = Machine::new();
    let mut config = machine.config();
    // A port nothing listens on: the check meets no API.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    config.base_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut harness = open_with(config);

    wait_for_text(&mut harness, "Welcome to Makistry Desktop");
    type_into(&mut harness, "API key", machine.emulator.api_key());
    click(&mut harness, "Save key");
    wait_for_text(&mut harness, "The key could not be checked.");
    assert!(shows(&harness, "nothing answered at the API's address"));
    assert!(
        shows(&harness, "Welcome to Makistry Desktop"),
        "still asking"
    );
    assert_eq!(machine.keychain.load().unwrap(), None, "not kept unasked");

    click(&mut harness, "Save without checking");
    let preview = makistry::emulator::key_preview(machine.emulator.api_key());
    wait_for_text(&mut harness, &format!("API key {preview}"));
    assert_eq!(
        machine
            .keychain
            .load()
            .unwrap()
            .map(|k| k.expose().to_string()),
        Some(machine.emulator.api_key().to_string())
    );
}

/// A key check that hangs (an address that takes the connection and never answers) can be
/// stopped: the key is not kept, even when the answer comes after all.
#[test]
fn a_key_check_that_hangs_can_be_stopped_and_nothing_is_kept() {
    use std::io::{Read, Write};
    use std::time::Duration;
    let machine = Machine::new();
    let mut config = machine.config();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    config.base_url = format!("http://{}", silent.local_addr().unwrap());
    // The check's connection is taken, and held unanswered until the test says.
    let (connected, connection) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if let Ok((stream, _)) = silent.accept() {
            let _ = connected.send(stream);
        }
    });
    let mut harness = open_with(config);

    wait_for_text(&mut harness, "Welcome to Makistry Desktop");
    type_into(&mut harness, "API key", machine.emulator.api_key());
    click(&mut harness, "Save key");
    wait_for_text(&mut harness, "Checking the key with Makistry…");
    // Stopped only once the check is waiting for its answer.
    let mut stream = connection
        .recv_timeout(Duration::from_secs(30))
        .expect("the key check connects");
    click(&mut harness, "Stop checking");
    wait_for_text(&mut harness, "Checking stopped: the key was not saved.");
    assert!(
        shows(&harness, "Save without checking"),
        "offers the way on"
    );

    // The API answers now, as for a key it knows (404 for the probe job): a check still
    // running would keep the key and connect.
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let _ = stream.read(&mut [0u8; 4096]);
    let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
    drop(stream);
    for _ in 0..20 {
        harness.step();
        std::thread::sleep(Duration::from_millis(25));
    }
    assert_eq!(machine.keychain.load().unwrap(), None, "not kept");
    assert!(
        shows(&harness, "Welcome to Makistry Desktop"),
        "not connected"
    );
}

#[test]
fn the_offline_demo_runs_a_job_without_a_key() {
    let machine = Machine::new();
    let mut harness = machine.open();
    wait_for_text(&mut harness, "Welcome to Makistry Desktop");
    click(&mut harness, "Try the offline demo");
    wait_for_text(&mut harness, "OFFLINE DEMO");
    type_into(&mut harness, "Prompt", "A box with a 5 mm hole");
    click(&mut harness, "Generate");
    wait_for_text(&mut harness, "Design summary");
    assert_eq!(
        machine.keychain.load().unwrap(),
        None,
        "the demo stores no key"
    );
    assert!(
        machine.data.path().join("demo").join("jobs.db").exists(),
        "demo jobs have their own history"
    );
    drop(harness);

    // A restart without --demo goes back to the demo and its job, not to the welcome.
    let mut harness = machine.open();
    wait_for_text(&mut harness, "OFFLINE DEMO");
    wait_for_text(&mut harness, "A box with a 5 mm hole");
    assert!(!shows(&harness, "Welcome to Makistry Desktop"));

    // Once the user's own key is saved, a start without a key asks again.
    click(&mut harness, "Use an API key…");
    wait_for_text(&mut harness, "Use your Makistry API key");
    type_into(&mut harness, "API key", machine.emulator.api_key());
    click(&mut harness, "Save key");
    let preview = makistry::emulator::key_preview(machine.emulator.api_key());
    wait_for_text(&mut harness, &format!("API key {preview}"));
    drop(harness);
    machine.keychain.clear().unwrap();
    let mut harness = machine.open();
    wait_for_text(&mut harness, "Welcome to Makistry Desktop");
}

#[test]
fn a_dropped_3d_file_opens_for_viewing_without_a_job() {
    let machine = Machine::new();
    let mut harness = machine.open();
    click_demo(&mut harness);
    let glb = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/parts/enclosure_assembly.glb");
    drop_files(&mut harness, &[glb]);
    wait_for_text(&mut harness, "enclosure_assembly.glb");
    wait_for_text(&mut harness, "3 parts");
    // CadQuery's GLB (OpenCascade's writer) holds millimetres, whatever glTF says.
    assert!(shows(&harness, "70.0 × 27.0 × 45.0 mm"));
    assert!(machine.emulator.jobs().is_empty());

    // A glTF from another writer is in metres, as glTF says: a 4.9 m truck, not 4.9 mm.
    let truck =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/trimesh/CesiumMilkTruck.glb");
    drop_files(&mut harness, &[truck]);
    wait_for_text(&mut harness, "4.869 × 2.583 × 2.792 m (");
    assert!(shows(&harness, "In metres, glTF's unit"));
}

#[test]
fn an_empty_file_says_so_where_the_view_would_be() {
    let machine = Machine::new();
    let mut harness = machine.open();
    click_demo(&mut harness);
    let mut empty = vec![0u8; 80];
    empty.extend_from_slice(&0u32.to_le_bytes());
    let file = machine.file("nothing.stl", &empty);
    drop_files(&mut harness, &[file]);
    wait_for_text(&mut harness, "This file holds no triangles");
    assert!(
        harness.query_by_label("3D view of nothing.stl").is_none(),
        "no empty viewport"
    );
}

fn click_demo(harness: &mut Harness<'_, MakistryApp>) {
    wait_for_text(harness, "Welcome to Makistry Desktop");
    click(harness, "Try the offline demo");
    wait_for_text(harness, "OFFLINE DEMO");
}

#[test]
fn a_job_recorded_but_not_sent_before_a_crash_is_sent_once_on_the_next_start() {
    let machine = Machine::new();
    machine
        .keychain
        .save(&makistry::keychain::Secret::new(machine.emulator.api_key()))
        .unwrap();
    // What a crash between recording and sending leaves behind.
    let mut job = makistry::jobs::JobRecord::new(
        "A 30 mm cube with a 10 mm through hole".into(),
        vec![],
        makistry::api::DesignMode::Standard,
        makistry::api::OutputFormat::Stl,
        chrono::Utc::now(),
    );
    job.api_base = Some(machine.emulator.base_url());
    let key = job.idempotency_key.clone();
    let (store, _) = makistry::jobs::JobStore::open(machine.data.path()).unwrap();
    store.insert(job).unwrap();
    drop(store);

    let mut harness = machine.open();
    wait_for_text(&mut harness, "A 30 mm cube with a 10 mm through hole");
    wait_for_text(&mut harness, "Design summary");
    let jobs = machine.emulator.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        jobs[0].idempotency_key,
        Some(key),
        "sent with the recorded key"
    );
}

/// A `size` mm cube from the origin, as ASCII STL.
fn cube_stl(size: f32) -> String {
    let corner =
        |i: usize| [i & 1, (i >> 1) & 1, (i >> 2) & 1].map(|bit| if bit == 1 { size } else { 0.0 });
    // Each face as two triangles of corner indices (bit 0: x, bit 1: y, bit 2: z).
    let faces = [
        [0, 2, 3, 1], // bottom
        [4, 5, 7, 6], // top
        [0, 1, 5, 4], // front (y = 0)
        [2, 6, 7, 3], // back
        [0, 4, 6, 2], // left
        [1, 3, 7, 5], // right
    ];
    let mut stl = String::from("solid cube\n");
    for [a, b, c, d] in faces {
        for tri in [[a, b, c], [a, c, d]] {
            stl.push_str("facet normal 0 0 0\nouter loop\n");
            for i in tri {
                let [x, y, z] = corner(i);
                stl.push_str(&format!("vertex {x} {y} {z}\n"));
            }
            stl.push_str("endloop\nendfacet\n");
        }
    }
    stl + "endsolid cube\n"
}

/// Presses and releases the primary button at `pos`.
fn click_at(harness: &mut Harness<'_, MakistryApp>, pos: egui::Pos2) {
    harness.hover_at(pos);
    harness.step();
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    harness.step();
}

#[test]
fn measuring_between_two_clicked_points_gives_their_distance() {
    let machine = Machine::new();
    let mut harness = machine.open();
    click_demo(&mut harness);
    let cube = machine.file("cube.stl", cube_stl(20.0).as_bytes());
    drop_files(&mut harness, &[cube]);
    wait_for_text(&mut harness, "20.0 × 20.0 × 20.0 mm");

    // Looking straight at the front face, without perspective.
    click(&mut harness, "Front");
    harness.get_by_label("Orthographic").click();
    harness.step();
    click(&mut harness, "Measure");
    wait_for_text(&mut harness, "Click a point on the part to start measuring");
    let view = harness.get_by_label("3D view of cube.stl").rect();

    // A click beside the cube meets nothing, and says so.
    click_at(&mut harness, view.left_top() + egui::vec2(5.0, 5.0));
    wait_for_text(&mut harness, "That click missed the part");

    // Two clicks 80 px apart, level with each other, on the front face.
    let offset = egui::vec2(40.0, 0.0);
    click_at(&mut harness, view.center() - offset);
    wait_for_text(&mut harness, "First point at");
    click_at(&mut harness, view.center() + offset);
    wait_for_text(&mut harness, "Distance");

    // What 80 px spans at the camera's fitted scale (same fit as the viewer's).
    let mut camera = OrbitCamera::new(UpAxis::Z);
    camera.fit([0.0; 3], [20.0; 3]);
    camera.fit_width(view.width() / view.height());
    let expected = 80.0 * camera.view_height() / view.height();
    let text = harness
        .get_by_label_contains("Distance")
        .value()
        .unwrap_or_default();
    let measured: f32 = text
        .split("Distance ")
        .nth(1)
        .and_then(|rest| rest.split(" mm").next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no distance in: {text}"));
    assert!(
        (measured - expected).abs() < 0.02,
        "measured {measured} mm, expected {expected} mm"
    );
    assert!(text.contains("ΔY 0.00 · ΔZ 0.00 mm"), "{text}");
    assert!(!text.contains("missed"), "a hit clears the miss: {text}");

    // Esc (over the view) clears the measurement.
    harness.key_press(egui::Key::Escape);
    harness.step();
    wait_for_text(&mut harness, "Click a point on the part to start measuring");
}

#[test]
fn a_job_that_cannot_be_recorded_puts_its_prompt_and_image_back_in_the_form() {
    let machine = Machine::new();
    let mut harness = machine.open();
    sign_in(&machine, &mut harness);
    // The history cannot be written: another program holds its write lock for longer than the
    // app waits (10 s).
    let blocker = rusqlite::Connection::open(machine.data.path().join("jobs.db")).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let png = machine.file("front.png", &images::encoded(image::ImageFormat::Png));
    drop_files(&mut harness, &[png]);
    wait_for_text(&mut harness, "Image 1");
    type_into(
        &mut harness,
        "Prompt",
        "A 40x20x10 mm block with a 6 mm hole",
    );
    click(&mut harness, "Generate");
    wait_for_text(
        &mut harness,
        "The job could not be recorded, so it was not sent",
    );
    assert_eq!(
        field(&harness, "Prompt").value().as_deref(),
        Some("A 40x20x10 mm block with a 6 mm hole")
    );
    assert!(shows(&harness, "Image 1"), "the image is back too");
    assert!(machine.emulator.jobs().is_empty(), "nothing was sent");
    drop(blocker);
}

#[test]
fn the_window_lists_a_job_another_process_runs_and_sees_it_finish() {
    let machine = Machine::new();
    let mut harness = machine.open();
    sign_in(&machine, &mut harness);
    // The CLI, beside the open window, on the same history.
    let out = machine.files.path().join("elsewhere.stl");
    let mut cli = std::process::Command::new(env!("CARGO_BIN_EXE_makistry"))
        .env("MAKISTRY_BASE_URL", machine.emulator.base_url())
        .env("MAKISTRY_API_KEY", machine.emulator.api_key())
        .env("MAKISTRY_DATA_DIR", machine.data.path())
        .args([
            "generate",
            "a gear made in a terminal",
            "--format",
            "stl",
            "--out",
        ])
        .arg(&out)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_text(&mut harness, "a gear made in a terminal");
    assert!(cli.wait().unwrap().success());
    // Its end reaches the window too: the job is shown as done, with its credits.
    step_until(&mut harness, "the CLI's job shown as done", |h| {
        screen_text(h).contains("a gear made in a terminal")
            && h.query_all_by_label_contains("credits").next().is_some()
    });
    assert_eq!(
        machine.emulator.jobs().len(),
        1,
        "the window did not run it again"
    );
}

#[test]
fn a_demo_job_killed_mid_way_finishes_after_a_restart() {
    let machine = Machine::new();
    // The first run of the app has its own runtime, so it can be stopped like a killed
    // process: every task of it, the demo's server included, ends mid-way.
    let first_run = makistry::background_runtime().unwrap();
    let slow_demo = |runtime: &tokio::runtime::Runtime| AppConfig {
        runtime: runtime.handle().clone(),
        demo: true,
        demo_timing: Timing::Fixed {
            queued: Duration::from_secs(1),
            processing: Duration::from_secs(1),
        },
        // Polls every 0.5 s: the job's few polls stay within the key's 20 a minute.
        time_scale: 0.1,
        ..machine.config()
    };
    let config = slow_demo(&first_run);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 1000.0))
        .build_eframe(move |cc| MakistryApp::new(cc, config));
    wait_for_text(&mut harness, "OFFLINE DEMO");
    type_into(&mut harness, "Prompt", "A lens cap for a 52 mm lens");
    click(&mut harness, "Generate");
    wait_for_text(&mut harness, "Waiting for a Makistry worker");
    drop(harness);
    first_run.shutdown_background();

    let config = slow_demo(&machine.runtime);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 1000.0))
        .build_eframe(move |cc| MakistryApp::new(cc, config));
    wait_for_text(&mut harness, "A lens cap for a 52 mm lens");
    wait_for_text(&mut harness, "Design summary");
    let saved = std::fs::read_to_string(machine.data.path().join("demo/emulator.json")).unwrap();
    let saved: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(
        saved["jobs"].as_array().map(Vec::len),
        Some(1),
        "the same job, not a second"
    );
}
