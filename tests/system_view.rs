//! System tests of what the 3D view draws: the headless renderer's pixels (EGL, no display)
//! and the real window's, read from the X screen (Xvfb in CI). Built only with
//! `--features system-tests`, run by `.ci/test`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::system::KillOnDrop;

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

/// No axis sticks out of the part: the file's axes are shown in the view's corner (painted
/// by the window), not drawn in the scene at the origin, where Makistry's parts sit and the
/// up axis poked out of the lens cap's top. Nothing strongly red, green or blue is drawn.
#[test]
fn no_axis_pokes_out_of_the_part() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/parts/lens_cap.stl");
    let model = makistry::model::load_path(&path).unwrap();
    let camera = makistry::viewer::opening_view(&path, &model);
    let look = makistry::viewer::Look::default();
    assert!(!look.hide_grid, "the grid is on, as the view opens");
    let image = makistry::viewer::headless::render_parts(
        &model,
        &camera,
        &look,
        320,
        240,
        [40, 40, 44, 255],
    )
    .expect("EGL renders");
    let coloured = image
        .pixels()
        .filter(|p| {
            let [r, g, b] = [p.0[0], p.0[1], p.0[2]].map(i32::from);
            let (high, low) = (r.max(g).max(b), r.min(g).min(b));
            high - low > 60
        })
        .count();
    assert_eq!(coloured, 0, "{coloured} strongly coloured pixels (an axis)");
}

/// A comparison's overlay on screen: the first part solid orange, the second blended blue
/// over it. Seen from above, a small plate over a large one: where the small one lies over
/// the large one, the orange shows through (it is hidden when the small one is solid).
#[test]
fn an_overlay_shows_the_first_part_through_the_second() {
    use makistry::model::overlay::{Placed, Up, overlay};
    use makistry::model::{Model, Part};
    let square = |half: f32, z: f32| {
        let corners = vec![
            [-half, -half, z],
            [half, -half, z],
            [half, half, z],
            [-half, half, z],
        ];
        Model::new(vec![Part::new(
            "plate".into(),
            corners,
            vec![[0.0, 0.0, 1.0]; 4],
            vec![0, 1, 2, 0, 2, 3],
            [0.7, 0.7, 0.7, 1.0],
        )])
    };
    let (large, small) = (square(20.0, 0.0), square(8.0, 5.0));
    let placed = |model| Placed { model, up: Up::Z };
    let both = overlay(placed(&large), placed(&small));
    let mut camera =
        makistry::viewer::camera::OrbitCamera::new(makistry::viewer::camera::UpAxis::Z);
    camera.set_view(makistry::viewer::camera::StandardView::Top);
    camera.fit(both.bounds.min, both.bounds.max);
    let look = makistry::viewer::Look {
        hide_grid: true,
        ..Default::default()
    };
    let render = |model: &Model| {
        makistry::viewer::headless::render_parts(model, &camera, &look, 200, 200, [255; 4])
            .expect("EGL renders")
    };
    let count = |image: &image::RgbaImage, test: fn(i32, i32, i32) -> bool| {
        image
            .pixels()
            .filter(|p| test(i32::from(p.0[0]), i32::from(p.0[1]), i32::from(p.0[2])))
            .count()
    };
    // Lit from above: the orange is about (230, 184, 94), the solid blue (183, 221, 235), and
    // the orange through the blue (206, 202, 164): told apart by red less blue.
    let warm = |r: i32, _: i32, b: i32| r - b > 100;
    let blue = |r: i32, _: i32, b: i32| b - r > 30;
    let mixed = |r: i32, _: i32, b: i32| (20..70).contains(&(r - b));
    let seen = render(&both);
    let mut solid = both.clone();
    solid.parts[1].color[3] = 1.0;
    let hidden = render(&solid);
    assert!(count(&seen, warm) > 2000, "the large plate is orange");
    assert!(count(&hidden, blue) > 500, "the small plate is blue");
    let (mixed_seen, mixed_hidden) = (count(&seen, mixed), count(&hidden, mixed));
    assert!(
        mixed_seen > 500 && mixed_hidden < 50,
        "the large plate shows through the small one: {mixed_seen} mixed pixels, \
         {mixed_hidden} with the small one solid"
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

/// Runs xdotool on `display` and returns what it printed.
fn xdotool(display: &str, args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .expect("xdotool runs (apt-get install xdotool)");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The window of Makistry Desktop once it is mapped: its x, y, width and height.
fn window_rect(display: &str) -> (i64, i64, i64, i64) {
    let started = Instant::now();
    let window = loop {
        let ids = xdotool(
            display,
            &["search", "--onlyvisible", "--name", "Makistry Desktop"],
        );
        if let Some(id) = ids.lines().next().filter(|id| !id.is_empty()) {
            break id.to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no window within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let geometry = xdotool(display, &["getwindowgeometry", "--shell", &window]);
    let value = |key: &str| -> i64 {
        geometry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} in {geometry}"))
    };
    (value("X"), value("Y"), value("WIDTH"), value("HEIGHT"))
}

/// The share of `pixels` that are light (the part; the dark theme's backdrop is dark).
fn light_share(pixels: &[[u8; 3]]) -> f64 {
    let light = pixels
        .iter()
        .filter(|p| p.iter().map(|&c| u32::from(c)).sum::<u32>() > 3 * 150)
        .count();
    light as f64 / pixels.len() as f64
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
    let (x, y, width, height) = window_rect(&display);
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
    // The part shows once it is read and drawn (all of it in one frame or a few).
    let started = Instant::now();
    let before = loop {
        let pixels = view();
        if light_share(&pixels) > 0.05 {
            break pixels;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the view shows no part: {:.1} % of its middle is light",
            light_share(&pixels) * 100.0
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    // A drag across the view's middle turns it.
    let (cx, cy) = ((region.0 + region.2) / 2, (region.1 + region.3) / 2);
    xdotool(
        &display,
        &[
            "mousemove",
            &cx.to_string(),
            &cy.to_string(),
            "mousedown",
            "1",
        ],
    );
    for step in 1..=6 {
        xdotool(
            &display,
            &["mousemove", &(cx + step * 25).to_string(), &cy.to_string()],
        );
        std::thread::sleep(Duration::from_millis(30));
    }
    xdotool(&display, &["mouseup", "1"]);
    let started = Instant::now();
    loop {
        let after = view();
        let changed = before.iter().zip(&after).filter(|(a, b)| a != b).count();
        if changed as f64 > 0.02 * before.len() as f64 && light_share(&after) > 0.05 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the view did not turn: {changed} of {} pixels changed, {:.1} % light",
            before.len(),
            light_share(&after) * 100.0
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A STEP part whose faces the file colours apart shows them apart: FreeCAD's cube, its six
/// faces each of its own colour, shows its three visible faces in three different colours
/// (told apart by chromaticity, which shading does not change), where the same cube in one
/// colour shows one.
#[test]
fn faces_the_file_colours_apart_show_apart() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/step/ocjs_test_testfiles_cube-fcstd_cube2.step");
    if !path.is_file() {
        let note = "../shared/corpus is not beside the project: face colours on screen were NOT \
                    checked";
        assert!(std::env::var_os("CI").is_none(), "{note}");
        eprintln!("NOTE: {note}");
        return;
    }
    let model = makistry::model::load_path(&path).unwrap();
    let camera = makistry::viewer::opening_view(&path, &model);
    let colours_on_screen = |model: &makistry::model::Model| {
        let image = makistry::viewer::headless::render(model, &camera, 320, 240, [255; 4])
            .expect("EGL renders (Mesa: libegl1, libgl1-mesa-dri)");
        // Chromaticity (r, g shares of r + g + b) of the coloured pixels (the grid is grey),
        // in steps of 0.05; a colour counts where it covers a tenth of those pixels.
        let mut counts = std::collections::HashMap::new();
        let mut coloured = 0u32;
        for pixel in image.pixels() {
            let [r, g, b] = [0, 1, 2].map(|i| f32::from(pixel.0[i]));
            if r.max(g).max(b) - r.min(g).min(b) < 25.0 {
                continue;
            }
            let sum = r + g + b;
            let key = ((r / sum * 20.0) as u32, (g / sum * 20.0) as u32);
            *counts.entry(key).or_insert(0u32) += 1;
            coloured += 1;
        }
        counts.values().filter(|&&n| n * 10 > coloured).count()
    };
    let mut one_colour = model.clone();
    for part in &mut one_colour.parts {
        part.colors.clear();
    }
    let (apart, plain) = (colours_on_screen(&model), colours_on_screen(&one_colour));
    assert!(
        apart >= 3 && plain <= 1,
        "{apart} colours on screen, {plain} in one colour"
    );
}

/// In a fresh data dir, every job `makistry generate` finishes (STEP, GLB, STL) gets a
/// thumbnail that `makistry jobs --json` lists: a PNG of at least 64 px showing the part
/// (opaque pixels over a transparent background, a fair share of the picture, centred).
#[tokio::test(flavor = "multi_thread")]
async fn every_generated_job_gets_a_thumbnail_that_shows_its_part() {
    use crate::support::cli::{listed_jobs, makistry, run, text};
    let emu = crate::support::emulator_with(makistry::emulator::EmulatorConfig::default()).await;
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    for format in ["step", "glb", "stl"] {
        let mut generate = makistry(&emu, &data);
        generate
            .env("RUST_LOG", "warn")
            .args([
                "generate",
                "A 60 mm lens cap with a snap-fit lip",
                "--format",
            ])
            .arg(format)
            .arg("--out")
            .arg(work.path().join(format!("cap.{format}")));
        let generated = run(generate).await;
        assert!(generated.status.success(), "{}", text(&generated));
    }
    let (listed, jobs) = listed_jobs(&emu, &data).await;
    assert_eq!(jobs.len(), 3, "{}", text(&listed));
    for job in &jobs {
        let path = job["thumbnail"]
            .as_str()
            .unwrap_or_else(|| panic!("no thumbnail listed for {}", job["format"]));
        assert!(std::path::Path::new(path).is_absolute());
        let picture = image::open(path).unwrap().to_rgba8();
        assert!(picture.width() >= 64 && picture.height() >= 64);
        let opaque: Vec<(u32, u32)> = picture
            .enumerate_pixels()
            .filter(|(_, _, p)| p[3] > 128)
            .map(|(x, y, _)| (x, y))
            .collect();
        let share = opaque.len() as f64 / f64::from(picture.width() * picture.height());
        assert!(
            (0.05..0.9).contains(&share),
            "{}: the part covers {:.0} % of its thumbnail",
            job["format"],
            share * 100.0
        );
        let mean = |axis: fn(&(u32, u32)) -> u32| {
            opaque.iter().map(axis).map(f64::from).sum::<f64>() / opaque.len() as f64
        };
        let (cx, cy) = (mean(|p| p.0), mean(|p| p.1));
        let middle = f64::from(picture.width()) / 2.0;
        assert!(
            (cx - middle).abs() < middle * 0.3 && (cy - middle).abs() < middle * 0.3,
            "{}: the part is off centre at ({cx:.0}, {cy:.0})",
            job["format"]
        );
    }
}

/// The window makes the picture of a job it downloaded (EGL, no display) and its card shows
/// it; the picture shows the job, as the title does.
#[test]
fn a_finished_job_s_card_shows_a_picture_of_its_part() {
    use crate::window::{Machine, shows, sign_in, step_until, submit};
    use egui_kittest::kittest::Queryable;
    let machine = Machine::new();
    let mut harness = machine.open();
    sign_in(&machine, &mut harness);
    submit(&mut harness, "A 60 mm lens cap with a snap-fit lip");
    step_until(&mut harness, "the card's picture", |h| {
        shows(h, "Picture of Lens Cap — 60mm OD")
    });
    submit(&mut harness, "An L bracket for a shelf");
    step_until(&mut harness, "the second picture", |h| {
        shows(h, "Picture of L-Bracket")
    });
    fn cap_labels(h: &egui_kittest::Harness<'_, makistry::app::MakistryApp>) -> usize {
        h.query_all_by_label_contains("Lens Cap — 60mm OD").count()
    }
    let before = cap_labels(&harness);
    harness
        .get_by_label("Picture of Lens Cap — 60mm OD")
        .click();
    step_until(&mut harness, "the cap in view", |h| cap_labels(h) > before);
}

/// `makistry thumbnail`, as a file manager runs it (no display): a square PNG of the part for
/// each format, other tools' files included; a broken file and one that takes too long end
/// with an error, and no picture.
#[test]
fn the_thumbnail_command_draws_each_format_without_a_display() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let thumbnail = |input: &std::path::Path, size: &str, limit: Option<&str>| {
        let png = out.path().join(format!(
            "{}.png",
            input.file_name().unwrap().to_string_lossy()
        ));
        let mut command = Command::new(env!("CARGO_BIN_EXE_makistry"));
        command
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .args(["thumbnail", "-s", size])
            .arg(input)
            .arg(&png);
        if let Some(limit) = limit {
            command.env("MAKISTRY_THUMBNAIL_TIMEOUT_S", limit);
        }
        (command.output().expect("makistry runs"), png)
    };
    let prusa = root.join("../shared/corpus/wild/3mf/prusaslicer_CR3D_calibration_cube.3mf");
    for input in [
        root.join("assets/parts/lens_cap.step"),
        root.join("assets/parts/enclosure_assembly.glb"),
        root.join("assets/parts/gear.stl"),
        prusa,
    ] {
        let (output, png) = thumbnail(&input, "128", None);
        assert!(output.status.success(), "{}: {output:?}", input.display());
        let picture = image::open(&png).unwrap().to_rgba8();
        assert_eq!(picture.dimensions(), (128, 128));
        let opaque = picture.pixels().filter(|p| p[3] > 128).count();
        let share = opaque as f64 / (128.0 * 128.0);
        assert!(
            (0.03..0.9).contains(&share),
            "{}: the part covers {share:.2} of its thumbnail",
            input.display()
        );
    }
    let broken = out.path().join("broken.step");
    std::fs::write(&broken, "ISO-10303-21;\nHEADER;\nnot STEP\n").unwrap();
    let (output, png) = thumbnail(&broken, "256", None);
    assert!(!output.status.success() && !png.exists());
    let step = root.join("assets/parts/enclosure_assembly.step");
    let started = Instant::now();
    let (output, png) = thumbnail(&step, "256", Some("0.05"));
    assert!(!output.status.success() && !png.exists(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("took longer than"),
        "{output:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it stopped at its limit"
    );
}
