//! The window driver the kittest modules share: one user's machine (an emulator standing in
//! for the API, a keychain in keyring's in-memory store, a data directory), the window on it,
//! and steps that act and look as a user does (type, click, drop files, wait for text).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use makistry::app::{AppConfig, MakistryApp};
use makistry::emulator::{Emulator, EmulatorConfig, Timing};
use makistry::keychain::Keychain;

/// How long a step-until waits before failing the test with what the window shows.
const PATIENCE: Duration = Duration::from_secs(30);

/// A drop of a file from the file manager.
#[derive(Debug)]
pub(crate) struct DroppedPath(PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// One user's machine: an emulator standing in for the API, a keychain, a data directory.
pub(crate) struct Machine {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) emulator: Emulator,
    pub(crate) keychain: Keychain,
    pub(crate) data: tempfile::TempDir,
    pub(crate) files: tempfile::TempDir,
}

impl Machine {
    pub(crate) fn new() -> Self {
        Self::with_api(EmulatorConfig::default())
    }

    /// A machine whose API is an emulator with `config` (jobs take 0.4 s).
    pub(crate) fn with_api(config: EmulatorConfig) -> Self {
        let runtime = makistry::background_runtime().unwrap();
        let emulator = runtime
            .block_on(Emulator::start_with(EmulatorConfig {
                timing: Timing::Fixed {
                    queued: Duration::from_millis(100),
                    processing: Duration::from_millis(300),
                },
                ..config
            }))
            .unwrap();
        Self {
            runtime,
            emulator,
            keychain: Keychain::with_store(keyring_core::mock::Store::new().unwrap()),
            data: tempfile::tempdir().unwrap(),
            files: tempfile::tempdir().unwrap(),
        }
    }

    pub(crate) fn config(&self) -> AppConfig {
        AppConfig {
            runtime: self.runtime.handle().clone(),
            data_dir: self.data.path().to_path_buf(),
            keychain: makistry::app::tasks::KeychainChoice::Given(self.keychain.clone()),
            base_url: self.emulator.base_url(),
            demo: false,
            open_file: None,
            demo_timing: Timing::Fixed {
                queued: Duration::from_millis(100),
                processing: Duration::from_millis(300),
            },
            // Polls every 100 ms instead of 5 s.
            time_scale: 0.02,
            notifications: false,
            started: Instant::now(),
            log_dir: None,
        }
    }

    /// Starts the window app (as a double-click would).
    pub(crate) fn open(&self) -> Harness<'static, MakistryApp> {
        let config = self.config();
        Harness::builder()
            .with_size(egui::vec2(1280.0, 1000.0))
            .build_eframe(move |cc| MakistryApp::new(cc, config))
    }

    /// Where the app keeps its data (history, draft, kept images).
    pub(crate) fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// A file in the user's folders.
    pub(crate) fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.files.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

/// Every label in the window, to say what was on screen when a wait failed.
pub(crate) fn screen_text(harness: &Harness<'_, MakistryApp>) -> String {
    harness
        .query_all(egui_kittest::kittest::By::new())
        .filter_map(|node| {
            // Plain labels keep their text as the node's value (and again in text runs).
            let node = node.accesskit_node();
            let run = node.role() == accesskit::Role::TextRun;
            (!run)
                .then(|| node.label().or_else(|| node.value()))
                .flatten()
        })
        .filter(|label| !label.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Steps the window (in real time: background tasks do real IO) until `done` holds.
pub(crate) fn step_until(
    harness: &mut Harness<'_, MakistryApp>,
    what: &str,
    done: impl Fn(&Harness<'_, MakistryApp>) -> bool,
) {
    let start = Instant::now();
    loop {
        harness.step();
        if done(harness) {
            return;
        }
        if start.elapsed() > PATIENCE {
            panic!(
                "waited {PATIENCE:?} for {what}; the window shows: {}",
                screen_text(harness)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) fn shows(harness: &Harness<'_, MakistryApp>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

/// The text field labelled `label`.
pub(crate) fn field<'h>(
    harness: &'h Harness<'_, MakistryApp>,
    label: &'h str,
) -> egui_kittest::Node<'h> {
    harness
        .query_all_by_label(label)
        .find(|node| {
            matches!(
                node.accesskit_node().role(),
                accesskit::Role::TextInput
                    | accesskit::Role::MultilineTextInput
                    | accesskit::Role::PasswordInput
            )
        })
        .unwrap_or_else(|| panic!("no text field labelled {label:?}"))
}

pub(crate) fn wait_for_text(harness: &mut Harness<'_, MakistryApp>, text: &str) {
    step_until(harness, &format!("{text:?}"), |h| shows(h, text));
}

pub(crate) fn type_into(harness: &mut Harness<'_, MakistryApp>, label: &str, text: &str) {
    field(harness, label).focus();
    harness.step();
    field(harness, label).type_text(text);
    harness.step();
}

/// Types `prompt` into the form and submits it with Ctrl+Enter.
pub(crate) fn submit(harness: &mut Harness<'_, MakistryApp>, prompt: &str) {
    type_into(harness, "Prompt", prompt);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    harness.step();
}

pub(crate) fn click(harness: &mut Harness<'_, MakistryApp>, label: &str) {
    harness
        .get_by_role_and_label(accesskit::Role::Button, label)
        .click();
    harness.step();
}

pub(crate) fn drop_files(harness: &mut Harness<'_, MakistryApp>, paths: &[PathBuf]) {
    for path in paths {
        harness
            .input_mut()
            .dropped_files
            .push(Arc::new(DroppedPath(path.clone())));
    }
    harness.step();
}

/// Pastes the machine's key on the welcome screen and waits for the main screen.
pub(crate) fn sign_in(machine: &Machine, harness: &mut Harness<'_, MakistryApp>) {
    wait_for_text(harness, "Welcome to Makistry Desktop");
    type_into(harness, "API key", machine.emulator.api_key());
    click(harness, "Save key");
    let preview = makistry::emulator::key_preview(machine.emulator.api_key());
    wait_for_text(harness, &format!("API key {preview}"));
}
