use super::*;
use crate::api::{DesignMode, OutputFormat};
use crate::app::tasks::AttachedImage;

fn image(sha: &str) -> ImageRef {
    ImageRef {
        path: format!("/kept/{sha}.png").into(),
        sha256: sha.into(),
        bytes: 10,
        mime: "image/png".into(),
        label: None,
    }
}

/// A composer whose stored draft (empty) has arrived.
fn loaded() -> Composer {
    let mut composer = Composer::default();
    let effects = composer.apply(ComposerEvent::DraftLoaded {
        draft: Draft::default(),
        thumbnails: Vec::new(),
        problems: Vec::new(),
    });
    assert!(effects.is_empty());
    composer
}

/// The batch of the one check task `effects` asks for.
fn batch_of(effects: &[Effect]) -> u64 {
    match effects {
        [Effect::Run(Task::AttachFiles { batch, .. })]
        | [Effect::Run(Task::AttachClipboard { batch })]
        | [Effect::Run(Task::ReloadImages { batch, .. })] => *batch,
        other => panic!("expected one check, got {other:?}"),
    }
}

fn checked(composer: &mut Composer, batch: u64, sha: &str) -> Vec<Effect> {
    composer.apply(ComposerEvent::Attached {
        batch,
        result: Ok(AttachedImage {
            image: image(sha),
            thumbnail: Some(egui::ColorImage::new([1, 1], vec![egui::Color32::RED])),
        }),
    })
}

fn shas(composer: &Composer) -> Vec<&str> {
    composer
        .draft
        .images
        .iter()
        .map(|i| i.sha256.as_str())
        .collect()
}

#[test]
fn a_form_takes_three_images_each_once() {
    let mut composer = loaded();
    let paths = (0..5)
        .map(|i| PathBuf::from(format!("/p/{i}.png")))
        .collect();
    let effects = composer.attach_paths(paths);
    let Some(Effect::Run(Task::AttachFiles { paths, .. })) = effects.first() else {
        panic!("no check asked for: {effects:?}");
    };
    assert_eq!(paths.len(), 3, "only as many as there is room for");
    assert_eq!(composer.messages().iter().count(), 1, "the other two named");
    let batch = batch_of(&effects);
    assert!(matches!(
        checked(&mut composer, batch, "a").as_slice(),
        [Effect::Thumbnail(sha, _)] if sha == "a"
    ));
    assert!(
        checked(&mut composer, batch, "a").is_empty(),
        "the same image twice"
    );
    checked(&mut composer, batch, "b");
    assert_eq!(shas(&composer), ["a", "b"]);
    assert_eq!(composer.room_for_images(), 1, "every answer ends a check");
    assert!(composer.attach_paths(vec!["/p/x.png".into()]).len() == 1);
    assert!(
        composer.attach_paths(vec!["/p/y.png".into()]).is_empty(),
        "no room left while one is checked"
    );
}

#[test]
fn a_cancelled_check_frees_the_form_and_its_late_answer_is_dropped() {
    let mut composer = loaded();
    let stalled = batch_of(&composer.attach_paths(vec!["/nfs/slow.png".into()]));
    assert!(composer.act(Intent::CancelImageChecks).is_empty());
    assert_eq!(composer.room_for_images(), MAX_IMAGES);
    let next = batch_of(&composer.attach_paths(vec!["/p/a.png".into()]));
    assert!(checked(&mut composer, stalled, "late").is_empty());
    assert_eq!(
        composer.room_for_images(),
        MAX_IMAGES - 1,
        "the new check counts"
    );
    checked(&mut composer, next, "a");
    assert_eq!(shas(&composer), ["a"]);
}

#[test]
fn pasted_files_go_where_dropped_files_go() {
    let mut composer = loaded();
    let batch = batch_of(&composer.act(Intent::PasteImage));
    let effects = composer.apply(ComposerEvent::PastedFiles {
        batch,
        paths: vec!["/p/part.step".into()],
    });
    assert!(matches!(effects.as_slice(), [Effect::Open(paths)] if paths.len() == 1));
    assert_eq!(composer.room_for_images(), MAX_IMAGES);
}

#[test]
fn a_late_draft_does_not_replace_what_was_typed() {
    let mut composer = Composer::default();
    composer.draft.prompt = "typed first".into();
    composer.changed();
    let stored = Draft {
        prompt: "stored".into(),
        images: vec![image("a")],
        ..Draft::default()
    };
    let loaded = |composer: &mut Composer| {
        composer.apply(ComposerEvent::DraftLoaded {
            draft: stored.clone(),
            thumbnails: Vec::new(),
            problems: Vec::new(),
        })
    };
    loaded(&mut composer);
    assert_eq!(composer.draft.prompt, "typed first");
    assert_eq!(shas(&composer), ["a"]);

    let mut untouched = Composer::default();
    loaded(&mut untouched);
    assert_eq!(untouched.draft, stored);
}

#[test]
fn generate_hands_the_spec_over_and_keeps_the_choices() {
    let mut composer = Composer::default();
    composer.draft.prompt = "a 60 mm lens cap".into();
    assert!(composer.submit().is_empty(), "not before the stored draft");
    composer.apply(ComposerEvent::DraftLoaded {
        draft: Draft::default(),
        thumbnails: Vec::new(),
        problems: Vec::new(),
    });
    composer.draft.prompt = "a 60 mm lens cap".into();
    composer.draft.format = OutputFormat::Stl;
    composer.draft.follow_up_of = Some("job-1".into());
    let effects = composer.act(Intent::Generate);
    let [Effect::Submit(spec)] = effects.as_slice() else {
        panic!("expected a submission, got {effects:?}");
    };
    assert_eq!(spec.prompt, "a 60 mm lens cap");
    assert_eq!(spec.follow_up_of.as_deref(), Some("job-1"));
    assert_eq!(composer.draft.prompt, "");
    assert_eq!(composer.draft.format, OutputFormat::Stl, "choices kept");
    assert_eq!(composer.follow_up_of(), None);
    assert!(composer.submit().is_empty(), "an empty prompt is not sent");
}

#[test]
fn the_draft_is_saved_once_it_has_been_still() {
    let mut composer = loaded();
    composer.draft.prompt = "x".into();
    let changed = Instant::now();
    composer.changed();
    assert!(composer.save_when_due(changed).is_err(), "not at once");
    let later = changed + DRAFT_SAVE_DELAY + Duration::from_millis(10);
    let effects = composer.save_when_due(later).expect("due");
    assert!(matches!(effects.as_slice(), [Effect::Run(Task::SaveDraft(d))] if d.prompt == "x"));
    assert!(
        matches!(composer.save_when_due(later), Ok(e) if e.is_empty()),
        "once"
    );
}

#[test]
fn edit_and_rerun_checks_the_job_s_images_again() {
    let mut composer = loaded();
    let spec = JobSpec {
        prompt: "the old job".into(),
        images: vec![image("j1")],
        mode: DesignMode::Assembly,
        ..JobSpec::default()
    };
    let batch = batch_of(&composer.edit(spec));
    assert_eq!(composer.draft.prompt, "the old job");
    assert!(composer.draft.images.is_empty(), "back once checked");
    checked(&mut composer, batch, "j1");
    assert_eq!(shas(&composer), ["j1"]);
}

#[test]
fn an_unsent_job_comes_back_before_what_was_typed_since() {
    let mut composer = loaded();
    composer.draft.prompt = "a newer idea".into();
    composer.draft.images = vec![image("n1"), image("n2")];
    let spec = JobSpec {
        prompt: "the unsent job".into(),
        images: vec![image("j1"), image("j2"), image("n1")],
        mode: DesignMode::Assembly,
        format: OutputFormat::Stl,
        follow_up_of: None,
    };
    composer.restore_unsent(spec);
    assert_eq!(composer.draft.prompt, "the unsent job\n\na newer idea");
    assert_eq!(
        shas(&composer),
        ["j1", "j2", "n1"],
        "the job's images first, no duplicate"
    );
    assert_eq!(
        composer.messages().iter().count(),
        1,
        "n2 taken out, and said"
    );
    assert_eq!(
        composer.draft.mode,
        DesignMode::Standard,
        "newer choices kept"
    );
}

#[test]
fn an_image_not_attached_is_said_in_the_form_s_words_with_what_to_do() {
    let mut composer = loaded();
    let batch = batch_of(&composer.attach_paths(vec!["/p/bracket.png".into()]));
    let effects = composer.apply(ComposerEvent::Attached {
        batch,
        result: Err(AttachProblem::NotKept {
            name: "bracket.png".into(),
            reason: "No space left on device".into(),
        }),
    });
    assert!(effects.is_empty());
    let said: Vec<&Message> = composer.messages().iter().map(|(m, _)| m).collect();
    assert_eq!(said.len(), 1);
    assert_eq!(
        said[0].sentence,
        "bracket.png could not be copied into the app's folder: No space left on device."
    );
    assert_eq!(said[0].action, "Check the disk has space.");
    assert_eq!(composer.room_for_images(), 3, "nothing attached");
}

#[test]
fn what_of_the_draft_could_not_be_restored_is_said_and_the_rest_is_kept() {
    let mut composer = Composer::default();
    let draft = Draft {
        prompt: "A hinge, 40 mm".into(),
        ..Draft::default()
    };
    let _ = composer.apply(ComposerEvent::DraftLoaded {
        draft,
        thumbnails: Vec::new(),
        problems: vec![DraftProblem::ImageGone("/kept/gone.png".into())],
    });
    let said: Vec<&Message> = composer.messages().iter().map(|(m, _)| m).collect();
    assert_eq!(said.len(), 1);
    assert!(
        said[0].sentence.contains("/kept/gone.png"),
        "{}",
        said[0].sentence
    );
    assert_eq!(said[0].action, "Attach it again.");
    assert!(
        composer
            .submit()
            .iter()
            .any(|e| matches!(e, Effect::Submit(spec) if spec.prompt == "A hinge, 40 mm"))
    );
}
