//! The window's messages panel as the user sees it: every message that came shows whole
//! above the window's bottom edge, however many came one after another.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use makistry::ui::Message;
use makistry::ui::messages::{MessageList, messages_panel};

const WINDOW: egui::Vec2 = egui::vec2(1180.0, 760.0);

/// The window's layout with `count` messages (a bottom panel, the centre above it).
fn window_with(count: usize) -> Harness<'static> {
    let mut list = MessageList::default();
    for n in 0..count {
        list.push(Message::info(format!(
            "There is no file dialog on this system, so it was saved as /home/u/part {n}.step."
        )));
    }
    let mut harness = Harness::builder().with_size(WINDOW).build_ui(move |ui| {
        let _ = messages_panel(ui, &list);
        egui::CentralPanel::default().show(ui, |ui| ui.label("the part"));
    });
    harness.run();
    harness
}

#[test]
fn messages_that_came_together_all_show_above_the_window_s_edge() {
    for count in [1, 2, 3] {
        let harness = window_with(count);
        let dismiss: Vec<egui::Rect> = (harness.query_all_by_label("Dismiss"))
            .map(|node| node.rect())
            .collect();
        assert_eq!(dismiss.len(), count);
        for rect in dismiss {
            assert!(
                rect.bottom() <= WINDOW.y,
                "{count} messages: a Dismiss button at {rect:?} is under the window's edge"
            );
        }
    }
}

#[test]
fn many_messages_scroll_in_a_panel_that_leaves_the_window_to_the_part() {
    let harness = window_with(8);
    let first = harness
        .query_all_by_label_contains("saved as")
        .map(|node| node.rect().top())
        .fold(f32::INFINITY, f32::min);
    let centre = harness.get_by_label("the part").rect();
    assert!(
        first >= WINDOW.y - 200.0,
        "the panel grew to {} points",
        WINDOW.y - first
    );
    assert!(centre.top() < 100.0);
}
