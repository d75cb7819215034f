//! The preview driven through its public API, without a window (as `Screen` and `JobList`).

use super::*;
use crate::model::{LoadError, MeshFormat, ModelSummary, Part};

fn triangle() -> Arc<Model> {
    let part = Part::new(
        "plate".into(),
        vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        vec![[0.0, 0.0, 1.0]; 3],
        vec![0, 1, 2],
        [0.5; 4],
    );
    Arc::new(Model::new(vec![part]))
}

/// The reads `effects` ask for: (file, whether it is a job's, its progress).
fn reads(effects: Vec<Effect>) -> Vec<(PathBuf, bool, Arc<LoadProgress>)> {
    effects
        .into_iter()
        .map(|effect| match effect {
            Effect::Run(Task::LoadModel {
                path,
                from_api,
                progress,
            }) => (path, from_api, progress),
            other => panic!("expected a read, got {other:?}"),
        })
        .collect()
}

fn loaded(preview: &mut Preview, path: &str, model: Arc<Model>) {
    let _ = preview.apply(PreviewEvent::ModelLoaded {
        path: path.into(),
        result: Ok((ModelSummary::of(&model), model)),
    });
}

#[test]
fn each_shown_file_is_read_once() {
    let mut preview = Preview::default();
    preview.select(Selection::Job("j1".into()));
    let shown = [(PathBuf::from("/parts/a.step"), true)];
    let asked = reads(preview.load(&shown));
    assert_eq!(asked.len(), 1);
    assert_eq!(
        (asked[0].0.as_path(), asked[0].1),
        (Path::new("/parts/a.step"), true)
    );
    assert!(
        preview.load(&shown).is_empty(),
        "a read under way is not asked again"
    );
    loaded(&mut preview, "/parts/a.step", triangle());
    assert!(preview.load(&shown).is_empty(), "nor one done");
    assert!(preview.loaded_model(Path::new("/parts/a.step")).is_some());
}

#[test]
fn moving_on_abandons_a_read_under_way_and_drops_its_late_answer() {
    let mut preview = Preview::default();
    preview.open_file("/big.stl".into());
    let first = reads(preview.load(&[("/big.stl".into(), false)]));
    preview.open_file("/small.glb".into());
    let second = reads(preview.load(&[("/small.glb".into(), false)]));
    assert!(first[0].2.is_cancelled(), "the user moved on");
    assert!(!second[0].2.is_cancelled());
    // An answer for the abandoned file (sent before it saw the cancel) is not kept.
    loaded(&mut preview, "/big.stl", triangle());
    assert!(preview.loaded_model(Path::new("/big.stl")).is_none());
    assert_eq!(
        preview.selection(),
        Some(&Selection::File("/small.glb".into()))
    );
}

#[test]
fn a_comparison_reads_both_sides_and_closing_it_shows_the_first() {
    let mut preview = Preview::default();
    preview.compare(
        Selection::Job("v1".into()),
        Selection::File("/other.3mf".into()),
    );
    let asked = reads(preview.load(&[("/v1.step".into(), true), ("/other.3mf".into(), false)]));
    assert_eq!(asked.len(), 2);
    assert!(
        asked
            .iter()
            .all(|(_, _, progress)| !progress.is_cancelled())
    );
    preview.end_compare();
    assert_eq!(preview.selection(), Some(&Selection::Job("v1".into())));
}

#[test]
fn a_file_that_cannot_be_read_keeps_its_reason_typed() {
    let mut preview = Preview::default();
    preview.open_file("/broken.glb".into());
    let _ = preview.load(&[("/broken.glb".into(), false)]);
    let error = LoadError::Malformed {
        format: MeshFormat::Glb,
        reason: "its JSON chunk is cut short".into(),
    };
    let _ = preview.apply(PreviewEvent::ModelLoaded {
        path: "/broken.glb".into(),
        result: Err(error.clone()),
    });
    assert!(preview.loaded_model(Path::new("/broken.glb")).is_none());
    match preview.models.get(Path::new("/broken.glb")) {
        Some(ModelState::Failed(kept)) => assert_eq!(*kept, error),
        other => panic!("expected the failure, got {other:?}"),
    }
}

#[test]
fn a_stand_in_is_asked_for_once_and_kept_only_for_its_model() {
    let mut preview = Preview::default();
    preview.open_file("/big.stl".into());
    let _ = preview.load(&[("/big.stl".into(), false)]);
    let model = triangle();
    loaded(&mut preview, "/big.stl", model.clone());
    let asked = preview.make_stand_in("/big.stl".into());
    assert!(matches!(
        &asked[..],
        [Effect::Run(Task::MakeStandIn { .. })]
    ));
    assert!(
        preview.make_stand_in("/big.stl".into()).is_empty(),
        "one is being made"
    );
    // A copy made for a model read earlier from the same path is not this model's.
    let _ = preview.apply(PreviewEvent::StandIn {
        path: "/big.stl".into(),
        of: triangle(),
        stand_in: triangle(),
    });
    let stand_in_ready = |preview: &Preview| {
        matches!(
            preview.models.get(Path::new("/big.stl")),
            Some(ModelState::Loaded {
                stand_in: StandIn::Ready(_),
                ..
            })
        )
    };
    assert!(!stand_in_ready(&preview));
    let _ = preview.apply(PreviewEvent::StandIn {
        path: "/big.stl".into(),
        of: model,
        stand_in: triangle(),
    });
    assert!(stand_in_ready(&preview));
}

#[test]
fn forgetting_cancels_reads_and_shows_nothing() {
    let mut preview = Preview::default();
    preview.select(Selection::Job("j".into()));
    let asked = reads(preview.load(&[("/j.step".into(), true)]));
    preview.forget();
    assert!(asked[0].2.is_cancelled());
    assert_eq!(preview.selection(), None);
}

#[test]
fn the_overlay_is_made_once_both_compared_parts_are_read() {
    let mut preview = Preview::default();
    preview.compare(Selection::Job("v1".into()), Selection::Job("v2".into()));
    let shown = [("/v1.step".into(), true), ("/v2.glb".into(), true)];
    let _ = preview.load(&shown);
    assert!(preview.show_overlay(true).is_empty(), "nothing read yet");
    loaded(&mut preview, "/v1.step", triangle());
    let second = triangle();
    let asked = preview.apply(PreviewEvent::ModelLoaded {
        path: "/v2.glb".into(),
        result: Ok((ModelSummary::of(&second), second.clone())),
    });
    let ups = match &asked[..] {
        [Effect::Run(Task::MakeOverlay { models, ups })] => {
            assert_eq!(models[1].id, second.id);
            *ups
        }
        other => panic!("expected the overlay to be made, got {other:?}"),
    };
    use crate::model::overlay::Up;
    assert_eq!(ups, [Up::Z, Up::Y], "a glTF file is Y-up");
    assert!(preview.show_overlay(true).is_empty(), "made once");
    // Side by side and back: the overlay made is kept.
    assert!(preview.show_overlay(false).is_empty());
    assert!(preview.show_overlay(true).is_empty());
    // Another comparison makes its own.
    preview.compare(Selection::Job("v2".into()), Selection::Job("v1".into()));
    let again = preview.load(&[("/v2.glb".into(), true), ("/v1.step".into(), true)]);
    match &again[..] {
        [Effect::Run(Task::MakeOverlay { ups, .. })] => assert_eq!(*ups, [Up::Y, Up::Z]),
        other => panic!("both are read already: only the overlay, got {other:?}"),
    }
}

#[test]
fn an_overlay_shown_gets_its_own_stand_in() {
    let mut preview = Preview::default();
    preview.compare(Selection::Job("a".into()), Selection::Job("b".into()));
    let _ = preview.load(&[("/a.stl".into(), true), ("/b.stl".into(), true)]);
    let _ = preview.show_overlay(true);
    loaded(&mut preview, "/a.stl", triangle());
    let asked = preview.apply(PreviewEvent::ModelLoaded {
        path: "/b.stl".into(),
        result: Ok((ModelSummary::of(&triangle()), triangle())),
    });
    let [Effect::Run(Task::MakeOverlay { models, .. })] = &asked[..] else {
        panic!("expected the overlay to be made, got {asked:?}");
    };
    let of = [models[0].id, models[1].id];
    let overlay = triangle();
    let _ = preview.apply(PreviewEvent::Overlay {
        of,
        made: (ModelSummary::of(&overlay), overlay.clone()),
    });
    // The view asks under the first file's name; the copy asked for is the overlay's.
    let asked = preview.make_stand_in("/a.stl".into());
    match &asked[..] {
        [Effect::Run(Task::MakeStandIn { model, .. })] => assert_eq!(model.id, overlay.id),
        other => panic!("expected the overlay's stand-in, got {other:?}"),
    }
    let _ = preview.apply(PreviewEvent::StandIn {
        path: "/a.stl".into(),
        of: overlay,
        stand_in: triangle(),
    });
    assert!(matches!(
        &preview.overlay,
        Some((
            _,
            ModelState::Loaded {
                stand_in: StandIn::Ready(_),
                ..
            }
        ))
    ));
    assert!(
        preview.make_stand_in("/a.stl".into()).is_empty(),
        "one is there"
    );
}

/// The centre's widgets ask in their words; the preview does its own part and asks the app
/// for the rest, with the model as shown (never a file it has not read).
#[test]
fn the_centre_s_requests_become_work_on_the_model_shown_or_requests_of_the_app() {
    let mut preview = Preview::default();
    preview.select(Selection::Job("j1".into()));
    let _ = preview.load(&[(PathBuf::from("/parts/a.step"), true)]);
    let export = |file: &str| Intent::Export {
        file: file.into(),
        stem: "Lens Cap".into(),
        format: crate::model::export::ExportFormat::Stl,
        detail: crate::model::Detail::Full,
    };
    assert!(
        preview.act(export("/parts/a.step")).is_empty(),
        "not read yet: nothing to export"
    );
    loaded(&mut preview, "/parts/a.step", triangle());
    match preview.act(export("/parts/a.step")).as_slice() {
        [Effect::Run(Task::Export(asked))] => {
            assert_eq!(asked.file, Path::new("/parts/a.step"));
            assert_eq!(asked.model.parts.len(), 1);
        }
        other => panic!("expected an export, got {other:?}"),
    }
    assert!(
        preview
            .act(Intent::OpenInSlicer {
                file: "/parts/a.step".into(),
                stem: "Lens Cap".into(),
                slicer: "PrusaSlicer".into(),
            })
            .is_empty(),
        "no such slicer found here"
    );
    match preview.act(Intent::SelectJob("j0".into())).as_slice() {
        [Effect::Show(Selection::Job(id))] => assert_eq!(id, "j0"),
        other => panic!("expected the job shown, got {other:?}"),
    }
    match preview.act(Intent::Retry("j1".into())).as_slice() {
        [Effect::Job(id, super::super::effect::JobAction::Retry)] => assert_eq!(id, "j1"),
        other => panic!("expected a retry, got {other:?}"),
    }
    preview.compare(Selection::Job("j1".into()), Selection::Job("j0".into()));
    assert!(preview.act(Intent::EndCompare).is_empty());
    assert_eq!(preview.selection(), Some(&Selection::Job("j1".into())));
}
