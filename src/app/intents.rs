//! What the user asked for in the window's own controls (the top bar, the key form and the
//! welcome): keys, the demo, opening a file. The panels' controls are their slices'
//! (`Composer::ui`, `JobList::ui`, `Preview::ui`), which hand back [`super::effect::Effect`]s.

use super::MakistryApp;
use super::effect::Task;
use super::tasks::{self};
use crate::keychain::parse_api_key;
use crate::ui::{Intent, Message};

impl MakistryApp {
    pub(super) fn apply_intent(&mut self, intent: Intent) {
        match intent {
            Intent::SaveKey(input) => self.save_key(&input, tasks::KeyCheck::Required),
            Intent::SaveKeyUnchecked(input) => self.save_key(&input, tasks::KeyCheck::Skipped),
            Intent::ShowKeyForm => self.screen.open_key_form(),
            Intent::CancelKeyForm => self.screen.close_key_form(),
            Intent::StopKeyCheck => self.screen.stop_key_check(),
            Intent::RemoveKey => {
                self.spawn(tasks::remove_key(
                    self.config.keychain.clone(),
                    self.report.clone(),
                ));
            }
            Intent::StartDemo => {
                self.screen.close_key_form();
                self.start_demo();
            }
            Intent::PickModelFile => {
                self.run_effects(vec![super::effect::Effect::Run(Task::PickModel {
                    to_compare_with: None,
                })])
            }
            other => tracing::debug!("not a request of the window's own controls: {other:?}"),
        }
    }

    pub(super) fn save_key(&mut self, input: &str, check: tasks::KeyCheck) {
        match parse_api_key(input) {
            Ok(key) => {
                let (stop, stopped) = tokio::sync::oneshot::channel();
                if let Some(form) = self.screen.key_form_mut() {
                    form.busy = true;
                    form.problem = None;
                    form.offer_unchecked = false;
                    form.stop_check = Some(stop);
                }
                self.spawn(tasks::save_key(
                    key,
                    (check, stopped),
                    self.config.keychain.clone(),
                    self.connect_context(),
                ));
            }
            Err(e) => {
                if let Some(form) = self.screen.key_form_mut() {
                    form.problem = Some(Message::error(
                        format!("That is not a Makistry API key: {e}."),
                        e.action(),
                    ));
                }
            }
        }
    }
}
