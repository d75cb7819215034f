//! Load time of a 1.3-million-triangle part, as binary STL (65 MB) and as GLB, through the
//! viewer's own loaders (`makistry::model`). The mesh is made here, not committed: an
//! icosphere subdivided 8 times (1,310,720 triangles) with a little deterministic noise, so no
//! two triangles are alike.
//!
//! `cargo bench --bench model_loading` runs it; the files stay in `target/bench-data/` for
//! `benches/compare.sh`, which times trimesh and `makistry inspect` on the same files.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use makistry::model::load_path;

#[path = "support/bench_data.rs"]
mod bench_data;

fn model_loading(c: &mut Criterion) {
    let (stl, glb) = bench_data::bench_files();
    let mut group = c.benchmark_group("load 1.3M triangles");
    group.sample_size(10);
    group.bench_function("binary STL", |b| b.iter(|| load_path(&stl).expect("loads")));
    group.bench_function("GLB", |b| b.iter(|| load_path(&glb).expect("loads")));
    // The light copy the viewport draws while the view moves (made after the load, off the
    // UI thread).
    let model = load_path(&stl).expect("loads");
    group.bench_function("stand-in of 150k triangles", |b| {
        b.iter(|| makistry::model::simplified(&model, 150_000).expect("simplified"))
    });
    group.finish();
}

criterion_group!(benches, model_loading);
criterion_main!(benches);
