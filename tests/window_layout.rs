//! The window's layout as users meet it (egui_kittest, no GPU): at 800×500 the part keeps a
//! useful view and its follow-up ideas show without scrolling; refused files do not widen the
//! form and say each cause once; a follow-up job's card says whose follow-up it is; a job
//! that ends never takes the view from a file the user opened.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use makistry::app::MakistryApp;

use crate::window::{Machine, click, drop_files, field, shows, sign_in, step_until, wait_for_text};

fn open_at(machine: &Machine, width: f32, height: f32) -> Harness<'static, MakistryApp> {
    let config = machine.config();
    Harness::builder()
        .with_size(egui::vec2(width, height))
        .build_eframe(move |cc| MakistryApp::new(cc, config))
}

/// The window at its default size started on `assets/parts/<part>` (as a double-click does),
/// with no key set, once the part's view shows.
fn open_file_with_no_key(machine: &Machine, part: &str) -> Harness<'static, MakistryApp> {
    let mut config = machine.config();
    config.open_file = Some(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/parts")
            .join(part),
    );
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1180.0, 760.0))
        .build_eframe(move |cc| MakistryApp::new(cc, config));
    step_until(&mut harness, "the part's view", |h| {
        h.query_all_by_label_contains("3D view of").next().is_some()
    });
    harness
}

fn run_job(harness: &mut Harness<'_, MakistryApp>, prompt: &str) {
    crate::window::submit(harness, prompt);
    wait_for_text(harness, "Design summary");
    // The part's view arrives after the summary and moves what is below it: wait, as a user
    // would, before clicking there.
    step_until(harness, "the part's view", |h| {
        h.query_all_by_label_contains("3D view of").next().is_some()
    });
}

fn view_rect(harness: &Harness<'_, MakistryApp>) -> egui::Rect {
    harness
        .query_all_by_label_contains("3D view of")
        .next()
        .expect("a 3D view")
        .rect()
}

fn dismiss_buttons(harness: &Harness<'_, MakistryApp>) -> Vec<egui::Rect> {
    harness
        .query_all_by_role_and_label(accesskit::Role::Button, "Dismiss")
        .map(|node| node.rect())
        .collect()
}

/// At the default size a finished job shows its part at least half the window high, and the
/// whole design summary under it without scrolling (its last heading included).
#[test]
fn at_the_default_size_the_design_summary_shows_whole_under_a_half_window_view() {
    let machine = Machine::new();
    let mut harness = open_at(&machine, 1180.0, 760.0);
    sign_in(&machine, &mut harness);
    run_job(
        &mut harness,
        "A 60 mm lens cap with a snap-fit lip, 2 mm walls",
    );
    // The summary's height is measured as it is drawn; the view makes room the frame after.
    for _ in 0..3 {
        harness.step();
    }
    let view = view_rect(&harness);
    assert!(view.height() >= 380.0, "half the window: {view:?}");
    for heading in ["Key features:", "Components:", "Geometry:", "Materials:"] {
        let line = harness
            .query_all_by_label_contains(heading)
            .next()
            .unwrap_or_else(|| panic!("no {heading} line"))
            .rect();
        assert!(line.bottom() <= 760.0, "{heading} below the fold: {line:?}");
    }
}

#[test]
fn at_800_by_500_the_part_keeps_its_view_and_refusals_do_not_move_the_layout() {
    let machine = Machine::new();
    let mut harness = open_at(&machine, 800.0, 500.0);
    sign_in(&machine, &mut harness);
    run_job(
        &mut harness,
        "A 60 mm lens cap with a snap-fit lip, 2 mm walls",
    );
    step_until(&mut harness, "the part's view", |h| {
        h.query_all_by_label_contains("3D view of").next().is_some()
    });

    let view = view_rect(&harness);
    assert!(
        view.width() >= 380.0 && view.height() >= 250.0,
        "the view keeps a useful size, half the window's height: {view:?}"
    );
    let ideas = harness.get_by_label("Follow-up ideas").rect();
    assert!(ideas.bottom() <= 500.0, "ideas below the fold: {ideas:?}");
    assert!(
        harness
            .query_all_by_label("Edit and re-run")
            .next()
            .is_none(),
        "the jobs list gives way to the part on a small window"
    );

    // Three refused files: each cause said once, wrapped inside the form.
    let form = field(&harness, "Prompt").rect();
    let text = machine.file("notes.txt", b"not an image");
    let bmp = machine.file("scan.bmp", b"BM\0\0\0\0");
    let big = machine.file(
        "huge.png",
        &crate::support::images::png_of_size(11 * 1024 * 1024),
    );
    drop_files(&mut harness, &[text.clone(), bmp, big]);
    step_until(&mut harness, "three refusals", |h| {
        dismiss_buttons(h).len() == 3
    });
    drop_files(&mut harness, &[text]);
    wait_for_text(&mut harness, "(2 times)");
    for _ in 0..3 {
        harness.step();
    }
    assert_eq!(dismiss_buttons(&harness).len(), 3, "one message per cause");
    assert_eq!(
        field(&harness, "Prompt").rect(),
        form,
        "the form kept its width"
    );
    assert_eq!(
        view_rect(&harness).width(),
        view.width(),
        "the view kept its width"
    );
    for dismiss in dismiss_buttons(&harness) {
        assert!(
            dismiss.right() <= form.right() + 1.0,
            "Dismiss {dismiss:?} inside the form {form:?}"
        );
    }
    // Generate stays in reach under the messages (it is pinned under the form).
    let generate = harness
        .get_by_role_and_label(accesskit::Role::Button, "Generate")
        .rect();
    assert!(
        generate.bottom() <= 500.0,
        "Generate below the fold: {generate:?}"
    );
}

#[test]
fn a_follow_up_job_says_whose_follow_up_it_is() {
    let machine = Machine::new();
    let mut harness = machine.open();
    sign_in(&machine, &mut harness);
    run_job(
        &mut harness,
        "A 60 mm lens cap with a snap-fit lip, 2 mm walls",
    );

    click(&mut harness, "Add a lanyard tab on the skirt");
    wait_for_text(&mut harness, "Follow-up of “Lens Cap — 60mm OD”");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    harness.step();
    // The new card says which version of which design it is, and what its prompt adds.
    step_until(&mut harness, "the follow-up's card", |h| {
        shows(h, "v2 of “Lens Cap — 60mm OD”")
            && h.query_all_by_label_contains("Add a lanyard tab").count() >= 2
    });
    assert!(!shows(&harness, "Not a follow-up"), "the form starts fresh");
    // The result names the parent, and shows the versions; one click opens the first.
    wait_for_text(&mut harness, "Follow-up of");
    wait_for_text(&mut harness, "Versions");
    harness
        .query_all_by_role_and_label(accesskit::Role::Button, "v1")
        .last()
        .expect("the first version in the result's strip")
        .click();
    step_until(&mut harness, "the first version in view", |h| {
        !shows(h, "Follow-up of") && shows(h, "Versions")
    });
}

#[test]
fn a_job_that_ends_leaves_an_opened_file_on_screen() {
    let machine = Machine::new();
    let mut harness = open_at(&machine, 1280.0, 1000.0);
    sign_in(&machine, &mut harness);
    crate::window::submit(&mut harness, "A 40 mm cube with a 10 mm hole");
    let glb = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/parts/enclosure_assembly.glb");
    drop_files(&mut harness, &[glb]);
    wait_for_text(&mut harness, "3 parts");
    wait_for_text(&mut harness, "done · ");
    for _ in 0..20 {
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        shows(&harness, "enclosure_assembly.glb"),
        "the file is still shown"
    );
    assert!(shows(&harness, "3 parts"));
    assert!(
        !shows(&harness, "Design summary"),
        "the job did not take the view"
    );
}

/// A file opened before any key is set (a double-click through the file association on a
/// fresh install) shows at once beside the welcome, and the window's title names it.
#[test]
fn a_file_opened_before_any_key_shows_at_once_and_names_the_window() {
    let machine = Machine::new();
    let harness = open_file_with_no_key(&machine, "lens_cap.step");
    assert!(
        shows(&harness, "Welcome to Makistry Desktop"),
        "the key can wait"
    );
    assert!(shows(&harness, "lens_cap.step"));
    assert_eq!(
        harness.state().window_title(),
        "lens_cap.step — Makistry Desktop"
    );
}

/// The text cursor is steady: a blinking one redrew the window twice a second whenever a
/// field had the focus, as the prompt has after Ctrl+Enter (4.2–5.4 % of a core with software
/// GL while a job waited; steady, 1.3 %: README, "CPU while a job runs").
#[test]
fn the_text_cursor_does_not_keep_the_window_redrawing() {
    let machine = Machine::new();
    let mut harness = open_at(&machine, 1180.0, 760.0);
    harness.step();
    assert!(!harness.ctx.global_style().visuals.text_cursor.blink);
}

/// The Keys overlay (H) does not trap the pointer: with the pointer over it, H closes it
/// again (its text took the pointer from the view, so H did nothing there).
#[test]
fn the_keys_overlay_closes_with_h_under_the_pointer() {
    let machine = Machine::new();
    let mut harness = open_file_with_no_key(&machine, "gear.stl");
    let view = view_rect(&harness);
    harness.hover_at(view.center());
    harness.key_press(egui::Key::H);
    wait_for_text(&mut harness, "Mouse and keys in the 3D view");
    let heading = harness.get_by_label("Mouse and keys in the 3D view").rect();
    harness.hover_at(heading.center());
    harness.step();
    harness.key_press(egui::Key::H);
    for _ in 0..3 {
        harness.step();
    }
    assert!(
        !shows(&harness, "Mouse and keys in the 3D view"),
        "H closed the overlay with the pointer over it"
    );
}

/// Keys typed into a text field stay there, even with the pointer over the 3D view: "h" in a
/// key or a prompt does not open the keys overlay (nor "e" turn the edges on).
#[test]
fn typing_with_the_pointer_over_the_view_does_not_work_the_view() {
    let machine = Machine::new();
    let mut harness = open_file_with_no_key(&machine, "gear.stl");
    field(&harness, "API key").focus();
    harness.step();
    harness.hover_at(view_rect(&harness).center());
    harness.key_press(egui::Key::H);
    for _ in 0..3 {
        harness.step();
    }
    assert!(!shows(&harness, "Mouse and keys in the 3D view"));
    // With the field let go, the same key works the view.
    harness.key_press(egui::Key::Escape);
    harness.hover_at(view_rect(&harness).center());
    harness.step();
    harness.key_press(egui::Key::H);
    wait_for_text(&mut harness, "Mouse and keys in the 3D view");
}

/// The offline demo's banner says it whole where the top bar has room, and its short form on
/// a narrow window (not cut mid-word).
#[test]
fn the_demo_banner_shortens_on_a_narrow_window_instead_of_being_cut() {
    const WHOLE: &str = "OFFLINE DEMO: a built-in copy of the API answers with sample parts";
    for (width, expected) in [(1180.0, WHOLE), (800.0, "OFFLINE DEMO (sample parts)")] {
        let machine = Machine::new();
        let mut harness = open_at(&machine, width, 600.0);
        wait_for_text(&mut harness, "Welcome to Makistry Desktop");
        click(&mut harness, "Try the offline demo");
        step_until(&mut harness, "the banner", |h| {
            h.query_all_by_label(expected).next().is_some()
        });
        let banner = harness.get_by_label(expected).rect();
        assert!(banner.right() <= width, "{expected:?} runs off: {banner:?}");
    }
}
