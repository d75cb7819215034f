//! One frame of the jobs panel, as the window draws it (egui's layout and tessellation, no
//! GL), for a history of 10 jobs and of 10,000: the list lays out only the cards in view, so
//! the two should cost about the same (issue 23; before, every card was laid out each frame).
//!
//! `cargo bench --bench job_list_frame`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashMap;
use std::time::Instant;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use makistry::jobs::JobRecord;
use makistry::ui::jobs::{CardHeights, JobsView, jobs_ui};

#[path = "support/jobs.rs"]
mod jobs;
use jobs::finished_job;

/// The jobs panel at the window's default size, one frame drawn and tessellated.
fn frame_of(jobs: usize) -> impl FnMut() {
    let records: Vec<JobRecord> = (0..jobs).map(finished_job).collect();
    let ctx = egui::Context::default();
    // As the window holds them: the history's ids in order, the records by id.
    let ids: Vec<String> = records.iter().map(|j| j.id.clone()).collect();
    let by_id: HashMap<String, JobRecord> =
        records.into_iter().map(|j| (j.id.clone(), j)).collect();
    let mut heights = CardHeights::default();
    let mut search = String::new();
    let live = HashMap::new();
    let thumbnails = HashMap::new();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(300.0, 760.0),
        )),
        ..Default::default()
    };
    move || {
        let shown: Vec<&str> = ids.iter().map(String::as_str).collect();
        let running = |_: &str| false;
        let find = |id: &str| by_id.get(id);
        let view = JobsView {
            live: &live,
            selected: None,
            now: Utc::now(),
            instant: Instant::now(),
            running: &running,
            thumbnails: &thumbnails,
            find: &find,
            pace: None,
        };
        let mut output = ctx.run_ui(input(), |ui| {
            let _ = jobs_ui(ui, &shown, &mut search, &view, &mut heights);
        });
        let shapes = std::mem::take(&mut output.shapes);
        let primitives = ctx.tessellate(shapes, output.pixels_per_point);
        std::hint::black_box(primitives);
        // No GPU takes the font atlas here.
        output.drop_without_applying_deltas();
    }
}

fn job_list(c: &mut Criterion) {
    let mut group = c.benchmark_group("jobs panel");
    group.sample_size(30);
    for jobs in [10, 10_000] {
        let mut frame = frame_of(jobs);
        // The first frames measure the cards in view.
        for _ in 0..3 {
            frame();
        }
        group.bench_function(format!("one frame, {jobs} jobs"), |b| b.iter(&mut frame));
    }
    group.finish();
}

criterion_group!(benches, job_list);
criterion_main!(benches);
