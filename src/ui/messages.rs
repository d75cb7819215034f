//! Messages shown until the user dismisses them: one per cause (the same message again moves
//! to the end and counts instead of stacking), wrapped inside the panel that shows them (they
//! never widen it), with Dismiss always visible under the text.

use super::Message;

/// How many messages a list keeps; the oldest go first.
const KEPT: usize = 12;

/// A list of messages, newest last.
#[derive(Debug, Default)]
pub struct MessageList {
    items: Vec<(Message, u32)>,
    /// Messages pushed since the list was made (repeats included): diagnostics read the new
    /// ones by this count.
    pushed: u64,
}

impl MessageList {
    /// Adds a message; the same message again (same words) moves to the end and counts.
    pub fn push(&mut self, message: Message) {
        self.pushed += 1;
        let count = match self.items.iter().position(|(m, _)| *m == message) {
            Some(index) => self.items.remove(index).1 + 1,
            None => 1,
        };
        self.items.push((message, count));
        let excess = self.items.len().saturating_sub(KEPT);
        self.items.drain(..excess);
    }

    /// Removes the message at `index`, if there is one.
    pub fn dismiss(&mut self, index: usize) {
        if index < self.items.len() {
            self.items.remove(index);
        }
    }

    /// Removes every message.
    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// No message to show.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The messages, oldest first, with how many times each was said.
    pub fn iter(&self) -> impl Iterator<Item = (&Message, u32)> {
        self.items.iter().map(|(m, n)| (m, *n))
    }

    /// Pushes so far (see [`Self::newest_since`]).
    pub fn pushed(&self) -> u64 {
        self.pushed
    }

    /// The messages pushed since `pushed` was read (a repeat is the message it moved).
    pub fn newest_since(&self, pushed: u64) -> impl Iterator<Item = &Message> {
        let new = (self.pushed - pushed.min(self.pushed)) as usize;
        let skip = self.items.len().saturating_sub(new);
        self.items.iter().skip(skip).map(|(m, _)| m)
    }
}

/// Tallest the window's messages panel grows before it scrolls.
const PANEL_HEIGHT: f32 = 160.0;

/// The window's messages, in a panel along its bottom edge (nothing when there are none);
/// returns the index the user dismissed, if any.
pub fn messages_panel(ui: &mut egui::Ui, list: &MessageList) -> Option<usize> {
    if list.is_empty() {
        return None;
    }
    // A new message: one more pass, so the panel is laid out with it at once rather than at
    // the next repaint (which, with nothing moving, may not come).
    let drawn_id = egui::Id::unique("messages-drawn");
    if ui.data(|d| d.get_temp::<u64>(drawn_id)) != Some(list.pushed()) {
        ui.data_mut(|d| d.insert_temp(drawn_id, list.pushed()));
        ui.ctx()
            .request_discard("a message came: its panel grows to it");
    }
    // The panel follows its content (a resizable one keeps its first size); the scroll area
    // inside sees only last frame's panel height, so where its messages need more it must
    // take the whole height it may have, or it never grows past the first message.
    egui::Panel::bottom("messages")
        .resizable(false)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .max_height(PANEL_HEIGHT)
                .min_scrolled_height(PANEL_HEIGHT)
                .show(ui, |ui| messages_ui(ui, list, "message"))
                .inner
        })
        .inner
}

/// Draws the list; returns the index the user dismissed, if any.
pub fn messages_ui(ui: &mut egui::Ui, list: &MessageList, id_salt: &str) -> Option<usize> {
    let mut dismissed = None;
    for (index, (message, count)) in list.iter().enumerate() {
        let stroke_color = if message.is_error {
            ui.visuals().error_fg_color.gamma_multiply(0.6)
        } else {
            ui.visuals().widgets.noninteractive.bg_stroke.color
        };
        egui::Frame::group(ui.style())
            .stroke(egui::Stroke::new(1.0, stroke_color))
            .show(ui, |ui| {
                // The frame takes the panel's width, and the text wraps inside it.
                ui.set_width(ui.available_width());
                let mut shown = message.clone();
                if count > 1 {
                    let sentence = shown.sentence.trim_end_matches('.');
                    shown.sentence = format!("{sentence} ({count} times).");
                }
                super::message_ui(ui, &shown);
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Min), |ui| {
                    let button = ui
                        .push_id((id_salt, index), |ui| ui.small_button("Dismiss"))
                        .inner;
                    if button.clicked() {
                        dismissed = Some(index);
                    }
                });
            });
    }
    dismissed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_message_again_counts_instead_of_stacking() {
        let mut list = MessageList::default();
        let refused = Message::error("bmp.bmp is not a PNG, JPEG, WebP or GIF image.", "Save…");
        list.push(refused.clone());
        list.push(Message::info("That image is already attached."));
        let before = list.pushed();
        list.push(refused.clone());
        let items: Vec<_> = list.iter().collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1], (&refused, 2));
        assert_eq!(
            list.newest_since(before).collect::<Vec<_>>(),
            vec![&refused]
        );
        list.dismiss(1);
        list.dismiss(7);
        assert_eq!(list.iter().count(), 1);
    }

    #[test]
    fn only_the_newest_are_kept() {
        let mut list = MessageList::default();
        for i in 0..KEPT + 5 {
            list.push(Message::info(format!("message {i}")));
        }
        assert_eq!(list.iter().count(), KEPT);
        assert_eq!(list.iter().next().unwrap().0.sentence, "message 5");
    }
}
