//! A finished job's design summary and follow-up ideas (the API's `brainstorm`): the ideas
//! first (they are what the user acts on), then the summary, open.

use super::Intent;
use crate::api::Brainstorm;

/// Room the summary needs under the view at the least: the ideas and the summary's first
/// lines, so both show without scrolling.
pub fn least_height(brainstorm: &Brainstorm, width: f32) -> f32 {
    // Idea buttons flow in rows; a rough width per character is enough to count the rows.
    let idea_chars: usize = brainstorm
        .suggestions
        .iter()
        .map(|s| s.chars().count() + 4)
        .sum();
    let rows = ((idea_chars as f32 * 7.0) / width.max(200.0)).ceil();
    let ideas = if brainstorm.suggestions.is_empty() {
        0.0
    } else {
        30.0 + rows.max(1.0) * 26.0
    };
    ideas + 90.0
}

/// The ideas and the summary.
pub fn summary_ui(
    ui: &mut egui::Ui,
    job_id: &str,
    brainstorm: &Brainstorm,
    intents: &mut Vec<Intent>,
) {
    if !brainstorm.suggestions.is_empty() {
        ui.strong("Follow-up ideas");
        ui.horizontal_wrapped(|ui| {
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
            let list = |ui: &mut egui::Ui, title: &str, items: &[String]| {
                if !items.is_empty() {
                    ui.strong(title);
                    for item in items {
                        ui.label(format!("• {item}"));
                    }
                }
            };
            list(ui, "Key features", &brainstorm.key_features);
            list(ui, "Components", &brainstorm.design_components);
            if !brainstorm.optimal_geometry.is_empty() {
                ui.strong("Geometry");
                ui.label(&brainstorm.optimal_geometry);
            }
            if !brainstorm.material_recommendations.is_empty() {
                ui.strong("Materials");
                ui.label(&brainstorm.material_recommendations);
            }
        });
}
