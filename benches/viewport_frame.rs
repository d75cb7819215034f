//! Frame time of the viewport with the 1.3-million-triangle benchmark part: the viewport's
//! own scene code (`render_scene`: lit parts, grid, edges when on) drawing into an off-screen
//! target of a Mesa EGL context, the camera turning a little each frame as when the user
//! orbits. Each iteration waits for the GL to finish, so the time is the whole frame's.
//! Linux only (EGL); with Mesa's llvmpipe it measures the software rasterizer a machine
//! without a GPU (CI, Xvfb, VMs) uses.
//!
//! `cargo bench --bench viewport_frame`

#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "support/bench_data.rs"]
mod bench_data;

#[cfg(target_os = "linux")]
fn viewport_frame(c: &mut Criterion) {
    use makistry::viewer::headless::OffscreenView;
    use makistry::viewer::{Look, opening_view};

    let (stl, _) = bench_data::bench_files();
    let model = makistry::model::load_path(&stl).expect("loads");
    let mut camera = opening_view(&stl, &model);
    // The viewport's size in the window at its default size (1180×760), in pixels.
    let (width, height) = (535, 418);
    let mut view = OffscreenView::new(&model, camera.up_axis, width, height)
        .expect("EGL renders (Mesa: libegl1, libgl1-mesa-dri)");
    let background = [10, 10, 10, 255];
    let mut group = c.benchmark_group(format!("frame of 1.3M triangles at {width}x{height}"));
    group.sample_size(20);
    group.bench_function("shaded, with grid", |b| {
        b.iter(|| {
            camera.orbit(3.0, 0.0);
            view.draw(&camera, &Look::default(), background);
        })
    });
    let edges = Look {
        edges: true,
        ..Default::default()
    };
    group.bench_function("shaded, with grid and edges", |b| {
        b.iter(|| {
            camera.orbit(3.0, 0.0);
            view.draw(&camera, &edges, background);
        })
    });
    // What the viewport draws while the view moves: the model's light stand-in.
    let stand_in = makistry::model::simplified(&model, 150_000).expect("a stand-in");
    let mut light = OffscreenView::new(&stand_in, camera.up_axis, width, height).expect("EGL");
    group.bench_function(
        format!(
            "while moving: the {}-triangle stand-in, with grid",
            stand_in.triangles()
        ),
        |b| {
            b.iter(|| {
                camera.orbit(3.0, 0.0);
                light.draw(&camera, &Look::default(), background);
            })
        },
    );
    group.finish();
}

#[cfg(not(target_os = "linux"))]
fn viewport_frame(_: &mut Criterion) {
    eprintln!("viewport_frame needs EGL, which this build has only on Linux");
}

criterion_group!(benches, viewport_frame);
criterion_main!(benches);
