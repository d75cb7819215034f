//! Tests that need a system service; built only with `--features system-tests`, and run by
//! `.ci/test`, which starts the services first. They fail, never skip, when a service is
//! missing.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The keychain has one entry for the API key: tests that touch it take turns.
static KEYCHAIN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Kills the child when the test ends, however it ends.
pub(crate) struct KillOnDrop(pub(crate) std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real window opens with eframe's glow renderer on the X display (Xvfb + Mesa in CI),
/// stays up, and starts its offline demo.
#[test]
fn the_window_opens_on_a_real_x_display() {
    let display =
        std::env::var("DISPLAY").expect("DISPLAY must name an X server (.ci/test starts Xvfb)");
    let data = tempfile::tempdir().unwrap();
    let app = Command::new(env!("CARGO_BIN_EXE_makistry-desktop"))
        .arg("--demo")
        .env("DISPLAY", &display)
        .env("MAKISTRY_DATA_DIR", data.path())
        .env("RUST_LOG", "makistry=info")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("makistry-desktop starts");
    let mut app = KillOnDrop(app);

    let started = Instant::now();
    let window = loop {
        let search = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", "Makistry Desktop"])
            .env("DISPLAY", &display)
            .output()
            .expect("xdotool runs (apt-get install xdotool)");
        let ids = String::from_utf8_lossy(&search.stdout).trim().to_string();
        if !ids.is_empty() {
            break ids;
        }
        if let Some(status) = app.0.try_wait().expect("child status") {
            panic!("makistry-desktop exited with {status} before showing a window");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no window within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        app.0.try_wait().expect("child status").is_none(),
        "the app died after mapping window {window}"
    );

    let geometry = Command::new("xdotool")
        .args([
            "getwindowgeometry",
            window.lines().next().unwrap_or_default(),
        ])
        .env("DISPLAY", &display)
        .output()
        .expect("xdotool runs");
    let geometry = String::from_utf8_lossy(&geometry.stdout);
    assert!(
        geometry.contains("1180x760"),
        "unexpected window geometry: {geometry}"
    );
}

/// A real Secret Service (gnome-keyring in CI, started by `.ci/test` in a D-Bus session):
/// the key is stored, read back, replaced and removed through the OS keychain.
#[test]
fn the_api_key_round_trips_through_the_real_secret_service() {
    use makistry::keychain::{Keychain, Secret};
    let _turn = KEYCHAIN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: run the system tests through .ci/test"
    );
    let keychain = Keychain::system().expect("the Secret Service is reachable");
    let first = Secret::new("mk_pub_0123456789abcdef0123456789abcdef");
    let second = Secret::new("mk_pub_fedcba9876543210fedcba9876543210");
    keychain.save(&first).expect("stored");
    assert_eq!(keychain.load().expect("read").as_ref(), Some(&first));
    keychain.save(&second).expect("replaced");
    assert_eq!(
        Keychain::system().unwrap().load().unwrap().as_ref(),
        Some(&second),
        "a fresh handle sees it"
    );
    assert_eq!(keychain.clear(), Ok(true));
    assert_eq!(keychain.load(), Ok(None));
}

/// `makistry key set` (key on stdin) stores the key in the Secret Service, checked with the
/// API; `generate` then uses it with no MAKISTRY_API_KEY; `key clear` removes it.
#[test]
fn the_cli_stores_and_uses_the_key_from_the_secret_service() {
    use std::io::Write;

    let _turn = KEYCHAIN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emu = runtime
        .block_on(makistry::emulator::Emulator::start())
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let makistry = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_makistry"));
        command
            .args(args)
            .env("MAKISTRY_BASE_URL", emu.base_url())
            .env("MAKISTRY_DATA_DIR", data.path())
            .env_remove("MAKISTRY_API_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    let mut set = makistry(&["key", "set"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(set.stdin.take().unwrap(), "  {}  ", emu.api_key()).unwrap();
    let set = set.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&set.stderr).to_string();
    assert!(set.status.success(), "{said}");
    assert!(said.contains("the API accepted it"), "{said}");
    assert!(!said.contains(emu.api_key()));

    let out = data.path().join("part.stl");
    let generated = makistry(&[
        "generate",
        "a gear",
        "--format",
        "stl",
        "--out",
        out.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    assert!(out.exists());

    let cleared = makistry(&["key", "clear"]).output().unwrap();
    assert!(cleared.status.success());
    let without = makistry(&["key", "status"]).output().unwrap();
    assert_eq!(
        without.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&without.stderr)
    );
}

/// The X clipboard is one per display: tests that fill it take turns.
static CLIPBOARD: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Puts `file` on the real X clipboard as `mime`, as an image viewer or file manager would
/// (xclip stays in the background to answer, in INCR steps for large files).
fn copy_to_clipboard(file: &std::path::Path, mime: &str) {
    let status = Command::new("xclip")
        .args(["-selection", "clipboard", "-t", mime, "-i"])
        .arg(file)
        .status()
        .expect("xclip runs (apt-get install xclip)");
    assert!(status.success(), "xclip could not take the clipboard");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Paste: an image on the real X clipboard reaches the form as the very file the copying app
/// offered (not decoded and re-encoded): the app keeps those bytes, and sends them.
#[test]
fn an_image_on_the_clipboard_is_attached_with_paste_as_the_same_bytes() {
    use crate::window::{Machine, click, shows, sign_in, wait_for_text};
    let _turn = CLIPBOARD.lock().unwrap_or_else(|e| e.into_inner());

    for (format, mime, label, extension) in [
        (image::ImageFormat::Png, "image/png", "Image 1: PNG", "png"),
        (
            image::ImageFormat::Jpeg,
            "image/jpeg",
            "Image 1: JPEG",
            "jpg",
        ),
    ] {
        let machine = Machine::new();
        let bytes = crate::support::images::encoded(format);
        let copied = machine.file(&format!("copied.{extension}"), &bytes);
        copy_to_clipboard(&copied, mime);

        let mut harness = machine.open();
        sign_in(&machine, &mut harness);
        click(&mut harness, "Paste");
        wait_for_text(&mut harness, label);
        assert!(!shows(&harness, "on the clipboard"));
        let kept = machine
            .data_dir()
            .join("images")
            .join(format!("{}.{extension}", sha256_hex(&bytes)));
        assert_eq!(
            std::fs::read(&kept).expect("the pasted image is kept under its own SHA-256"),
            bytes
        );
    }
}

/// A PNG over 10 MiB on the clipboard is refused with the same sentence as the same file
/// dropped on the window: the limit is judged on what would be sent.
#[test]
fn a_pasted_image_over_10_mib_is_refused_like_a_dropped_one() {
    use crate::window::{Machine, click, drop_files, sign_in, wait_for_text};
    use egui_kittest::kittest::{NodeT, Queryable};
    let _turn = CLIPBOARD.lock().unwrap_or_else(|e| e.into_inner());

    let machine = Machine::new();
    let size = (10.4 * 1024.0 * 1024.0) as usize;
    let big = machine.file("big.png", &crate::support::images::png_of_size(size));
    copy_to_clipboard(&big, "image/png");

    let mut harness = machine.open();
    sign_in(&machine, &mut harness);
    click(&mut harness, "Paste");
    let refusal = "is 10.4 MiB; images must be at most 10 MiB.";
    wait_for_text(&mut harness, refusal);
    drop_files(&mut harness, &[big]);
    crate::window::step_until(&mut harness, "both refusals", |h| {
        h.query_all_by_label_contains(refusal).count() == 2
    });
    let sentences: Vec<String> = harness
        .query_all_by_label_contains(refusal)
        .filter_map(|node| {
            let node = node.accesskit_node();
            node.value().or_else(|| node.label())
        })
        .map(|text| text.split_once(' ').unwrap().1.to_string())
        .collect();
    assert_eq!(sentences[0], sentences[1], "pasted and dropped read alike");
    assert!(!crate::window::shows(&harness, "Image 1:"));
}

/// A file copied in the file manager (a `text/uri-list` on the clipboard) is attached by Paste,
/// as if it had been dropped.
#[test]
fn a_file_copied_in_the_file_manager_is_attached_with_paste() {
    use crate::window::{Machine, click, sign_in, wait_for_text};
    let _turn = CLIPBOARD.lock().unwrap_or_else(|e| e.into_inner());

    let machine = Machine::new();
    let webp = machine.file(
        "front view.webp",
        &crate::support::images::encoded(image::ImageFormat::WebP),
    );
    let uri = url::Url::from_file_path(&webp).unwrap();
    let list = machine.file("copied-files.txt", format!("{uri}\r\n").as_bytes());
    copy_to_clipboard(&list, "text/uri-list");

    let mut harness = machine.open();
    sign_in(&machine, &mut harness);
    click(&mut harness, "Paste");
    wait_for_text(&mut harness, "Image 1: WEBP");
}
