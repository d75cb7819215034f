//! The result view: the selected job (what it is, where it is or why it stopped, its part and
//! its design summary) or a file opened for viewing. The 3D view sizes itself so that what
//! matters below it (the follow-up ideas, the summary's start) shows without scrolling; on
//! wide windows the summary sits beside it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::format;
use super::jobs::{LiveJob, job_title, resubmitted};
pub use super::model_view::{ModelState, ModelSummary};
use super::model_view::{height_under_view, model_ui};
use super::summary::{least_height, summary_ui};
use super::{CompareWith, Intent, Message, message_ui};
use crate::jobs::{JobRecord, Phase};
use crate::viewer::{MIN_VIEW_HEIGHT, ViewerState};

/// Centre widths from which the design summary sits beside the 3D view.
const SIDE_BY_SIDE_FROM: f32 = 860.0;
/// The summary column's width then.
const SUMMARY_COLUMN: f32 = 300.0;
/// A prompt longer than this shows its start, and the rest on request.
const PROMPT_SHOWN_CHARS: usize = 280;

/// What is shown in the central area.
pub enum Shown<'a> {
    /// Nothing selected.
    Nothing,
    /// A job.
    Job {
        /// Its record.
        job: &'a JobRecord,
        /// What the app knows of it beyond the record (a wait, the download).
        live: Option<&'a LiveJob>,
        /// The job it follows up, if it does.
        parent: Option<&'a JobRecord>,
        /// Every version of its design, oldest first (itself alone for a lone prompt).
        versions: Vec<super::versions::Version<'a>>,
    },
    /// A file opened for viewing.
    File(&'a Path),
}

/// What the view needs besides what it shows.
pub struct ResultView<'a> {
    /// The shown file's model, if it has one.
    pub model: Option<&'a ModelState>,
    /// Now, for elapsed times.
    pub now: DateTime<Utc>,
    /// Now, for countdowns.
    pub instant: Instant,
    /// The height the centre shows without scrolling.
    pub visible_height: f32,
    /// Pictures by key (jobs' parts, images).
    pub thumbnails: &'a HashMap<String, egui::TextureHandle>,
    /// How long a job takes on this connection where it is not the mode's typical time.
    pub pace: Option<(std::time::Duration, std::time::Duration)>,
    /// The slicers installed here, by name (the first is offered on its own button).
    pub slicers: &'a [String],
    /// Finished jobs the shown one can be compared with: its other versions first, then
    /// recent ones (id, what the menu calls it).
    pub compare_with: &'a [(String, String)],
}

/// A file name for saving a job's part: its project name, made safe for every file system.
pub fn suggested_name(job: &JobRecord) -> String {
    let title = job
        .brainstorm()
        .map(|b| b.project_name.as_str())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or("Makistry part");
    let safe: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let safe = safe.trim_matches(|c: char| c == '.' || c == ' ' || c == '-');
    format!("{safe}.{}", job.spec.format.extension())
}

fn file_actions_ui(ui: &mut egui::Ui, file: &Path, name: String, intents: &mut Vec<Intent>) {
    ui.horizontal_wrapped(|ui| {
        if ui.button("Save As…").clicked() {
            intents.push(Intent::SaveAs {
                file: file.to_path_buf(),
                name,
            });
        }
        if ui
            .button("Open")
            .on_hover_text("Open with the system's default app")
            .clicked()
        {
            intents.push(Intent::OpenExternally(file.to_path_buf()));
        }
        if ui.button("Show in folder").clicked() {
            intents.push(Intent::ShowInFolder(file.to_path_buf()));
        }
    });
}

/// Once the part is read: "Export as…" (STL, 3MF) and "Open in PrusaSlicer" (the first slicer
/// installed; the others in a menu beside it).
fn workshop_ui(
    ui: &mut egui::Ui,
    file: &Path,
    stem: &str,
    view: &ResultView<'_>,
    intents: &mut Vec<Intent>,
) {
    if !matches!(view.model, Some(ModelState::Loaded { .. })) {
        return;
    }
    use crate::model::export::ExportFormat;
    // The quality's radio buttons leave the menu open; a format closes it.
    let config = egui::containers::menu::MenuConfig::new()
        .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside);
    egui::containers::menu::MenuButton::new("Export as…")
        .config(config)
        .ui(ui, |ui| {
            let detail = export_quality_ui(ui, file);
            ui.separator();
            for (label, format) in [
                ("STL (binary, for slicers)…", ExportFormat::Stl),
                ("3MF (parts, colours, mm)…", ExportFormat::ThreeMf),
                ("GLB (for viewers and the web)…", ExportFormat::Glb),
            ] {
                if ui.button(label).clicked() {
                    intents.push(Intent::Export {
                        file: file.to_path_buf(),
                        stem: stem.to_string(),
                        format,
                        detail,
                    });
                    ui.close();
                }
            }
        })
        .0
        .on_hover_text("Write the part as a mesh here, without a new job");
    let open_in = |slicer: &String| Intent::OpenInSlicer {
        file: file.to_path_buf(),
        stem: stem.to_string(),
        slicer: slicer.clone(),
    };
    let Some((first, others)) = view.slicers.split_first() else {
        return;
    };
    if ui
        .button(format!("Open in {first}"))
        .on_hover_text("Hand the part to the slicer as 3MF")
        .clicked()
    {
        intents.push(open_in(first));
    }
    if !others.is_empty() {
        ui.menu_button("Other slicers", |ui| {
            for slicer in others {
                if ui.button(format!("Open in {slicer}")).clicked() {
                    intents.push(open_in(slicer));
                }
            }
        });
    }
}

/// The export's surface quality, for a STEP file (remembered for the session): as slicers'
/// export dialogs have it, a chord tolerance and an angle.
fn export_quality_ui(ui: &mut egui::Ui, file: &Path) -> crate::model::Detail {
    use crate::model::Detail;
    let choices = [
        (
            "Fine (0.01 mm, 10°)",
            Detail::Chord {
                chord_mm: 0.01,
                angle_deg: 10.0,
            },
        ),
        ("As shown (0.05 % of the size, 20°)", Detail::Full),
        ("Draft (0.4 % of the size, 34°)", Detail::Coarse),
    ];
    let is_step = crate::model::MeshFormat::from_path(file) == Some(crate::model::MeshFormat::Step);
    if !is_step {
        ui.weak("Written as the file's own mesh.");
        return Detail::Full;
    }
    let id = egui::Id::unique("export-quality");
    let mut chosen: usize = ui.data(|d| d.get_temp(id)).unwrap_or(1);
    ui.weak("Surface (chord tolerance, angle)");
    for (index, (label, _)) in choices.iter().enumerate() {
        ui.radio_value(&mut chosen, index, *label);
    }
    ui.data_mut(|d| d.insert_temp(id, chosen));
    choices
        .get(chosen)
        .map_or(Detail::Full, |(_, detail)| *detail)
}

/// "Compare with…": the job's other versions and recent jobs, or a file.
fn compare_menu_ui(
    ui: &mut egui::Ui,
    job: &JobRecord,
    candidates: &[(String, String)],
    intents: &mut Vec<Intent>,
) {
    ui.menu_button("Compare with…", |ui| {
        for (id, label) in candidates {
            if ui.button(label).clicked() {
                intents.push(Intent::Compare {
                    job: job.id.clone(),
                    with: CompareWith::Job(id.clone()),
                });
            }
        }
        if !candidates.is_empty() {
            ui.separator();
        }
        if ui.button("A file…").clicked() {
            intents.push(Intent::Compare {
                job: job.id.clone(),
                with: CompareWith::File,
            });
        }
    })
    .response
    .on_hover_text("See this part beside another one, with linked views and their differences");
}

/// The central view.
pub fn result_ui(
    ui: &mut egui::Ui,
    shown: Shown<'_>,
    view: &ResultView<'_>,
    viewer: &mut ViewerState,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let top = ui.cursor().top();
    match shown {
        Shown::Nothing => nothing_ui(ui, &mut intents),
        Shown::File(path) => {
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            ui.heading(&name);
            ui.add(
                egui::Label::new(egui::RichText::new(path.display().to_string()).weak()).truncate(),
            );
            ui.horizontal_wrapped(|ui| {
                file_actions_ui(ui, path, name, &mut intents);
                let stem = path.file_stem().unwrap_or_default().to_string_lossy();
                workshop_ui(ui, path, &stem, view, &mut intents);
            });
            let title = path
                .file_stem()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let height = view_height(ui, top, view, 0.0);
            model_ui(ui, path, view.model, viewer, (&title, height), &mut intents);
        }
        Shown::Job {
            job,
            live,
            parent,
            versions,
        } => {
            job_header_ui(ui, job, live, parent, view, &mut intents);
            if versions.len() > 1 {
                ui.horizontal(|ui| {
                    ui.weak("Versions");
                    let strip = super::versions::strip_ui;
                    if let Some(id) = strip(ui, &versions, &job.id, view.thumbnails, 44.0) {
                        intents.push(Intent::SelectJob(id));
                    }
                });
            }
            job_body_ui(ui, job, top, view, viewer, &mut intents);
        }
    }
    intents
}

/// The 3D view's height (toolbar included): what the centre shows without scrolling, less
/// what is above it, the facts under it and `below`.
fn view_height(ui: &egui::Ui, top: f32, view: &ResultView<'_>, below: f32) -> f32 {
    let used = ui.cursor().top() - top;
    let under = height_under_view(view.model);
    (view.visible_height - used - under - below).max(MIN_VIEW_HEIGHT + 60.0)
}

fn nothing_ui(ui: &mut egui::Ui, intents: &mut Vec<Intent>) {
    ui.vertical_centered(|ui| {
        ui.add_space(40.0);
        ui.heading("Your part appears here");
        ui.weak(
            "Describe it on the left and press Generate. You can also drop a STEP, GLB, STL or \
             3MF file here to look at it.",
        );
        if ui.button("Open a 3D file…").clicked() {
            intents.push(Intent::PickModelFile);
        }
    });
}

/// What the job is (title, parent, prompt, choices), and where it is or why it stopped.
fn job_header_ui(
    ui: &mut egui::Ui,
    job: &JobRecord,
    live: Option<&LiveJob>,
    parent: Option<&JobRecord>,
    view: &ResultView<'_>,
    intents: &mut Vec<Intent>,
) {
    let title = match job.brainstorm() {
        Some(b) if !b.project_name.trim().is_empty() => b.project_name.clone(),
        _ if job.phase.is_settled() => "Job".into(),
        _ => "New part".into(),
    };
    ui.heading(title);
    if let Some(parent) = parent {
        ui.horizontal_wrapped(|ui| {
            ui.weak("Follow-up of");
            if ui
                .link(format!("“{}”", job_title(parent)))
                .on_hover_text("Show that job")
                .clicked()
            {
                intents.push(Intent::SelectJob(parent.id.clone()));
            }
        });
    }
    prompt_ui(ui, &job.spec.prompt);
    let mut meta = format!(
        "{} mode · {} · {}",
        job.spec.mode.as_str(),
        job.spec.format.as_str(),
        job.phase.label()
    );
    if let Some(tokens) = job.tokens_used() {
        meta.push_str(&format!(" · {} credits", format::count(tokens as usize)));
    }
    ui.weak(meta);
    if job.resubmissions > 0 {
        ui.weak(resubmitted(job.resubmissions));
    }
    if let Some(error) = &job.error
        && !job.phase.is_done()
    {
        message_ui(ui, &Message::error(&error.sentence, &error.action));
        if job.phase.ended_without_part() {
            ended_actions_ui(ui, job, error.retry_helps(), intents);
        }
    }
    ui.add_space(4.0);
    progress_ui(ui, job, live, view);
}

/// What can be done about a job that ended without a part, under its reason: the card's
/// actions, where the user reads why (Retry only where the same job could end differently).
fn ended_actions_ui(
    ui: &mut egui::Ui,
    job: &JobRecord,
    retry_helps: bool,
    intents: &mut Vec<Intent>,
) {
    ui.horizontal_wrapped(|ui| {
        if retry_helps
            && ui
                .button("Retry this job")
                .on_hover_text("Submit it again (a new job on the server)")
                .clicked()
        {
            intents.push(Intent::Retry(job.id.clone()));
        }
        super::jobs::edit_and_rerun_button(ui, "Edit the prompt and re-run", job, intents);
    });
}

/// The prompt in italics; a long one shows its start, and the whole on request.
fn prompt_ui(ui: &mut egui::Ui, prompt: &str) {
    if prompt.chars().count() <= PROMPT_SHOWN_CHARS {
        ui.add(egui::Label::new(egui::RichText::new(prompt).italics()).wrap());
        return;
    }
    let start: String = prompt.chars().take(PROMPT_SHOWN_CHARS).collect();
    egui::CollapsingHeader::new(egui::RichText::new(format!("{}…", start.trim_end())).italics())
        .id_salt("whole-prompt")
        .show(ui, |ui| {
            ui.add(egui::Label::new(egui::RichText::new(prompt).italics()).wrap());
        });
}

/// The part and the design summary: beside each other on wide windows, else the summary
/// under the view, which leaves it room.
fn job_body_ui(
    ui: &mut egui::Ui,
    job: &JobRecord,
    top: f32,
    view: &ResultView<'_>,
    viewer: &mut ViewerState,
    intents: &mut Vec<Intent>,
) {
    let file = job_file(job);
    if let Some(file) = &file {
        ui.horizontal_wrapped(|ui| {
            file_actions_ui(ui, file, suggested_name(job), intents);
            let name = suggested_name(job);
            let stem = name
                .rsplit_once('.')
                .map_or(name.as_str(), |(stem, _)| stem);
            workshop_ui(ui, file, stem, view, intents);
            compare_menu_ui(ui, job, view.compare_with, intents);
        });
    }
    let name = suggested_name(job);
    let title = name
        .rsplit_once('.')
        .map_or(name.as_str(), |(stem, _)| stem);
    let brainstorm = job.brainstorm();
    match (file, brainstorm) {
        (Some(file), Some(brainstorm)) if ui.available_width() >= SIDE_BY_SIDE_FROM => {
            let height = view_height(ui, top, view, 0.0);
            ui.horizontal_top(|ui| {
                let width = ui.available_width() - SUMMARY_COLUMN - 12.0;
                ui.allocate_ui_with_layout(
                    egui::vec2(width, height + height_under_view(view.model)),
                    egui::Layout::top_down(egui::Align::Min),
                    |ui| model_ui(ui, &file, view.model, viewer, (title, height), intents),
                );
                ui.vertical(|ui| {
                    ui.set_width(SUMMARY_COLUMN);
                    summary_ui(ui, &job.id, brainstorm, intents);
                });
            });
        }
        (file, brainstorm) => {
            if let Some(file) = file {
                let width = ui.available_width();
                let below = brainstorm.map_or(0.0, |b| least_height(ui, &job.id, b, width));
                let height = view_height(ui, top, view, below);
                model_ui(ui, &file, view.model, viewer, (title, height), intents);
            }
            if let Some(brainstorm) = brainstorm {
                ui.add_space(6.0);
                summary_ui(ui, &job.id, brainstorm, intents);
            }
        }
    }
}

/// A job under way: where it is, time against the mode's typical duration, what happens next;
/// a job waiting (rate limit, a retry, a re-submission) says what for and until when.
fn progress_ui(ui: &mut egui::Ui, job: &JobRecord, live: Option<&LiveJob>, view: &ResultView<'_>) {
    if job.phase.is_settled() || job.phase.is_done() {
        return;
    }
    let waiting = live
        .and_then(|l| l.waiting.as_ref())
        .filter(|(until, _, _)| *until > view.instant);
    if let Some((until, reason, rate_limited)) = waiting {
        let left = format::clock(*until - view.instant);
        let headline = if *rate_limited {
            "Waiting: too many requests to Makistry for now (its rate limit)".to_string()
        } else {
            format!("Waiting: {reason}")
        };
        waiting_ui(
            ui,
            &headline,
            &format!("The app tries again in {left}, by itself."),
        );
        return;
    }
    if let Phase::Retrying { at } = job.phase {
        let left = format::clock((at - view.now).to_std().unwrap_or_default());
        waiting_ui(
            ui,
            &format!("Failed on Makistry's side; the app submits it again in {left}"),
            "It goes as a new job with the same prompt and images, as Makistry advises for \
             this error. You can close the window meanwhile.",
        );
        return;
    }
    let typical = view
        .pace
        .unwrap_or_else(|| job.spec.mode.typical_duration());
    let (_, typical_max) = typical;
    let since = job.submitted_at.unwrap_or(job.created_at);
    let elapsed = (view.now - since).to_std().unwrap_or_default();
    let (headline, fraction) = match job.phase {
        Phase::Submitting => ("Sending the job to Makistry…", 0.0),
        Phase::Queued => ("Waiting for a Makistry worker…", 0.02),
        Phase::Processing => (
            "Makistry is building your part…",
            // Never full: the typical time is not a promise.
            (elapsed.as_secs_f32() / typical_max.as_secs_f32()).min(0.95),
        ),
        Phase::Downloading { .. } => ("Downloading the file…", 0.97),
        // Drawn above: a settled job has no progress, a re-submission says when it goes.
        Phase::Retrying { .. }
        | Phase::Done { .. }
        | Phase::Failed { .. }
        | Phase::Expired { .. }
        | Phase::StillRunning { .. } => return,
    };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.strong(headline);
        ui.add(
            egui::ProgressBar::new(fraction)
                .text(format!(
                    "{} (usually {})",
                    format::clock(elapsed),
                    format::duration_range(typical)
                ))
                .animate(false),
        );
        ui.weak(
            "The file downloads by itself when it is ready. You can close the window or start \
             other jobs meanwhile: this one picks up where it was.",
        );
    });
}

fn waiting_ui(ui: &mut egui::Ui, headline: &str, detail: &str) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.add(egui::Label::new(egui::RichText::new(headline).strong()).wrap());
        ui.add(egui::Label::new(egui::RichText::new(detail).weak()).wrap());
    });
}

/// Whether a file has a preview (STEP, GLB, STL, 3MF).
pub fn previewable(path: &Path) -> bool {
    crate::model::MeshFormat::from_path(path).is_some()
}

/// The file a job shows, if it has one.
pub fn job_file(job: &JobRecord) -> Option<PathBuf> {
    job.file().map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_parts_are_named_after_their_project() {
        let mut job = JobRecord::new(
            "a cap".into(),
            vec![],
            crate::api::DesignMode::Standard,
            crate::api::OutputFormat::Glb,
            chrono::Utc::now(),
        );
        assert_eq!(suggested_name(&job), "Makistry part.glb");
        job.phase = crate::jobs::Phase::Done {
            report: crate::jobs::ServiceReport {
                brainstorm: Some(crate::api::Brainstorm {
                    project_name: "Lens Cap — 60mm OD / v2".into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            file: "part.glb".into(),
            finished_at: Some(chrono::Utc::now()),
        };
        assert_eq!(suggested_name(&job), "Lens Cap - 60mm OD - v2.glb");
    }
}
