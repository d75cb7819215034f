//! A finished job's design summary and follow-up ideas (the API's `brainstorm`): the ideas
//! first (they are what the user acts on), then the summary, open.

use super::Intent;
use crate::api::Brainstorm;

/// Room the ideas and the summary need under the view: their height when last drawn at
/// this width (measured, so the whole summary shows without scrolling where the window has
/// room), or a guess before they are first drawn.
pub fn least_height(ui: &egui::Ui, job_id: &str, brainstorm: &Brainstorm, width: f32) -> f32 {
    let measured = ui.data(|d| d.get_temp::<(f32, f32)>(height_id(job_id)));
    match measured {
        Some((at_width, height)) if (at_width - width).abs() < 1.0 => height,
        _ => guessed_height(brainstorm, width),
    }
}

fn height_id(job_id: &str) -> egui::Id {
    egui::Id::unique(("summary-height", job_id))
}

/// About how tall the ideas and summary are, from their length (for the first frame).
fn guessed_height(brainstorm: &Brainstorm, width: f32) -> f32 {
    let lines = |chars: usize| (chars as f32 * 7.0 / width.max(200.0)).ceil();
    let idea_chars: usize = (brainstorm.suggestions.iter())
        .map(|s| s.chars().count() + 4)
        .sum::<usize>()
        + 16;
    let ideas = if brainstorm.suggestions.is_empty() {
        0.0
    } else {
        lines(idea_chars).max(1.0) * 26.0
    };
    let summary_chars = [
        brainstorm.key_features.join(" · ").chars().count() + 14,
        brainstorm.design_components.join(" · ").chars().count() + 12,
        brainstorm.optimal_geometry.chars().count() + 10,
        brainstorm.material_recommendations.chars().count() + 11,
    ];
    let summary: f32 = summary_chars.iter().map(|&c| lines(c) * 18.0).sum();
    ideas + 30.0 + summary
}

/// The ideas and the summary. The summary is compact (a line or two per heading), so at the
/// window's default size it shows whole under the part.
pub fn summary_ui(
    ui: &mut egui::Ui,
    job_id: &str,
    brainstorm: &Brainstorm,
    intents: &mut Vec<Intent>,
) {
    let width = ui.available_width();
    let top = ui.cursor().top();
    if !brainstorm.suggestions.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.strong("Follow-up ideas");
            for suggestion in &brainstorm.suggestions {
                if ui
                    .button(suggestion)
                    .on_hover_text("Put this into the form as a follow-up prompt")
                    .clicked()
                {
                    intents.push(Intent::FollowUp {
                        job_id: job_id.to_string(),
                        suggestion: suggestion.clone(),
                    });
                }
            }
        });
        ui.add_space(4.0);
    }
    egui::CollapsingHeader::new("Design summary")
        .default_open(true)
        .show(ui, |ui| {
            section(ui, "Key features", &brainstorm.key_features.join(" · "));
            section(ui, "Components", &brainstorm.design_components.join(" · "));
            section(ui, "Geometry", &brainstorm.optimal_geometry);
            section(ui, "Materials", &brainstorm.material_recommendations);
        });
    // What they took, for the next frame's layout (see `least_height`).
    let height = ui.cursor().top() - top;
    let id = height_id(job_id);
    let before = ui.data(|d| d.get_temp::<(f32, f32)>(id));
    if before != Some((width, height)) {
        ui.data_mut(|d| d.insert_temp(id, (width, height)));
        ui.ctx().request_repaint();
    }
}

/// One heading of the summary on a line with its text ("Key features: a · b · c"), wrapped.
fn section(ui: &mut egui::Ui, title: &str, text: &str) {
    if text.trim().is_empty() {
        return;
    }
    let mut job = egui::text::LayoutJob::default();
    let style = ui.style().clone();
    egui::RichText::new(format!("{title}: "))
        .strong()
        .append_to(
            &mut job,
            &style,
            egui::FontSelection::Default,
            egui::Align::Min,
        );
    egui::RichText::new(text).append_to(
        &mut job,
        &style,
        egui::FontSelection::Default,
        egui::Align::Min,
    );
    ui.add(egui::Label::new(job).wrap());
}
