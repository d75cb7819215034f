//! Tests that need a system service; built only with `--features system-tests`, and run by
//! `.ci/test`, which starts the services first. They fail, never skip, when a service is
//! missing.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The keychain has one entry for the API key: tests that touch it take turns.
static KEYCHAIN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Kills the child when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

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

/// Paste: an image on the real X clipboard (put there by xclip, as an image viewer would)
/// reaches the form through arboard, and is checked like a file.
#[test]
fn an_image_on_the_clipboard_is_attached_with_paste() {
    use crate::ui::{Machine, click, shows, sign_in, wait_for_text};

    let machine = Machine::new();
    let png = machine.file(
        "copied.png",
        &crate::support::images::encoded(image::ImageFormat::Png),
    );
    let status = Command::new("xclip")
        .args(["-selection", "clipboard", "-t", "image/png", "-i"])
        .arg(&png)
        .status()
        .expect("xclip runs (apt-get install xclip)");
    assert!(status.success(), "xclip could not take the clipboard");

    let mut harness = machine.open();
    sign_in(&machine, &mut harness);
    click(&mut harness, "Paste");
    wait_for_text(&mut harness, "Image 1: PNG");
    assert!(!shows(&harness, "no image on the clipboard"));
}
