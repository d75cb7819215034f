//! Tests that need a system service; built only with `--features system-tests`, and run by
//! `.ci/test`, which starts the services first. They fail, never skip, when a service is
//! missing.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    let app = Command::new(env!("CARGO_BIN_EXE_makistry-desktop"))
        .env("DISPLAY", &display)
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
        geometry.contains("960x640"),
        "unexpected window geometry: {geometry}"
    );
}
