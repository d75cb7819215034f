//! Models for the 3D view: read (with progress, cancel and a stand-in for large ones), a
//! surface point under a click, a screenshot rendered off screen.

use super::*;
use crate::model::ModelSummary;
use std::path::PathBuf;
use std::sync::Arc;

/// Reads a model and summarises it, waking the window a few times a second meanwhile so it
/// draws the progress. A cancelled load reports nothing: the window has moved on.
pub async fn load_model(
    path: PathBuf,
    from_api: bool,
    progress: Arc<crate::model::LoadProgress>,
    report: Reporter,
) {
    let (read, shared) = (path.clone(), progress.clone());
    let load = blocking(move || {
        let mut model = crate::model::load_path_with(&read, &shared)?;
        if from_api {
            model.units = crate::model::Units::Millimetres;
        }
        Ok((ModelSummary::of(&model), Arc::new(model)))
    });
    tokio::pin!(load);
    let mut ticks = tokio::time::interval(std::time::Duration::from_millis(150));
    let loaded = loop {
        tokio::select! {
            loaded = &mut load => break loaded,
            _ = ticks.tick() => (report.waker())(),
        }
    };
    let result = match loaded {
        Some(Ok(loaded)) => Ok(loaded),
        Some(Err(crate::model::LoadError::Cancelled)) => return,
        Some(Err(e)) => Err(e),
        None => Err(crate::model::LoadError::Io(
            "reading it stopped before the end".into(),
        )),
    };
    if progress.is_cancelled() {
        return;
    }
    report.send(Event::Preview(PreviewEvent::ModelLoaded { path, result }));
}

/// Makes the lighter copy of a large model that the view draws while it moves (asked for
/// only where frames of the full model are slow: see [`crate::viewer::DrawSpeed`]).
pub async fn make_stand_in(path: PathBuf, model: Arc<crate::model::Model>, report: Reporter) {
    let of = model.clone();
    let started = std::time::Instant::now();
    let stand_in = blocking(move || crate::model::simplified(&model, STAND_IN_TRIANGLES)).await;
    if let Some(Some(stand_in)) = stand_in {
        tracing::info!(
            "a {}-triangle stand-in for moving the view, made in {} ms",
            stand_in.triangles(),
            started.elapsed().as_millis()
        );
        report.send(Event::Preview(PreviewEvent::StandIn {
            path,
            of,
            stand_in: Arc::new(stand_in),
        }));
    }
}

/// Makes the overlay of two compared models (a copy of both: off the UI thread).
pub async fn make_overlay(
    models: [Arc<crate::model::Model>; 2],
    ups: [crate::model::overlay::Up; 2],
    report: Reporter,
) {
    let of = [models[0].id, models[1].id];
    let made = blocking(move || {
        let [first, second] = &models;
        let placed = |model, up| crate::model::overlay::Placed { model, up };
        let model = crate::model::overlay::overlay(placed(first, ups[0]), placed(second, ups[1]));
        (ModelSummary::of(&model), Arc::new(model))
    })
    .await;
    if let Some(made) = made {
        report.send(Event::Preview(PreviewEvent::Overlay { of, made }));
    }
}

/// About how many triangles the stand-in has.
pub(super) const STAND_IN_TRIANGLES: usize = 150_000;

/// Finds where a ray from the eye meets the model (a pass over every triangle: off the UI
/// thread).
pub async fn pick_surface_point(
    model: Arc<crate::model::Model>,
    origin: [f32; 3],
    direction: [f32; 3],
    hidden: std::collections::HashSet<usize>,
    report: Reporter,
) {
    let id = model.id;
    let hit = blocking(move || {
        crate::model::pick(&model, origin, direction, |part| !hidden.contains(&part))
    })
    .await
    .flatten();
    report.send(Event::Preview(PreviewEvent::SurfacePoint {
        model: id,
        hit,
    }));
}

/// Renders the view off screen (the viewport's scene code over EGL) and saves it as a PNG.
pub async fn screenshot(
    model: Arc<crate::model::Model>,
    name: String,
    camera: crate::viewer::camera::OrbitCamera,
    look: crate::viewer::Look,
    size: [u32; 2],
    dir: PathBuf,
    report: Reporter,
) {
    let target = dir.join(&name);
    let rendered = blocking(move || -> Result<PathBuf, String> {
        #[cfg(target_os = "linux")]
        {
            let image = crate::viewer::headless::render_parts(
                &model,
                &camera,
                &look,
                size[0],
                size[1],
                [255, 255, 255, 255],
            )
            .map_err(|e| e.to_string())?;
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            image
                .save_with_format(&target, image::ImageFormat::Png)
                .map_err(|e| e.to_string())?;
            Ok(target)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (model, camera, look, size, dir, target);
            Err("screenshots need EGL, which this build has only on Linux".into())
        }
    })
    .await;
    match rendered {
        Some(Ok(png)) => save_as(png, name, report).await,
        Some(Err(reason)) => report.send(Event::Notice(Notice::NoScreenshot(reason))),
        None => {}
    }
}

/// Pictures of finished jobs for their cards, by `job:<id>`: each kept thumbnail is read, and
/// one missing (a job finished before thumbnails, or by a process without off-screen GL) is
/// made from the job's file first. One event for them all; none if there are none.
pub async fn job_thumbnails(data_dir: PathBuf, jobs: Vec<(String, PathBuf)>, report: Reporter) {
    let read = blocking(move || {
        jobs.into_iter()
            .filter_map(|(id, file)| {
                let path = crate::viewer::thumbnail::thumbnail_path(&data_dir, &id);
                if !path.is_file()
                    && file.is_file()
                    && let Err(reason) = crate::viewer::thumbnail::make(&file, &path)
                {
                    tracing::info!("no thumbnail for job {id}: {reason}");
                }
                let image = image::open(&path).ok()?.to_rgba8();
                let size = [image.width() as usize, image.height() as usize];
                let picture = egui::ColorImage::from_rgba_unmultiplied(size, image.as_raw());
                Some((crate::ui::jobs::job_thumbnail_key(&id), picture))
            })
            .collect::<Vec<_>>()
    })
    .await;
    if let Some(thumbnails) = read.filter(|t| !t.is_empty()) {
        report.send(Event::Thumbnails(thumbnails));
    }
}
