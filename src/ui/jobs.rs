//! The jobs panel: every job in the history, newest first, with its status, time against the
//! mode's typical duration, errors with their next step, and Retry / Edit and re-run.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::format;
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
    let (lo, hi) = job.mode.typical_duration();
    let since = job.submitted_at.unwrap_or(job.created_at);
    let elapsed = (view.now - since).to_std().unwrap_or_default();
    match &job.phase {
        Phase::Queued | Phase::Processing => format!(
            "{} · {} (usually {})",
            job.phase.label(),
            format::clock(elapsed),
            format::duration_range((lo, hi))
        ),
        Phase::Downloading => match live.and_then(|l| l.download) {
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
        Phase::Done => match job.tokens_used {
            Some(tokens) => format!("done · {} credits", format::count(tokens as usize)),
            None => "done".into(),
        },
        phase => phase.label().into(),
    }
}

fn first_line(prompt: &str, max: usize) -> String {
    let line = prompt.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        return "(images only)".into();
    }
    if line.chars().count() > max {
        let cut: String = line.chars().take(max).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}

/// The panel.
pub fn jobs_ui(ui: &mut egui::Ui, jobs: &[JobRecord], view: &JobsView<'_>) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.heading("Jobs");
    if jobs.is_empty() {
        ui.weak("Jobs you start appear here, and stay after a restart.");
        return intents;
    }
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for job in jobs {
                let selected = view.selected == Some(job.id.as_str());
                let live = view.live.get(&job.id);
                let frame = egui::Frame::group(ui.style()).fill(if selected {
                    ui.visuals().selection.bg_fill.gamma_multiply(0.35)
                } else {
                    ui.visuals().panel_fill
                });
                frame.show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    let title = first_line(&job.prompt, 48);
                    let heading = ui
                        .add(egui::Button::selectable(
                            selected,
                            egui::RichText::new(&title).strong(),
                        ))
                        .on_hover_text(&job.prompt);
                    if heading.clicked() {
                        intents.push(Intent::SelectJob(job.id.clone()));
                    }
                    ui.weak(format!(
                        "{} · {} · {}",
                        job.mode.as_str(),
                        job.format.as_str(),
                        job.created_at
                            .with_timezone(&chrono::Local)
                            .format("%b %e, %H:%M")
                    ));
                    let status = status_line(job, live, view);
                    let color = match job.phase {
                        Phase::Failed | Phase::Expired => ui.visuals().error_fg_color,
                        Phase::Done => ui.visuals().text_color(),
                        _ => ui.visuals().warn_fg_color,
                    };
                    ui.colored_label(color, status);
                    if let Some(error) = &job.error
                        && !matches!(job.phase, Phase::Done)
                    {
                        message_ui(ui, &Message::error(&error.sentence, &error.action));
                    }
                    ui.horizontal(|ui| {
                        let idle = !(view.running)(&job.id);
                        let retry_label = if job.phase == Phase::Submitting {
                            "Send"
                        } else {
                            "Retry"
                        };
                        if idle
                            && matches!(
                                job.phase,
                                Phase::Failed | Phase::Expired | Phase::Submitting
                            )
                            && ui
                                .button(retry_label)
                                .on_hover_text("Submit this job again (a new job on the server)")
                                .clicked()
                        {
                            intents.push(Intent::Retry(job.id.clone()));
                        }
                        if idle
                            && job.phase == Phase::StillRunning
                            && ui.button("Check again").clicked()
                        {
                            intents.push(Intent::CheckAgain(job.id.clone()));
                        }
                        if idle
                            && job.phase == Phase::Downloading
                            && ui.button("Download again").clicked()
                        {
                            intents.push(Intent::CheckAgain(job.id.clone()));
                        }
                        if ui
                            .button("Edit and re-run")
                            .on_hover_text("Load this prompt and its images into the form")
                            .clicked()
                        {
                            intents.push(Intent::EditAndRerun(job.id.clone()));
                        }
                    });
                });
                ui.add_space(4.0);
            }
        });
    intents
}
