//! The About window: the theme, and diagnostics a user pastes into a bug report (versions,
//! system, GL, paths, recent errors; never the key or a prompt).

use super::MakistryApp;

impl MakistryApp {
    /// Keeps the errors that appeared since `shown` (message counts) for diagnostics.
    pub(super) fn remember_errors(&mut self, (messages, attachments): (u64, u64)) {
        let now = chrono::Local::now().format("%H:%M:%S");
        let new = self
            .messages
            .newest_since(messages)
            .chain(self.composer.messages().newest_since(attachments))
            .filter(|m| m.is_error)
            .map(|m| format!("{now} {} {}", m.sentence, m.action))
            .collect::<Vec<_>>();
        self.chrome.recent_errors.extend(new);
        let excess = self.chrome.recent_errors.len().saturating_sub(20);
        self.chrome.recent_errors.drain(..excess);
    }

    /// What a user pastes into a bug report: versions, system, GL, paths, recent errors. The
    /// key appears only as `…last4`.
    pub(super) fn diagnostics(&self) -> String {
        let connection = match self.connection() {
            Some(c) if c.demo.is_some() => format!("offline demo at {}", c.base_url),
            Some(c) => format!("{} with key {}", c.base_url, c.key_preview),
            None => "not connected".into(),
        };
        let mut out = format!(
            "Makistry Desktop {}\nSystem: {} {} ({})\nOpenGL: {}\nAPI: {connection}\n\
             Data: {}\nLogs: {}\nJobs: {} ({} running)\n",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH,
            std::env::consts::FAMILY,
            self.chrome.gl_renderer,
            self.config.data_dir.display(),
            self.config.log_dir.as_ref().map_or_else(
                || "(standard error only)".into(),
                |d| d.display().to_string()
            ),
            self.jobs.len(),
            self.jobs.running_count(),
        );
        out.push_str("Recent errors:\n");
        if self.chrome.recent_errors.is_empty() {
            out.push_str("  none\n");
        }
        for error in &self.chrome.recent_errors {
            out.push_str(&format!("  {error}\n"));
        }
        out
    }

    pub(super) fn about_ui(&mut self, ctx: &egui::Context) {
        let mut open = self.chrome.about_open;
        let text = self.diagnostics();
        egui::Window::new("About Makistry Desktop")
            .open(&mut open)
            .collapsible(false)
            .resizable(true)
            .default_width(520.0)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    ui.label("Appearance:");
                    let mut theme = ui.ctx().options(|o| o.theme_preference);
                    for (choice, label) in [
                        (egui::ThemePreference::System, "As the system"),
                        (egui::ThemePreference::Light, "Light"),
                        (egui::ThemePreference::Dark, "Dark"),
                    ] {
                        if ui.selectable_value(&mut theme, choice, label).clicked() {
                            ui.ctx().set_theme(theme);
                        }
                    }
                });
                ui.separator();
                ui.label("Paste this into a bug report; it holds no key or prompt.");
                let mut shown = text.as_str();
                let label = ui.label("Diagnostics");
                ui.add(
                    egui::TextEdit::multiline(&mut shown)
                        .font(egui::TextStyle::Monospace)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
                if ui.button("Copy diagnostics").clicked() {
                    ui.ctx().copy_text(text.clone());
                }
            });
        self.chrome.about_open = open;
    }
}
