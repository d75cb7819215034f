//! The history in the window at scale: thousands of jobs, of which only the cards in view are
//! laid out, and the search box that finds one among them as the user types.

use egui_kittest::kittest::Queryable;
use makistry::api::OutputFormat;
use makistry::jobs::{JobRecord, JobStore};

use crate::window::{Machine, click, shows, sign_in, step_until, type_into};

/// `count` finished jobs, "A spacer, variant N", the newest last.
fn fill_history(machine: &Machine, count: usize) {
    let (store, _) = JobStore::open(machine.data_dir()).unwrap();
    let start = chrono::Utc::now() - chrono::Duration::hours(1);
    let jobs: Vec<JobRecord> = (0..count)
        .map(|n| {
            let mut job =
                crate::support::new_job(&format!("A spacer, variant {n}"), OutputFormat::Stl);
            job.created_at = start + chrono::Duration::milliseconds(n as i64);
            job.phase = crate::support::done("part.stl", Default::default());
            job
        })
        .collect();
    store.insert_all(&jobs).unwrap();
}

fn cards_shown(harness: &egui_kittest::Harness<'_, makistry::app::MakistryApp>) -> usize {
    harness
        .query_all_by_label_contains("A spacer, variant ")
        .count()
}

/// Replaces what the search box holds with `text`.
fn search_for(harness: &mut egui_kittest::Harness<'_, makistry::app::MakistryApp>, text: &str) {
    crate::window::field(harness, "Search").focus();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.key_press(egui::Key::Backspace);
    if !text.is_empty() {
        type_into(harness, "Search", text);
    }
}

#[test]
fn a_search_finds_one_job_in_thousands_and_lays_out_only_what_shows() {
    let machine = Machine::new();
    fill_history(&machine, 2000);
    let mut harness = machine.open();
    sign_in(&machine, &mut harness);
    step_until(&mut harness, "the newest job's card", |h| {
        shows(h, "A spacer, variant 1999")
    });
    let laid_out = cards_shown(&harness);
    assert!(
        (3..40).contains(&laid_out),
        "only the cards in view are laid out, not 2000: {laid_out}"
    );
    assert!(
        !shows(&harness, "A spacer, variant 0"),
        "the oldest is far below"
    );

    // The newest job is in view in the centre too: its card is the one label more.
    let newest = |h: &egui_kittest::Harness<'_, makistry::app::MakistryApp>| {
        h.query_all_by_label_contains("A spacer, variant 1999")
            .count()
    };
    let with_its_card = newest(&harness);

    search_for(&mut harness, "variant 12");
    // 12, 120–129 and 1200–1299, newest first.
    step_until(&mut harness, "the search's answer", |h| {
        shows(h, "A spacer, variant 1299")
    });
    assert_eq!(newest(&harness), with_its_card - 1, "its card is gone");
    assert!(!shows(&harness, "A spacer, variant 1300"));

    search_for(&mut harness, "variant 1234");
    step_until(&mut harness, "the one job", |h| {
        shows(h, "A spacer, variant 1234") && cards_shown(h) == 2
    });
    click(&mut harness, "A spacer, variant 1234");
    step_until(&mut harness, "the job in view", |h| {
        h.query_all_by_label_contains("A spacer, variant 1234")
            .count()
            == 2
    });

    // The oldest job, whose record the window had not read (it reads the history in pages,
    // as cards come into view).
    search_for(&mut harness, "variant 0");
    step_until(&mut harness, "the oldest job", |h| {
        shows(h, "A spacer, variant 0")
    });

    // Words that match nothing say so; an emptied box shows every job again.
    search_for(&mut harness, "variant gearbox");
    step_until(&mut harness, "no match", |h| {
        shows(h, "No job matches that search.")
    });
    search_for(&mut harness, "");
    step_until(&mut harness, "every job again", |h| {
        shows(h, "A spacer, variant 1998")
    });
}

/// Two finished jobs compared as a new user would: "Compare with…" on the shown one offers the
/// other, both parts show side by side, and the differences are each dimension's; Close
/// goes back to the first part.
#[test]
fn two_jobs_compare_side_by_side_with_their_differences() {
    let machine = Machine::new();
    let mut harness = machine.open();
    sign_in(&machine, &mut harness);
    crate::window::submit(&mut harness, "A 60 mm lens cap with a snap-fit lip");
    crate::window::wait_for_text(&mut harness, "61.2 × 61.2 × 10.0 mm");
    crate::window::submit(&mut harness, "An L bracket for a shelf");
    crate::window::wait_for_text(&mut harness, "60.0 × 40.0 × 40.0 mm");

    click(&mut harness, "Compare with…");
    step_until(&mut harness, "the menu", |h| shows(h, "A file…"));
    let offered = harness
        .query_all_by_label_contains("Lens Cap — 60mm OD · ")
        .next()
        .expect("the menu offers the other finished job");
    offered.click();
    step_until(&mut harness, "both parts", |h| {
        h.query_all_by_label_contains("3D view of").count() == 2
    });
    assert!(shows(&harness, "Compare"));
    // The bracket first (60 × 40 × 40), the cap second (61.2 × 61.2 × 10).
    for difference in ["+1.2 mm", "+21.2 mm", "−30.0 mm"] {
        assert!(
            shows(&harness, difference),
            "no {difference} among the differences"
        );
    }
    assert!(
        harness.state().window_title().contains(" vs "),
        "the title names both files"
    );

    // Both in one view, the cap see-through over the bracket; then side by side again.
    click(&mut harness, "Overlay");
    step_until(&mut harness, "one view of both", |h| {
        h.query_all_by_label_contains("3D view of").count() == 1
            && shows(h, "(see-through)")
            && shows(h, "2 parts")
    });
    assert!(shows(&harness, "(solid)"), "the legend names both");
    click(&mut harness, "Side by side");
    step_until(&mut harness, "two views again", |h| {
        h.query_all_by_label_contains("3D view of").count() == 2
    });

    click(&mut harness, "Close");
    step_until(&mut harness, "the bracket alone", |h| {
        h.query_all_by_label_contains("3D view of").count() == 1 && shows(h, "Compare with…")
    });
}
