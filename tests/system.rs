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

/// The headless renderer (EGL, no display) draws the part where the camera says it is: every
/// pixel that differs from the background lies inside the projection of the part's bounding
/// box, and the part covers a good share of that box.
#[test]
fn a_headless_render_draws_the_part_where_the_camera_projects_it() {
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/parts");
    for name in ["enclosure_assembly.glb", "gear.stl", "l_bracket.3mf"] {
        let path = assets.join(name);
        let model = makistry::model::load_path(&path).unwrap();
        let camera = makistry::viewer::opening_view(&path, &model);
        let (width, height) = (320u32, 240u32);
        let background = [255, 255, 255, 255];
        let image = makistry::viewer::headless::render(&model, &camera, width, height, background)
            .expect("EGL renders (Mesa: libegl1, libgl1-mesa-dri)");

        // The projected bounding box, in pixels (y down).
        let aspect = width as f32 / height as f32;
        let (min, max) = (model.bounds.min, model.bounds.max);
        let (mut left, mut right, mut top, mut bottom) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for corner in 0..8 {
            let p = [0, 1, 2].map(|i| {
                if corner & (1 << i) == 0 {
                    min[i]
                } else {
                    max[i]
                }
            });
            let [x, y] = camera.project(p, aspect);
            let (px, py) = (
                (x + 1.0) / 2.0 * width as f32,
                (1.0 - y) / 2.0 * height as f32,
            );
            (left, right, top, bottom) = (left.min(px), right.max(px), top.min(py), bottom.max(py));
        }
        let (mut inside, mut outside) = (0u32, 0u32);
        for (x, y, pixel) in image.enumerate_pixels() {
            if pixel.0 == background {
                continue;
            }
            let (x, y) = (x as f32 + 0.5, y as f32 + 0.5);
            let margin = 2.0;
            if x >= left - margin
                && x <= right + margin
                && y >= top - margin
                && y <= bottom + margin
            {
                inside += 1;
            } else {
                outside += 1;
            }
        }
        let box_area = (right - left) * (bottom - top);
        assert_eq!(
            outside, 0,
            "{name}: pixels drawn outside the projected bounds"
        );
        assert!(
            inside as f32 > 0.25 * box_area,
            "{name}: only {inside} of {box_area} pixels in the projected bounds are drawn"
        );
    }
}

#[test]
fn edges_draw_the_triangles_outlines_over_the_surface() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/parts/gear.stl");
    let model = makistry::model::load_path(&path).unwrap();
    let camera = makistry::viewer::opening_view(&path, &model);
    let dark = |look: &makistry::viewer::Look| {
        let image = makistry::viewer::headless::render_parts(
            &model,
            &camera,
            look,
            320,
            240,
            [255, 255, 255, 255],
        )
        .expect("EGL renders");
        // The edge colour is near black; the lit grey surface never is.
        image
            .pixels()
            .filter(|p| p.0[..3].iter().all(|&c| c < 40))
            .count()
    };
    let plain = dark(&makistry::viewer::Look::default());
    let edged = dark(&makistry::viewer::Look {
        edges: true,
        ..Default::default()
    });
    assert!(
        edged > plain + 1000,
        "edges should draw dark lines: {plain} dark pixels without, {edged} with"
    );
}

/// What users meet in every standard view, in both projections: the part framed at a
/// sensible size (the orthographic view once drew it as a one-pixel dot), and about the same
/// size in orthographic as in perspective. Pixels on screen, not the camera's arithmetic.
#[test]
fn every_standard_view_in_both_projections_frames_the_part() {
    use makistry::viewer::camera::StandardView;
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/parts");
    let (width, height) = (320u32, 240u32);
    let background = [255, 255, 255, 255];
    for name in [
        "enclosure_assembly.glb",
        "lens_cap.stl",
        "l_bracket.3mf",
        "gear.step",
    ] {
        let path = assets.join(name);
        let model = makistry::model::load_path(&path).unwrap();
        for view in [
            StandardView::Front,
            StandardView::Right,
            StandardView::Top,
            StandardView::Iso,
        ] {
            let mut covered = [0f32; 2];
            for (slot, orthographic) in [false, true].into_iter().enumerate() {
                let mut camera = makistry::viewer::opening_view(&path, &model);
                camera.set_view(view);
                camera.orthographic = orthographic;
                let image =
                    makistry::viewer::headless::render(&model, &camera, width, height, background)
                        .expect("EGL renders (Mesa: libegl1, libgl1-mesa-dri)");
                let (mut left, mut right, mut top, mut bottom) = (width, 0, height, 0);
                let mut drawn = 0u32;
                for (x, y, pixel) in image.enumerate_pixels() {
                    if pixel.0 != background {
                        drawn += 1;
                        (left, right, top, bottom) =
                            (left.min(x), right.max(x), top.min(y), bottom.max(y));
                    }
                }
                let what = format!("{name} {view:?} (orthographic: {orthographic})");
                assert!(drawn > 0, "{what}: nothing drawn");
                // Framed: the part spans a good part of the view one way or the other.
                let span = ((right - left) as f32 / width as f32)
                    .max((bottom - top) as f32 / height as f32);
                assert!(
                    span > 0.25 && span <= 1.0,
                    "{what}: spans {span:.2} of the view"
                );
                covered[slot] = drawn as f32 / (width * height) as f32;
            }
            let ratio = covered[1] / covered[0];
            assert!(
                (0.5..2.0).contains(&ratio),
                "{name} {view:?}: orthographic covers {:.3}, perspective {:.3}",
                covered[1],
                covered[0]
            );
        }
    }
}

/// A cube's six faces: outward normal and the four corners, counter-clockwise from outside.
fn cube_faces(size: f32) -> Vec<([f32; 3], [[f32; 3]; 4])> {
    let s = size;
    vec![
        (
            [0.0, 0.0, 1.0],
            [[0.0, 0.0, s], [s, 0.0, s], [s, s, s], [0.0, s, s]],
        ),
        (
            [0.0, 0.0, -1.0],
            [[0.0, 0.0, 0.0], [0.0, s, 0.0], [s, s, 0.0], [s, 0.0, 0.0]],
        ),
        (
            [0.0, -1.0, 0.0],
            [[0.0, 0.0, 0.0], [s, 0.0, 0.0], [s, 0.0, s], [0.0, 0.0, s]],
        ),
        (
            [0.0, 1.0, 0.0],
            [[0.0, s, 0.0], [0.0, s, s], [s, s, s], [s, s, 0.0]],
        ),
        (
            [-1.0, 0.0, 0.0],
            [[0.0, 0.0, 0.0], [0.0, 0.0, s], [0.0, s, s], [0.0, s, 0.0]],
        ),
        (
            [1.0, 0.0, 0.0],
            [[s, 0.0, 0.0], [s, s, 0.0], [s, s, s], [s, 0.0, s]],
        ),
    ]
}

/// STL parts carry no normals; the viewer derives each triangle's on the GPU. A cube drawn
/// that way must look like the same cube drawn with its true face normals (within 3 levels):
/// each face one even shade, and the faces told apart by the light.
#[test]
fn a_part_without_normals_is_shaded_like_one_with_its_true_face_normals() {
    use makistry::model::{Model, Part};
    let faces = cube_faces(10.0);
    let (mut positions, mut normals) = (Vec::new(), Vec::new());
    for (normal, [a, b, c, d]) in &faces {
        for corner in [a, b, c, a, c, d] {
            positions.push(*corner);
            normals.push(*normal);
        }
    }
    let indices: Vec<u32> = (0..positions.len() as u32).collect();
    let colour = [0.55, 0.57, 0.6, 1.0];
    let with_normals = Model::new(vec![Part::new(
        "cube".into(),
        positions.clone(),
        normals,
        indices.clone(),
        colour,
    )]);
    let without = Model::new(vec![Part::new(
        "cube".into(),
        positions,
        Vec::new(),
        indices,
        colour,
    )]);
    let path = std::path::Path::new("cube.stl");
    let camera = makistry::viewer::opening_view(path, &with_normals);
    let (width, height) = (320u32, 240u32);
    let render = |model: &Model| {
        makistry::viewer::headless::render(model, &camera, width, height, [255, 255, 255, 255])
            .expect("EGL renders (Mesa: libegl1, libgl1-mesa-dri)")
    };
    let (true_normals, derived) = (render(&with_normals), render(&without));
    let eye = camera.eye();
    let mut shades = Vec::new();
    for (normal, corners) in &faces {
        let centre = [0, 1, 2].map(|i| corners.iter().map(|c| c[i]).sum::<f32>() / 4.0);
        let towards_eye: f32 = (0..3).map(|i| normal[i] * (eye[i] - centre[i])).sum();
        if towards_eye <= 0.0 {
            continue;
        }
        // The centre and a point halfway to a corner: one face, one shade.
        for point in [centre, [0, 1, 2].map(|i| (centre[i] + corners[0][i]) / 2.0)] {
            let [x, y] = camera.project(point, width as f32 / height as f32);
            let (px, py) = (
                ((x + 1.0) / 2.0 * width as f32) as u32,
                ((1.0 - y) / 2.0 * height as f32) as u32,
            );
            let (a, b) = (
                true_normals.get_pixel(px, py).0,
                derived.get_pixel(px, py).0,
            );
            let difference = (0..3).map(|i| a[i].abs_diff(b[i])).max().unwrap_or(0);
            assert!(
                difference <= 3,
                "face {normal:?} at ({px}, {py}): {b:?} drawn, {a:?} with true normals"
            );
            shades.push((normal, b));
        }
    }
    assert_eq!(shades.len(), 6, "three faces face the opening view");
    for pair in shades.chunks(2) {
        assert_eq!(pair[0].1, pair[1].1, "face {:?} is one shade", pair[0].0);
    }
    // The iso view sees the two side faces at the same angle to the headlight: they match,
    // and the top differs from them.
    let distinct: std::collections::HashSet<_> = shades.iter().map(|(_, s)| s).collect();
    assert!(
        distinct.len() >= 2,
        "the light tells the faces apart: {shades:?}"
    );
}

/// The X screen's pixels as RGB, with its size.
fn screen_rgb(display: &str) -> (u32, u32, Vec<[u8; 3]>) {
    use x11rb::connection::Connection as _;
    use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat};
    let (connection, screen) = x11rb::connect(Some(display)).expect("the X display answers");
    let root = &connection.setup().roots[screen];
    let (width, height) = (root.width_in_pixels, root.height_in_pixels);
    let image = connection
        .get_image(ImageFormat::Z_PIXMAP, root.root, 0, 0, width, height, !0)
        .expect("GetImage is sent")
        .reply()
        .expect("the screen's pixels");
    // 24-bit depth in 32-bit pixels, blue first (Xvfb's and every little-endian server's).
    let pixels = image
        .data
        .chunks_exact(4)
        .map(|p| [p[2], p[1], p[0]])
        .collect();
    (u32::from(width), u32::from(height), pixels)
}

/// The real window shows a part in its 3D view, and a turn of the view shows it turned: the
/// kept picture is copied to the screen while the view is still and drawn again when it
/// moves. Read from the X screen's pixels, as the user sees them (the dark theme: the view's
/// backdrop is dark, the part light grey).
#[test]
fn the_window_shows_the_part_and_turns_it_when_dragged() {
    let display =
        std::env::var("DISPLAY").expect("DISPLAY must name an X server (.ci/test starts Xvfb)");
    let data = tempfile::tempdir().unwrap();
    let part = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/parts/l_bracket.stl");
    let app = Command::new(env!("CARGO_BIN_EXE_makistry-desktop"))
        .arg("--demo")
        .arg(&part)
        .env("DISPLAY", &display)
        .env("MAKISTRY_DATA_DIR", data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("makistry-desktop starts");
    let _app = KillOnDrop(app);
    let xdotool = |args: &[&str]| {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &display)
            .output()
            .expect("xdotool runs (apt-get install xdotool)");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let started = Instant::now();
    let window = loop {
        let ids = xdotool(&["search", "--onlyvisible", "--name", "Makistry Desktop"]);
        if let Some(id) = ids.lines().next().filter(|id| !id.is_empty()) {
            break id.to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no window within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let geometry = xdotool(&["getwindowgeometry", "--shell", &window]);
    let value = |key: &str| -> i64 {
        geometry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} in {geometry}"))
    };
    let (x, y, width, height) = (value("X"), value("Y"), value("WIDTH"), value("HEIGHT"));
    // The centre column, between the form and the jobs list, below the toolbar and above
    // the part's facts: the 3D view's middle.
    let region = (
        x + width * 32 / 100,
        y + height * 28 / 100,
        x + width * 72 / 100,
        y + height * 88 / 100,
    );
    let view = || {
        let (screen_width, _, pixels) = screen_rgb(&display);
        let mut out = Vec::new();
        for row in region.1..region.3 {
            for column in region.0..region.2 {
                out.push(pixels[(row * i64::from(screen_width) + column) as usize]);
            }
        }
        out
    };
    let light = |pixels: &[[u8; 3]]| {
        let bright = pixels
            .iter()
            .filter(|p| p.iter().map(|&c| u32::from(c)).sum::<u32>() > 3 * 150)
            .count();
        bright as f64 / pixels.len() as f64
    };
    // The part shows once it is read and drawn (all of it in one frame or a few).
    let started = Instant::now();
    let before = loop {
        let pixels = view();
        if light(&pixels) > 0.05 {
            break pixels;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the view shows no part: {:.1} % of its middle is light",
            light(&pixels) * 100.0
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    // A drag across the view's middle turns it.
    let (cx, cy) = ((region.0 + region.2) / 2, (region.1 + region.3) / 2);
    xdotool(&[
        "mousemove",
        &cx.to_string(),
        &cy.to_string(),
        "mousedown",
        "1",
    ]);
    for step in 1..=6 {
        xdotool(&["mousemove", &(cx + step * 25).to_string(), &cy.to_string()]);
        std::thread::sleep(Duration::from_millis(30));
    }
    xdotool(&["mouseup", "1"]);
    let started = Instant::now();
    loop {
        let after = view();
        let changed = before.iter().zip(&after).filter(|(a, b)| a != b).count();
        if changed as f64 > 0.02 * before.len() as f64 && light(&after) > 0.05 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the view did not turn: {changed} of {} pixels changed, {:.1} % light",
            before.len(),
            light(&after) * 100.0
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}
