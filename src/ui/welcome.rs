//! First launch (no key yet), and the key form shown again for Replace: paste an API key, or
//! try the offline demo.

use super::{Intent, Message, message_ui};

/// The key form's state.
#[derive(Debug, Default)]
pub struct KeyForm {
    /// What is typed or pasted (never saved anywhere but the keychain).
    pub input: String,
    /// Why the last key was not taken.
    pub problem: Option<Message>,
    /// A key is being checked and stored.
    pub busy: bool,
    /// Stops the check under way (sent, or dropped with the form): the key is then not kept.
    pub stop_check: Option<tokio::sync::oneshot::Sender<()>>,
    /// The last key could not be checked (no network): offer to keep it unchecked.
    pub offer_unchecked: bool,
}

/// The welcome screen. `can_cancel` when a key or the demo is already in use (Replace).
pub fn welcome_ui(ui: &mut egui::Ui, form: &mut KeyForm, can_cancel: bool) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.vertical_centered(|ui| {
        ui.set_max_width(520.0);
        ui.add_space(32.0);
        ui.heading("Welcome to Makistry Desktop");
        ui.add_space(6.0);
        ui.label(
            "Describe a part in words, add reference images if you have them, and get a \
             STEP, STL, GLB or 3MF file back.",
        );
        ui.add_space(24.0);
    });
    // Left-aligned text in a centred column.
    let margin = ((ui.available_width() - 520.0) / 2.0).max(0.0);
    ui.horizontal(|ui| {
        ui.add_space(margin);
        ui.vertical(|ui| {
            // Never wider than the window: messages wrap instead of being cut off.
            ui.set_max_width(520.0_f32.min(ui.available_width()));
            ui.group(|ui| {
                ui.set_width(ui.available_width());
                ui.strong("Use your Makistry API key");
                ui.label(
                    "Paste the key from your Makistry dashboard. It is kept in this computer's \
                 keychain and never written to a file.",
                );
                let label = ui.label("API key");
                let field = ui.add(
                    egui::TextEdit::singleline(&mut form.input)
                        .password(true)
                        .hint_text("mk_pub_…")
                        .desired_width(f32::INFINITY),
                );
                let field = field.labelled_by(label.id);
                let submitted = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.horizontal(|ui| {
                    let save = ui.add_enabled(
                        !form.busy && !form.input.trim().is_empty(),
                        egui::Button::new("Save key"),
                    );
                    if save.clicked() || (submitted && !form.busy) {
                        intents.push(Intent::SaveKey(form.input.clone()));
                    }
                    if form.busy {
                        ui.label("Checking the key with Makistry…");
                        if ui
                            .button("Stop checking")
                            .on_hover_text("Stop waiting for Makistry; the key is not saved")
                            .clicked()
                        {
                            intents.push(Intent::StopKeyCheck);
                        }
                    }
                    if can_cancel && ui.button("Cancel").clicked() {
                        intents.push(Intent::CancelKeyForm);
                    }
                });
                if let Some(problem) = &form.problem {
                    message_ui(ui, problem);
                }
                if form.offer_unchecked && !form.busy {
                    ui.horizontal_wrapped(|ui| {
                        if ui.button("Check again").clicked() {
                            intents.push(Intent::SaveKey(form.input.clone()));
                        }
                        if ui
                            .button("Save without checking")
                            .on_hover_text("Keep the key in the keychain and use it as it is")
                            .clicked()
                        {
                            intents.push(Intent::SaveKeyUnchecked(form.input.clone()));
                        }
                    });
                }
            });
            ui.add_space(12.0);
            ui.group(|ui| {
                ui.set_width(ui.available_width());
                ui.strong("No key yet?");
                ui.label(
                    "The offline demo runs a built-in copy of the Makistry API on this computer: \
                 nothing is sent anywhere and no credits are used. It answers with sample parts, \
                 not with what you describe.",
                );
                if ui.button("Try the offline demo").clicked() {
                    intents.push(Intent::StartDemo);
                }
            });
        });
    });
    intents
}
