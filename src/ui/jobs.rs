//! The jobs panel: a search box, then every job in the history (or what the search found),
//! newest first, with its status, time against the mode's typical duration, errors with their
//! next step, and Retry / Edit and re-run. Only the cards in view are laid out.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::format;
pub use super::naming::{job_of_thumbnail_key, job_thumbnail_key, job_title};
use super::versions::{Version, strip_ui};
use super::{Intent, Message, message_ui};
use crate::jobs::{JobRecord, Phase};

/// What the app knows about a job beyond its record: live, not stored.
#[derive(Debug, Clone, Default)]
pub struct LiveJob {
    /// A request is waiting until then (rate limit or retry), and why.
    pub waiting: Option<(Instant, String, bool)>,
    /// Download progress: bytes so far and the total if known.
    pub download: Option<(u64, Option<u64>)>,
}

/// What the panel needs besides the records.
pub struct JobsView<'a> {
    /// Live state by job id.
    pub live: &'a HashMap<String, LiveJob>,
    /// The selected job.
    pub selected: Option<&'a str>,
    /// Now, for elapsed times.
    pub now: DateTime<Utc>,
    /// Now, for countdowns.
    pub instant: Instant,
    /// Jobs a worker is driving now.
    pub running: &'a dyn Fn(&str) -> bool,
    /// Image thumbnails by SHA-256.
    pub thumbnails: &'a HashMap<String, egui::TextureHandle>,
    /// Any job of the history by id (a follow-up's parent may be outside a search's results).
    pub find: &'a dyn Fn(&str) -> Option<&'a JobRecord>,
    /// How long a job takes on this connection where it is not the mode's typical time (the
    /// offline demo's jobs take seconds).
    pub pace: Option<(std::time::Duration, std::time::Duration)>,
}

/// One line of status, in the app's words.
pub fn status_line(job: &JobRecord, live: Option<&LiveJob>, view: &JobsView<'_>) -> String {
    if let Some((until, reason, rate_limited)) = live.and_then(|l| l.waiting.as_ref())
        && *until > view.instant
        && !job.phase.is_settled()
    {
        let left = format::clock(*until - view.instant);
        return if *rate_limited {
            format!("rate-limited: trying again in {left}")
        } else {
            format!("{reason}: trying again in {left}")
        };
    }
    let (lo, hi) = view
        .pace
        .unwrap_or_else(|| job.spec.mode.typical_duration());
    let since = job.submitted_at.unwrap_or(job.created_at);
    let elapsed = (view.now - since).to_std().unwrap_or_default();
    match &job.phase {
        Phase::Queued | Phase::Processing => format!(
            "{} · {} (usually {})",
            job.phase.label(),
            format::clock(elapsed),
            format::duration_range((lo, hi))
        ),
        Phase::Downloading { .. } => match live.and_then(|l| l.download) {
            Some((received, Some(total))) if total > 0 => format!(
                "downloading · {} of {}",
                format::bytes(received),
                format::bytes(total)
            ),
            Some((received, None)) => format!("downloading · {}", format::bytes(received)),
            _ => "downloading".into(),
        },
        Phase::Retrying { at } => {
            let left = (*at - view.now).to_std().unwrap_or_default();
            format!("failed; submitting again in {}", format::clock(left))
        }
        Phase::Submitting if !(view.running)(&job.id) => {
            "not sent: the network failed (Send tries again, safely)".into()
        }
        Phase::Done { .. } => match job.tokens_used() {
            Some(tokens) => format!("done · {} credits", format::count(tokens as usize)),
            None => "done".into(),
        },
        phase => phase.label().into(),
    }
}

/// The words that tell this job apart: for a follow-up, what was added to its parent's
/// prompt; else the prompt (when the title is the project name) — at most `max` characters.
fn excerpt(job: &JobRecord, parent: Option<&JobRecord>, max: usize) -> Option<String> {
    let added = parent
        .and_then(|p| job.spec.prompt.strip_prefix(p.spec.prompt.trim_end()))
        .map(str::trim)
        .filter(|rest| !rest.is_empty());
    let text = match added {
        Some(rest) => rest,
        None if job.brainstorm().is_some() => job.spec.prompt.trim(),
        None => return None,
    };
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        return None;
    }
    Some(if flat.chars().count() > max {
        format!("{}…", flat.chars().take(max).collect::<String>())
    } else {
        flat
    })
}

/// Card heights measured when last drawn, by job id: the list lays out only the cards in
/// view and stands the others in at their measured (or a typical) height, so a history of
/// 10,000 jobs costs a frame what a dozen do.
#[derive(Debug, Default)]
pub struct CardHeights(HashMap<String, f32>);

/// Space between cards.
const CARD_GAP: f32 = 4.0;
/// The height of a card not drawn yet (a finished job without images, near enough).
const TYPICAL_CARD: f32 = 130.0;

impl CardHeights {
    fn of(&self, id: &str) -> f32 {
        self.0.get(id).copied().unwrap_or(TYPICAL_CARD) + CARD_GAP
    }
}

/// What the panel did in a frame.
#[derive(Debug, Default)]
pub struct JobsPanel {
    /// What the user asked for.
    pub intents: Vec<Intent>,
    /// The search text changed.
    pub searched: bool,
    /// The places (in the jobs given) of the cards drawn: the records the list needs now.
    pub drawn: std::ops::Range<usize>,
}

/// The panel: the search box over the history, then the cards of `jobs` (the history's ids,
/// or what the search found), newest first; a job whose record is not read yet shows as a
/// blank card until it is (`view.find`). The search text is edited in place.
pub fn jobs_ui<'a>(
    ui: &mut egui::Ui,
    jobs: &[&str],
    search: &mut String,
    view: &JobsView<'a>,
    heights: &mut CardHeights,
) -> JobsPanel {
    let mut panel = JobsPanel::default();
    ui.heading("Jobs");
    if jobs.is_empty() && search.is_empty() {
        ui.weak("Jobs you start appear here, and stay after a restart.");
        return panel;
    }
    let searched = ui
        .horizontal(|ui| {
            let label = ui.label("Search");
            ui.add(
                egui::TextEdit::singleline(search)
                    .hint_text("prompt, name, feature, date")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id)
            .on_hover_text("Every word must match; the last may be the start of a word")
            .changed()
        })
        .inner;
    panel.searched = searched;
    if jobs.is_empty() {
        ui.weak("No job matches that search.");
        return panel;
    }
    let intents = &mut panel.intents;
    panel.drawn = egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show_viewport(ui, |ui, viewport| {
            ui.set_width(ui.available_width());
            let mut top = 0.0;
            let mut index = 0;
            while index < jobs.len() && top + heights.of(jobs[index]) < viewport.min.y {
                top += heights.of(jobs[index]);
                index += 1;
            }
            ui.add_space(top);
            let first = index;
            while index < jobs.len() && top < viewport.max.y {
                let id = jobs[index];
                // Each card's widgets are keyed by its job, not by where the card falls among
                // those drawn this frame (which changes as the list scrolls or a card grows).
                let height = ui
                    .push_id(id, |ui| match (view.find)(id) {
                        Some(job) => {
                            let lineage = super::versions::lineage(job, view.find);
                            job_card_ui(ui, &lineage, view, intents)
                        }
                        None => unread_card_ui(ui),
                    })
                    .inner;
                heights.0.insert(id.to_string(), height);
                ui.add_space(CARD_GAP);
                top += height + CARD_GAP;
                index += 1;
            }
            let below: f32 = jobs[index..].iter().map(|id| heights.of(id)).sum();
            ui.add_space(below);
            first..index
        })
        .inner;
    panel
}

/// A card whose record is being read (a moment, as the list scrolls to it): its frame, as
/// tall as a typical card, so the list does not jump when it comes.
fn unread_card_ui(ui: &mut egui::Ui) -> f32 {
    egui::Frame::group(ui.style())
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.set_min_height(TYPICAL_CARD - 14.0);
            ui.weak("Reading…");
        })
        .response
        .rect
        .height()
}

/// One job (the last of its `lineage`: the versions it follows up, first prompt first): what
/// tells it apart (picture, title, its version, what its prompt adds, its images), where it
/// is, and what can be done with it.
fn job_card_ui(
    ui: &mut egui::Ui,
    lineage: &[&JobRecord],
    view: &JobsView<'_>,
    intents: &mut Vec<Intent>,
) -> f32 {
    let Some((&job, ancestors)) = lineage.split_last() else {
        return 0.0;
    };
    let parent = ancestors.last().copied();
    let selected = view.selected == Some(job.id.as_str());
    let live = view.live.get(&job.id);
    let frame = egui::Frame::group(ui.style()).fill(if selected {
        ui.visuals().selection.bg_fill.gamma_multiply(0.35)
    } else {
        ui.visuals().panel_fill
    });
    frame
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            heading_ui(ui, job, selected, view, intents);
            if let Some(line) = super::versions::version_line(lineage) {
                ui.add(egui::Label::new(egui::RichText::new(line).weak()).truncate());
                let versions: Vec<_> = (lineage.iter().enumerate())
                    .map(|(i, &job)| Version { job, number: i + 1 })
                    .collect();
                if let Some(id) = strip_ui(ui, &versions, &job.id, view.thumbnails, 28.0) {
                    intents.push(Intent::SelectJob(id));
                }
            }
            if let Some(excerpt) = excerpt(job, parent, 90) {
                ui.add(egui::Label::new(egui::RichText::new(excerpt).italics()).wrap());
            }
            images_ui(ui, job, view);
            ui.weak(format!(
                "{} · {} · {}",
                job.spec.mode.as_str(),
                job.spec.format.as_str(),
                job.created_at
                    .with_timezone(&chrono::Local)
                    .format("%b %e, %H:%M")
            ));
            let status = status_line(job, live, view);
            let color = match job.phase {
                Phase::Failed { .. } | Phase::Expired { .. } => ui.visuals().error_fg_color,
                Phase::Done { .. } => ui.visuals().text_color(),
                Phase::Submitting
                | Phase::Queued
                | Phase::Processing
                | Phase::Downloading { .. }
                | Phase::Retrying { .. }
                | Phase::StillRunning { .. } => ui.visuals().warn_fg_color,
            };
            ui.add(egui::Label::new(egui::RichText::new(status).color(color)).wrap());
            if job.resubmissions > 0 {
                ui.weak(resubmitted(job.resubmissions));
            }
            // The card says what happened; the next step is in the job's own view, beside it.
            if let Some(error) = &job.error
                && !matches!(job.phase, Phase::Done { .. })
            {
                message_ui(ui, &Message::error(&error.sentence, ""));
            }
            ui.horizontal_wrapped(|ui| actions_ui(ui, job, view, intents));
        })
        .response
        .rect
        .height()
}

/// The card's picture of the part (once made) and its title; either shows the job.
fn heading_ui(
    ui: &mut egui::Ui,
    job: &JobRecord,
    selected: bool,
    view: &JobsView<'_>,
    intents: &mut Vec<Intent>,
) {
    ui.horizontal(|ui| {
        if let Some(picture) = view.thumbnails.get(&job_thumbnail_key(&job.id)) {
            let image = egui::Image::new(picture)
                .max_size(egui::vec2(56.0, 56.0))
                .alt_text(format!("Picture of {}", job_title(job)))
                .sense(egui::Sense::click());
            if ui.add(image).on_hover_text("Show this part").clicked() {
                intents.push(Intent::SelectJob(job.id.clone()));
            }
        }
        let heading = ui
            .add(egui::Button::selectable(
                selected,
                egui::RichText::new(job_title(job)).strong(),
            ))
            .on_hover_text(&job.spec.prompt);
        if heading.clicked() {
            intents.push(Intent::SelectJob(job.id.clone()));
        }
    });
}

/// "Submitted again once by the app" (after a server-side failure).
pub fn resubmitted(times: u32) -> String {
    match times {
        1 => "Submitted again once by the app, after a failure on Makistry's side.".into(),
        n => format!("Submitted again {n} times by the app, after failures on Makistry's side."),
    }
}

/// The job's reference images, small; a count where a thumbnail is not loaded.
fn images_ui(ui: &mut egui::Ui, job: &JobRecord, view: &JobsView<'_>) {
    if job.spec.images.is_empty() {
        return;
    }
    ui.horizontal(|ui| {
        let mut missing = 0;
        for (index, image) in job.spec.images.iter().enumerate() {
            match view.thumbnails.get(&image.sha256) {
                Some(texture) => {
                    let label = image.label.as_deref().unwrap_or("no view given");
                    ui.add(
                        egui::Image::new(texture)
                            .max_size(egui::vec2(28.0, 28.0))
                            .alt_text(format!("Job image {} ({label})", index + 1)),
                    )
                    .on_hover_text(label);
                }
                None => missing += 1,
            }
        }
        if missing > 0 {
            let n = job.spec.images.len();
            ui.weak(if n == 1 {
                "1 image".into()
            } else {
                format!("{n} images")
            });
        }
    });
}

fn actions_ui(ui: &mut egui::Ui, job: &JobRecord, view: &JobsView<'_>, intents: &mut Vec<Intent>) {
    let idle = !(view.running)(&job.id);
    // Only where the same job could end differently: an error that needs the prompt or the
    // images changed offers Edit and re-run alone.
    let retry_helps = job.error.as_ref().is_none_or(|e| e.retry_helps());
    let retryable = matches!(
        job.phase,
        Phase::Failed { .. } | Phase::Expired { .. } | Phase::Submitting
    );
    if idle && retryable && retry_helps {
        let (label, hover) = if job.phase == Phase::Submitting {
            (
                "Send",
                "Send this job now (safely: it is made at most once)",
            )
        } else {
            ("Retry", "Submit this job again (a new job on the server)")
        };
        if ui.button(label).on_hover_text(hover).clicked() {
            intents.push(Intent::Retry(job.id.clone()));
        }
    }
    if idle && matches!(job.phase, Phase::StillRunning { .. }) && ui.button("Check again").clicked()
    {
        intents.push(Intent::CheckAgain(job.id.clone()));
    }
    if idle
        && matches!(job.phase, Phase::Downloading { .. })
        && ui.button("Download again").clicked()
    {
        intents.push(Intent::CheckAgain(job.id.clone()));
    }
    edit_and_rerun_button(ui, "Edit and re-run", job, intents);
}

/// The button that loads a job's prompt, choices and images back into the form.
pub fn edit_and_rerun_button(
    ui: &mut egui::Ui,
    label: &str,
    job: &JobRecord,
    intents: &mut Vec<Intent>,
) {
    if ui
        .button(label)
        .on_hover_text("Load this prompt and its images into the form")
        .clicked()
    {
        intents.push(Intent::EditAndRerun(job.id.clone()));
    }
}
