//! The main screen's layout: a top bar; the form on the left and the jobs on the right, each as
//! wide as the user makes it (a visible grip on the divider) and hidden on narrow windows
//! unless the user shows it; messages at the bottom; the result in the centre, which keeps a
//! useful size at 800×500.

use super::composer::ComposerView;
use super::job_list::ListContext;
use super::preview::Centre;
use super::{MakistryApp, Selection};
use crate::keychain::KeySource;
use crate::ui::messages::messages_panel;
use crate::ui::result::Shown;
use crate::ui::{self, Intent};

/// Window widths from which a side panel shows without being asked for.
const FORM_SHOWN_FROM: f32 = 640.0;
const JOBS_SHOWN_FROM: f32 = 1100.0;

/// Which side panels the user showed or hid; `None` follows the window's width.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PanelChoice {
    form: Option<bool>,
    jobs: Option<bool>,
}

impl PanelChoice {
    fn form_shown(self, width: f32) -> bool {
        self.form.unwrap_or(width >= FORM_SHOWN_FROM)
    }

    fn jobs_shown(self, width: f32) -> bool {
        self.jobs.unwrap_or(width >= JOBS_SHOWN_FROM)
    }
}

impl MakistryApp {
    pub(super) fn main_ui(&mut self, ui: &mut egui::Ui) -> Vec<Intent> {
        let mut intents = Vec::new();
        let width = ui.available_width();
        egui::Panel::top("top-bar").show(ui, |ui| {
            self.top_bar_ui(ui, width, &mut intents);
        });
        if let Some(index) = messages_panel(ui, &self.messages) {
            self.messages.dismiss(index);
        }
        if self.chrome.panels.form_shown(width) {
            let panel = egui::Panel::left("prompt-form")
                .resizable(true)
                .default_size(330.0)
                .size_range(260.0..=(width * 0.42).max(260.0))
                .show(ui, |ui| self.form_ui(ui));
            divider_grip(ui, panel.response.rect.right());
        }
        if self.chrome.panels.jobs_shown(width) {
            let panel = egui::Panel::right("jobs")
                .resizable(true)
                .default_size(270.0)
                .size_range(220.0..=(width * 0.32).max(220.0))
                .show(ui, |ui| self.jobs_ui(ui));
            divider_grip(ui, panel.response.rect.left());
        }
        egui::CentralPanel::default().show(ui, |ui| {
            // The first frame of the main screen, before any part is in view (reading one
            // takes longer): the time to have the GL compile the view's programs.
            self.preview.warm_up_once(ui);
            self.centre_ui(ui)
        });
        intents
    }

    /// A file opened before any key is set (a double-click on a fresh install): the file in
    /// the centre at once, the welcome beside it; the key can wait until Generate.
    pub(super) fn file_before_key_ui(&mut self, ui: &mut egui::Ui) -> Vec<Intent> {
        let mut intents = Vec::new();
        let width = ui.available_width();
        egui::Panel::left("welcome")
            .resizable(true)
            .default_size(380.0)
            .size_range(300.0..=(width * 0.45).max(300.0))
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    if let super::Screen::Welcome(form) = &mut self.screen {
                        intents.extend(ui::welcome::welcome_ui(ui, form, false));
                    }
                });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            self.preview.warm_up_once(ui);
            self.centre_ui(ui);
        });
        intents
    }

    /// The form, Generate at its end; pinned under it instead where the form is taller than
    /// the window (a small window, messages), so it is never scrolled out of reach.
    fn form_ui(&mut self, ui: &mut egui::Ui) {
        let pinned_id = egui::Id::unique("form-generate-pinned");
        let pinned = ui.data(|d| d.get_temp::<bool>(pinned_id)).unwrap_or(false);
        let room = ui.available_height();
        let view = ComposerView {
            thumbnails: self.preview.thumbnails(),
            follow_up_title: self.composer.follow_up_of().map(|id| {
                self.jobs
                    .get(id)
                    .map_or_else(|| "an earlier job".into(), ui::jobs::job_title)
            }),
            can_submit: self.screen.connection().is_some(),
        };
        let (mut effects, bar_height) = if pinned {
            let bar = egui::Panel::bottom("form-generate").show(ui, |ui| {
                ui.add_space(6.0);
                self.composer.generate_ui(ui, &view)
            });
            (bar.inner, bar.response.rect.height())
        } else {
            (Vec::new(), 0.0)
        };
        let form = egui::ScrollArea::vertical().show(ui, |ui| {
            let mut effects = self.composer.ui(ui, &view);
            if !pinned {
                ui.add_space(8.0);
                effects.extend(self.composer.generate_ui(ui, &view));
            }
            effects
        });
        effects.extend(form.inner);
        // Next frame's choice: pinned only while the form with Generate would not fit (and
        // unpinned only with room to spare, so a form at the edge does not flip every frame).
        let needed = form.content_size.y + bar_height;
        let overflows = if pinned {
            needed > room - 16.0
        } else {
            needed > room + 0.5
        };
        if overflows != pinned {
            ui.data_mut(|d| d.insert_temp(pinned_id, overflows));
            ui.ctx().request_repaint();
        }
        self.run_effects(effects);
    }

    fn jobs_ui(&mut self, ui: &mut egui::Ui) {
        let context = ListContext {
            selected: self.preview.selection().and_then(Selection::job),
            thumbnails: self.preview.thumbnails(),
            pace: self.pace(),
        };
        let effects = self.jobs.ui(ui, &context);
        self.run_effects(effects);
    }

    fn centre_ui(&mut self, ui: &mut egui::Ui) {
        // What the centre can show without scrolling: the viewport sizes itself to leave room
        // for the design summary and follow-ups below it.
        let visible_height = ui.available_height();
        let pace = self.pace();
        let selection = self.preview.selection().cloned();
        let effects = egui::ScrollArea::vertical().show(ui, |ui| {
            let centre = match &selection {
                Some(Selection::Compare(sides)) => Centre::Compare(self.compared_sides(sides)),
                Some(Selection::Job(id)) => match self.jobs.get(id) {
                    Some(job) => Centre::One {
                        shown: Shown::Job {
                            job,
                            live: self.jobs.live().get(id),
                            parent: (job.spec.follow_up_of.as_deref())
                                .and_then(|parent| self.jobs.get(parent)),
                            versions: self.jobs.versions(id),
                        },
                        file: ui::result::job_file(job),
                        compare_with: self.compare_candidates(job),
                    },
                    None => Centre::nothing(),
                },
                Some(Selection::File(path)) => Centre::One {
                    shown: Shown::File(path),
                    file: Some(path.clone()),
                    compare_with: Vec::new(),
                },
                None => Centre::nothing(),
            };
            self.preview.ui(ui, centre, visible_height, pace)
        });
        self.run_effects(effects.inner);
    }

    fn top_bar_ui(&mut self, ui: &mut egui::Ui, width: f32, intents: &mut Vec<Intent>) {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("About")
                .on_hover_text("Version and diagnostics")
                .clicked()
            {
                self.chrome.about_open = !self.chrome.about_open;
            }
            if ui.button("Open 3D file…").clicked() {
                intents.push(Intent::PickModelFile);
            }
            ui.separator();
            let running = self.jobs.running_count();
            let jobs_label = if running > 0 {
                format!("Jobs ({running} running)")
            } else {
                "Jobs".to_string()
            };
            let jobs_shown = self.chrome.panels.jobs_shown(width);
            if ui
                .selectable_label(jobs_shown, jobs_label)
                .on_hover_text("Show or hide the jobs list")
                .clicked()
            {
                self.chrome.panels.jobs = Some(!jobs_shown);
            }
            let form_shown = self.chrome.panels.form_shown(width);
            if ui
                .selectable_label(form_shown, "Form")
                .on_hover_text("Show or hide the prompt form")
                .clicked()
            {
                self.chrome.panels.form = Some(!form_shown);
            }
            ui.separator();
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                self.connection_ui(ui, intents);
            });
        });
    }

    /// The app's name and the connection, shortened (never pushed off) on narrow windows.
    fn connection_ui(&self, ui: &mut egui::Ui, intents: &mut Vec<Intent>) {
        ui.strong(super::APP_NAME);
        ui.separator();
        match self.connection() {
            Some(c) if c.demo.is_some() => {
                if ui.button("Use an API key…").clicked() {
                    intents.push(Intent::ShowKeyForm);
                }
                demo_banner(ui);
            }
            Some(c) => {
                let source = match c.source {
                    Some(KeySource::Environment) => " (from MAKISTRY_API_KEY)",
                    _ => "",
                };
                ui.add(egui::Label::new(format!("API key {}{source}", c.key_preview)).truncate());
                if c.source != Some(KeySource::Environment) {
                    if ui.button("Replace").clicked() {
                        intents.push(Intent::ShowKeyForm);
                    }
                    if ui.button("Remove").clicked() {
                        intents.push(Intent::RemoveKey);
                    }
                }
            }
            None => {}
        }
    }

    pub(super) fn drop_overlay_ui(&self, ui: &egui::Ui) {
        let hovering = ui.input(|i| !i.raw.hovered_files.is_empty());
        if !hovering {
            return;
        }
        let painter = ui.ctx().layer_painter(egui::LayerId::new(
            egui::Order::Foreground,
            egui::Id::unique("drop-overlay"),
        ));
        let rect = ui.ctx().content_rect();
        let accent = ui.visuals().selection.stroke.color;
        painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(160));
        painter.rect_stroke(
            rect.shrink(8.0),
            8.0,
            egui::Stroke::new(3.0, accent),
            egui::StrokeKind::Inside,
        );
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Drop images to attach them (up to 3),\nor a STEP, GLB, STL or 3MF file to view it",
            egui::FontId::proportional(22.0),
            egui::Color32::WHITE,
        );
    }
}

/// Says the offline demo is in use: whole where the bar has room, else its short form (whole
/// on hover), never cut mid-word.
fn demo_banner(ui: &mut egui::Ui) {
    const WHOLE: &str = "OFFLINE DEMO: a built-in copy of the API answers with sample parts";
    const SHORT: &str = "OFFLINE DEMO (sample parts)";
    let color = ui.visuals().warn_fg_color;
    let font = egui::TextStyle::Body.resolve(ui.style());
    let width = ui
        .painter()
        .layout_no_wrap(WHOLE.into(), font, color)
        .size()
        .x;
    let text = if width <= ui.available_width() {
        WHOLE
    } else {
        SHORT
    };
    ui.add(egui::Label::new(egui::RichText::new(text).color(color)).truncate())
        .on_hover_text(WHOLE);
}

/// A grip in the middle of a panel's divider, so users see it can be dragged.
fn divider_grip(ui: &egui::Ui, x: f32) {
    let rect = ui.max_rect();
    let y = rect.center().y;
    let color = ui.visuals().widgets.noninteractive.fg_stroke.color;
    for dy in [-8.0, 0.0, 8.0] {
        ui.painter()
            .circle_filled(egui::pos2(x, y + dy), 1.8, color.gamma_multiply(0.8));
    }
}
