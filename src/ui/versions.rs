//! Versions of a design: a prompt and its follow-ups (each job knows the job it follows up).
//! A job's number is its depth in that chain (the first prompt is v1, a follow-up of it v2);
//! the strip shows the versions as pictures, and a click shows one.

use std::collections::HashMap;

use crate::jobs::JobRecord;

/// Parents followed at most (a chain this deep is a loop in a damaged history).
const MAX_DEPTH: usize = 200;

/// One version of a design.
#[derive(Debug, Clone, Copy)]
pub struct Version<'a> {
    /// Its job.
    pub job: &'a JobRecord,
    /// 1 for the first prompt, 2 for a follow-up of it, and so on.
    pub number: usize,
}

/// `job` and the jobs it follows up, the first prompt first (those still in the history).
pub fn lineage<'a>(
    job: &'a JobRecord,
    find: impl Fn(&str) -> Option<&'a JobRecord>,
) -> Vec<&'a JobRecord> {
    let mut chain = vec![job];
    while let Some(parent) = chain
        .last()
        .and_then(|j| j.spec.follow_up_of.as_deref())
        .and_then(&find)
    {
        if chain.len() >= MAX_DEPTH || chain.iter().any(|j| j.id == parent.id) {
            break;
        }
        chain.push(parent);
    }
    chain.reverse();
    chain
}

/// "v3 of “Lens Cap”" for a follow-up; `None` for a first prompt.
pub fn version_line(lineage: &[&JobRecord]) -> Option<String> {
    match lineage {
        [root, .., _] => Some(format!(
            "v{} of “{}”",
            lineage.len(),
            super::naming::job_title(root)
        )),
        _ => None,
    }
}

/// The versions as buttons, each its picture (once made) and "vN", `current` marked; the id
/// of the one clicked.
pub fn strip_ui(
    ui: &mut egui::Ui,
    versions: &[Version<'_>],
    current: &str,
    thumbnails: &HashMap<String, egui::TextureHandle>,
    side: f32,
) -> Option<String> {
    let mut clicked = None;
    ui.horizontal_wrapped(|ui| {
        for version in versions {
            let job = version.job;
            let label = format!("v{}", version.number);
            let hover = format!("{label}: {}", super::naming::job_title(job));
            let is_current = job.id == current;
            let picture = thumbnails.get(&super::naming::job_thumbnail_key(&job.id));
            let button = match picture {
                Some(texture) => egui::Button::image_and_text(
                    egui::Image::new(texture).fit_to_exact_size(egui::vec2(side, side)),
                    &label,
                ),
                None => egui::Button::new(&label).min_size(egui::vec2(side, side)),
            };
            let response = ui.add(button.selected(is_current));
            if response.on_hover_text(hover).clicked() && !is_current {
                clicked = Some(job.id.clone());
            }
        }
    });
    clicked
}
