//! The prompt form: text with a live counter, design mode, output format, reference images,
//! and the Generate button (Ctrl+Enter). It edits the draft in place and reports IO as intents.

use std::collections::HashMap;

use super::Intent;
use super::format;
use super::messages::{MessageList, messages_ui};
use crate::api::{DesignMode, MAX_IMAGES, MAX_PROMPT_CHARS, OutputFormat};
use crate::draft::Draft;

/// What the form shows besides the draft.
pub struct PromptView<'a> {
    /// Thumbnails by image SHA-256.
    pub thumbnails: &'a HashMap<String, egui::TextureHandle>,
    /// Images being checked.
    pub checking: usize,
    /// Why files were not attached (newest last).
    pub attachment_messages: &'a MessageList,
    /// Why Generate is unavailable, if it is (e.g. no key yet).
    pub blocked: Option<&'a str>,
    /// The title of the job this prompt follows up, if it does.
    pub follow_up_of: Option<String>,
}

/// What the form changed.
#[derive(Default)]
pub struct PromptOutput {
    /// Intents for the app.
    pub intents: Vec<Intent>,
    /// The draft changed (save it soon).
    pub changed: bool,
}

fn mode_blurb(mode: DesignMode) -> &'static str {
    match mode {
        DesignMode::Standard => "Simple to moderately complex single parts.",
        DesignMode::Pro => "A stronger model for complex single parts. Text only.",
        DesignMode::Assembly => "Several parts that fit together, e.g. an enclosure and lid.",
    }
}

fn format_note(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Glb => "GLB is a mesh with colours and parts, for viewers and the web.",
        OutputFormat::Stl => "STL is a plain mesh for slicers.",
        OutputFormat::ThreeMf => "3MF is a mesh for 3D printing, with colours and parts.",
        OutputFormat::Step => {
            "STEP is the exact solid, to edit in a CAD program; the API's default."
        }
    }
}

/// The form.
pub fn prompt_ui(ui: &mut egui::Ui, draft: &mut Draft, view: &PromptView<'_>) -> PromptOutput {
    let mut out = PromptOutput::default();
    ui.heading("Describe the part");
    ui.add_space(4.0);
    if let Some(parent) = &view.follow_up_of {
        ui.horizontal_wrapped(|ui| {
            ui.weak(format!("Follow-up of “{parent}”"));
            if ui
                .small_button("Not a follow-up")
                .on_hover_text("Keep the text, but do not link the new job to that one")
                .clicked()
            {
                out.intents.push(Intent::DetachFollowUp);
            }
        });
    }

    let prompt_label = ui.label("Prompt");
    // A long prompt scrolls inside its box instead of pushing Generate off the screen.
    let rows_high = ui.text_style_height(&egui::TextStyle::Body) * 12.0;
    egui::ScrollArea::vertical()
        .id_salt("prompt-scroll")
        .max_height(rows_high)
        .show(ui, |ui| {
            let editor = egui::TextEdit::multiline(&mut draft.prompt)
                .hint_text("e.g. A 60 mm lens cap with a snap-fit lip, 2 mm walls")
                .desired_rows(6)
                .desired_width(f32::INFINITY);
            let response = ui.add(editor).labelled_by(prompt_label.id);
            out.changed |= response.changed();
        });
    let chars = draft.prompt.chars().count();
    let counter = format!(
        "{} / {}",
        format::count(chars),
        format::count(MAX_PROMPT_CHARS)
    );
    if chars > MAX_PROMPT_CHARS {
        ui.colored_label(ui.visuals().error_fg_color, counter);
    } else {
        ui.weak(counter);
    }

    ui.collapsing("Tips for a good prompt", |ui| {
        for tip in [
            "Give every dimension with units: \"50×30×10 mm plate\", not \"small plate\".",
            "Name the feature: \"counterbore Ø10 × 5 deep\", not \"screw hole\".",
            "Say where: which face, how far from which edge.",
            "Tapped holes: give the metric size (M5, M3 × 0.5).",
            "Assemblies: say how the parts mate and the clearance (e.g. 0.15 mm).",
            "Images: one part on a plain background; straight-on views beat angled photos; \
             dimensioned drawings and sketches with written sizes work best.",
        ] {
            ui.label(format!("• {tip}"));
        }
    });
    ui.add_space(6.0);

    choices_ui(ui, draft, &mut out);
    images_ui(ui, draft, view, &mut out);
    out
}

/// Design mode (pro is off while images are attached, and says why) and output format, each
/// with what it is for.
fn choices_ui(ui: &mut egui::Ui, draft: &mut Draft, out: &mut PromptOutput) {
    // Design mode.
    let has_images = !draft.images.is_empty();
    ui.horizontal(|ui| {
        let label = ui.label("Design mode");
        egui::ComboBox::from_id_salt("design-mode")
            .selected_text(draft.mode.as_str())
            .show_ui(ui, |ui| {
                for mode in DesignMode::ALL {
                    let enabled = !(mode == DesignMode::Pro && has_images);
                    let item = ui.add_enabled(
                        enabled,
                        egui::Button::selectable(draft.mode == mode, mode.as_str()),
                    );
                    let item = item.on_disabled_hover_text(
                        "Pro mode takes text only; remove the images to use it.",
                    );
                    if item.clicked() {
                        draft.mode = mode;
                        out.changed = true;
                    }
                }
            })
            .response
            .labelled_by(label.id);
    });
    ui.weak(format!(
        "{} Usually {}, {} the credits of standard.",
        mode_blurb(draft.mode),
        format::duration_range(draft.mode.typical_duration()),
        draft.mode.relative_cost()
    ));

    // Output format.
    ui.horizontal(|ui| {
        let label = ui.label("Output format");
        egui::ComboBox::from_id_salt("output-format")
            .selected_text(draft.format.as_str())
            .show_ui(ui, |ui| {
                for format in OutputFormat::ALL {
                    if ui
                        .selectable_label(draft.format == format, format.as_str())
                        .clicked()
                    {
                        draft.format = format;
                        out.changed = true;
                    }
                }
            })
            .response
            .labelled_by(label.id);
    });
    ui.weak(format_note(draft.format));
    ui.add_space(6.0);
}

/// Generate (Ctrl+Enter), enabled only when the draft can be sent, with the reason when not.
/// Drawn apart from the rest of the form (pinned under it), so it never scrolls out of
/// reach on a small window.
pub fn generate_ui(ui: &mut egui::Ui, draft: &Draft, view: &PromptView<'_>) -> PromptOutput {
    let mut out = PromptOutput::default();
    generate_button_ui(ui, draft, view, &mut out);
    out
}

fn generate_button_ui(
    ui: &mut egui::Ui,
    draft: &Draft,
    view: &PromptView<'_>,
    out: &mut PromptOutput,
) {
    // Generate.
    let problem = view.blocked.map(str::to_string).or_else(|| draft.problem());
    let shortcut = ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter));
    let button = ui
        .add_enabled(
            problem.is_none() && view.checking == 0,
            egui::Button::new(egui::RichText::new("Generate").strong()),
        )
        .on_hover_text("Ctrl+Enter");
    if problem.is_none() && view.checking == 0 && (button.clicked() || shortcut) {
        out.intents.push(Intent::Generate);
    }
    if let Some(problem) = problem {
        ui.weak(problem);
    } else if view.checking > 0 {
        ui.horizontal(|ui| {
            ui.weak("Checking images…");
            if ui
                .small_button("Cancel")
                .on_hover_text("Stop waiting for the images being checked")
                .clicked()
            {
                out.intents.push(Intent::CancelImageChecks);
            }
        });
    }
}

fn images_ui(ui: &mut egui::Ui, draft: &mut Draft, view: &PromptView<'_>, out: &mut PromptOutput) {
    ui.horizontal(|ui| {
        ui.strong(format!(
            "Reference images ({}/{MAX_IMAGES})",
            draft.images.len()
        ));
        let room = draft.images.len() + view.checking < MAX_IMAGES;
        if ui
            .add_enabled(room, egui::Button::new("Add…"))
            .on_hover_text("PNG, JPEG, WebP or GIF, up to 10 MiB each")
            .clicked()
        {
            out.intents.push(Intent::PickImages);
        }
        if ui
            .add_enabled(room, egui::Button::new("Paste"))
            .on_hover_text("Attach the image, or the image file, on the clipboard")
            .clicked()
        {
            out.intents.push(Intent::PasteImage);
        }
    });
    if draft.images.is_empty() && view.checking == 0 {
        ui.weak("Drop up to 3 images anywhere on the window, or use Add… or Paste.");
    }
    let mut remove = None;
    let mut move_up = None;
    for (index, image) in draft.images.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            match view.thumbnails.get(&image.sha256) {
                Some(texture) => {
                    ui.add(
                        egui::Image::new(texture)
                            .max_size(egui::vec2(56.0, 56.0))
                            .alt_text(format!("Image {}", index + 1)),
                    );
                }
                None => {
                    ui.add_sized([56.0, 56.0], egui::Label::new("…"));
                }
            }
            ui.vertical(|ui| {
                let name = image
                    .path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                let kind = image.mime.trim_start_matches("image/").to_uppercase();
                ui.label(format!(
                    "Image {}: {kind}, {}",
                    index + 1,
                    format::bytes(image.bytes)
                ))
                .on_hover_text(name);
                if image.mime == "image/gif" {
                    ui.weak("Only the first frame of a GIF is used.");
                }
                ui.horizontal(|ui| {
                    let view_label = ui.label("View");
                    let mut text = image.label.clone().unwrap_or_default();
                    let field = ui
                        .add(
                            egui::TextEdit::singleline(&mut text)
                                .id_salt(("view-label", index))
                                .hint_text("front, right side…")
                                .desired_width(110.0),
                        )
                        .labelled_by(view_label.id);
                    if field.changed() {
                        image.label = (!text.is_empty()).then_some(text);
                        out.changed = true;
                    }
                    if index > 0
                        && ui
                            .small_button("Move up")
                            .on_hover_text("Move earlier")
                            .clicked()
                    {
                        move_up = Some(index);
                    }
                    if ui
                        .small_button("Remove")
                        .on_hover_text(format!("Remove image {}", index + 1))
                        .clicked()
                    {
                        remove = Some(index);
                    }
                });
            });
        });
    }
    if let Some(index) = remove {
        out.intents.push(Intent::RemoveImage(index));
    }
    if let Some(index) = move_up {
        out.intents.push(Intent::MoveImageUp(index));
    }
    if let Some(index) = messages_ui(ui, view.attachment_messages, "attachment-message") {
        out.intents.push(Intent::DismissMessage(index));
    }
}
