//! The composer slice: the prompt form, its draft (saved a moment after each change), the
//! images being checked, and why files were refused. Its state is private and its methods keep
//! the form's rules: at most three images, each once; nothing typed or attached is lost to a
//! draft that arrives late, to a submission that could not be recorded, or to a cancelled
//! check. It spawns nothing: what it needs done comes back as [`Effect`]s. Plain data, tested
//! without a window.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::effect::{Effect, Task};
use super::tasks::{AttachProblem, ComposerEvent, DraftProblem};
use crate::api::MAX_IMAGES;
use crate::attachments::ImageRef;
use crate::draft::Draft;
use crate::jobs::JobSpec;
use crate::ui::messages::MessageList;
use crate::ui::prompt::PromptView;
use crate::ui::{Intent, Message};

/// How the draft waits after the last change before it is written.
const DRAFT_SAVE_DELAY: Duration = Duration::from_millis(400);

/// The composer.
#[derive(Debug, Default)]
pub(super) struct Composer {
    /// What the form holds.
    draft: Draft,
    /// The stored draft has arrived (Generate waits for it).
    loaded: bool,
    /// When the draft last changed, until it is saved.
    changed_at: Option<Instant>,
    /// Images being checked on background tasks.
    checking_images: usize,
    /// Which checks count: a cancel moves on to the next batch, and answers of an earlier
    /// batch are dropped when they come.
    check_batch: u64,
    /// Why files were not attached.
    messages: MessageList,
}

/// What the form shows that the composer does not own.
pub(super) struct ComposerView<'a> {
    /// Thumbnails of images by SHA-256.
    pub thumbnails: &'a HashMap<String, egui::TextureHandle>,
    /// The title of the job the prompt follows up, if it does.
    pub follow_up_title: Option<String>,
    /// A connection is there to send a job on.
    pub can_submit: bool,
}

impl Composer {
    /// The form: the prompt, choices and images (Generate is drawn by [`Self::generate_ui`]).
    pub fn ui(&mut self, ui: &mut egui::Ui, view: &ComposerView<'_>) -> Vec<Effect> {
        let prompt_view = prompt_view(self.loaded, self.checking_images, &self.messages, view);
        let out = crate::ui::prompt::prompt_ui(ui, &mut self.draft, &prompt_view);
        self.applied(out)
    }

    /// Generate and why it cannot be pressed, pinned under the form.
    pub fn generate_ui(&mut self, ui: &mut egui::Ui, view: &ComposerView<'_>) -> Vec<Effect> {
        let prompt_view = prompt_view(self.loaded, self.checking_images, &self.messages, view);
        let out = crate::ui::prompt::generate_ui(ui, &self.draft, &prompt_view);
        self.applied(out)
    }

    fn applied(&mut self, out: crate::ui::prompt::PromptOutput) -> Vec<Effect> {
        if out.changed {
            self.changed();
        }
        out.intents
            .into_iter()
            .flat_map(|intent| self.act(intent))
            .collect()
    }

    /// What the form's controls asked for.
    fn act(&mut self, intent: Intent) -> Vec<Effect> {
        match intent {
            Intent::PickImages => vec![Effect::Run(Task::PickImages)],
            Intent::PasteImage if self.room_for_images() > 0 => {
                let batch = self.start_checks(1);
                vec![Effect::Run(Task::AttachClipboard { batch })]
            }
            Intent::CancelImageChecks => {
                self.cancel_checks();
                Vec::new()
            }
            Intent::RemoveImage(index) if index < self.draft.images.len() => {
                self.draft.images.remove(index);
                self.changed();
                Vec::new()
            }
            Intent::MoveImageUp(index) if index > 0 && index < self.draft.images.len() => {
                self.draft.images.swap(index - 1, index);
                self.changed();
                Vec::new()
            }
            Intent::DetachFollowUp => {
                self.draft.follow_up_of = None;
                self.changed();
                Vec::new()
            }
            Intent::DismissMessage(index) => {
                self.messages.dismiss(index);
                Vec::new()
            }
            Intent::Generate => self.submit(),
            _ => Vec::new(),
        }
    }

    /// Generate: the draft as a job, and the form fresh for the next one (keeping the
    /// choices). The job holds the prompt and images from then on ("Edit and re-run" brings
    /// them back). Nothing while the draft is still arriving, images are being checked, or
    /// the draft breaks a rule of the API.
    pub fn submit(&mut self) -> Vec<Effect> {
        if !self.loaded || self.checking_images > 0 || self.draft.problem().is_some() {
            return Vec::new();
        }
        let spec = self.draft.clone();
        self.draft.follow_up_of = None;
        self.draft.prompt.clear();
        self.draft.images.clear();
        self.messages.clear();
        self.changed();
        vec![Effect::Submit(spec)]
    }

    /// What the form's background work reported.
    pub fn apply(&mut self, event: ComposerEvent) -> Vec<Effect> {
        match event {
            ComposerEvent::DraftLoaded {
                draft,
                thumbnails,
                problems,
            } => {
                self.restore(draft, problems);
                thumbnails
                    .into_iter()
                    .map(|(sha, image)| Effect::Thumbnail(sha, image))
                    .collect()
            }
            ComposerEvent::Attached { batch, result } if self.check_ended(batch) => match result {
                Ok(attached) => {
                    let sha = attached.image.sha256.clone();
                    match (self.attach(attached.image), attached.thumbnail) {
                        (true, Some(thumbnail)) => vec![Effect::Thumbnail(sha, thumbnail)],
                        _ => Vec::new(),
                    }
                }
                Err(problem) => {
                    self.messages.push(attach_problem_message(&problem));
                    Vec::new()
                }
            },
            // The paste's own place is taken by the files it found.
            ComposerEvent::PastedFiles { batch, paths } if self.check_ended(batch) => {
                vec![Effect::Open(paths)]
            }
            ComposerEvent::Attached { .. } | ComposerEvent::PastedFiles { .. } => Vec::new(),
        }
    }

    /// Image files to check and attach, as many as there is room for (the rest are named).
    pub fn attach_paths(&mut self, mut paths: Vec<PathBuf>) -> Vec<Effect> {
        if paths.is_empty() {
            return Vec::new();
        }
        let room = self.room_for_images();
        if paths.len() > room {
            self.messages.push(Message::error(
                format!(
                    "{} of the files were not attached: a job takes at most {MAX_IMAGES} images.",
                    paths.len() - room
                ),
                "Remove an image to make room, then add the others.",
            ));
            paths.truncate(room);
        }
        if paths.is_empty() {
            return Vec::new();
        }
        let batch = self.start_checks(paths.len());
        vec![Effect::Run(Task::AttachFiles { paths, batch })]
    }

    /// Edit and re-run: a job's prompt and choices into the form; its images come back as
    /// they are checked again (a kept copy may have gone).
    pub fn edit(&mut self, mut spec: JobSpec) -> Vec<Effect> {
        let images = std::mem::take(&mut spec.images);
        self.draft = spec;
        self.changed();
        if images.is_empty() {
            return Vec::new();
        }
        let batch = self.start_checks(images.len());
        vec![Effect::Run(Task::ReloadImages { images, batch })]
    }

    /// A follow-up idea of job `parent_id` into the form, after that job's prompt.
    pub fn follow_up(&mut self, parent_id: String, parent: &JobSpec, suggestion: &str) {
        self.draft.prompt = format!("{}\n\n{suggestion}", parent.prompt.trim_end());
        self.draft.follow_up_of = Some(parent_id);
        self.draft.mode = parent.mode;
        self.draft.format = parent.format;
        self.changed();
    }

    /// A background task died: the form stops waiting for what it would have said.
    pub fn task_panicked(&mut self) {
        self.loaded = true;
        self.cancel_checks();
    }

    /// The draft to write, once it has been still for a moment; else how long until it is
    /// due (the window wakes then).
    pub fn save_when_due(&mut self, now: Instant) -> Result<Vec<Effect>, Duration> {
        let Some(changed) = self.changed_at.filter(|_| self.loaded) else {
            return Ok(Vec::new());
        };
        let due = changed + DRAFT_SAVE_DELAY;
        if now < due {
            return Err(due - now);
        }
        self.changed_at = None;
        Ok(vec![Effect::Run(Task::SaveDraft(self.draft.clone()))])
    }

    /// The job the prompt follows up, by id.
    pub fn follow_up_of(&self) -> Option<&str> {
        self.draft.follow_up_of.as_deref()
    }

    /// Why files were not attached (for diagnostics).
    pub fn messages(&self) -> &MessageList {
        &self.messages
    }

    /// Images that can still be added, counting those being checked.
    pub fn room_for_images(&self) -> usize {
        MAX_IMAGES.saturating_sub(self.draft.images.len() + self.checking_images)
    }

    /// A job that could not be recorded goes back into the form without losing what was
    /// typed or attached since Generate: its prompt first, the newer text after it; its
    /// images join the newer ones (up to the limit; one taken out is said).
    pub fn restore_unsent(&mut self, spec: JobSpec) {
        if self.draft.follow_up_of.is_none() {
            self.draft.follow_up_of = spec.follow_up_of.clone();
        }
        let typed = std::mem::take(&mut self.draft.prompt);
        self.draft.prompt = if typed.trim().is_empty() {
            spec.prompt
        } else {
            format!("{}\n\n{typed}", spec.prompt)
        };
        if self.draft.images.is_empty() {
            self.draft.mode = spec.mode;
            self.draft.format = spec.format;
        }
        let newer = std::mem::replace(&mut self.draft.images, spec.images);
        for image in newer {
            if self.has(&image) {
                continue;
            }
            if self.draft.images.len() >= MAX_IMAGES {
                self.messages.push(Message::error(
                    format!(
                        "{} was taken out of the form to make room for the unsent job's images.",
                        image.path.file_name().unwrap_or_default().to_string_lossy()
                    ),
                    "Add it again if you still want it.",
                ));
                continue;
            }
            self.draft.images.push(image);
        }
        self.changed();
    }

    /// The draft changed: save it soon.
    fn changed(&mut self) {
        self.changed_at = Some(Instant::now());
    }

    /// `count` images start being checked; their answers carry the batch returned.
    fn start_checks(&mut self, count: usize) -> u64 {
        self.checking_images += count;
        self.check_batch
    }

    /// The user stopped the checks under way (a file on a stalled network drive, say): the
    /// form is free again, and what those checks find later is dropped.
    fn cancel_checks(&mut self) {
        self.checking_images = 0;
        self.check_batch += 1;
    }

    /// An answer of a check of `batch` came: whether it still counts (it ends one check).
    fn check_ended(&mut self, batch: u64) -> bool {
        if batch != self.check_batch {
            return false;
        }
        self.checking_images = self.checking_images.saturating_sub(1);
        true
    }

    /// The stored draft arrived. Anything typed before it wins over the stored text; its
    /// images join the form's (up to the limit).
    fn restore(&mut self, stored: Draft, problems: Vec<DraftProblem>) {
        if self.changed_at.is_none() {
            self.draft = stored;
        } else {
            for image in stored.images {
                if self.draft.images.len() < MAX_IMAGES && !self.has(&image) {
                    self.draft.images.push(image);
                }
            }
        }
        for problem in problems {
            self.messages.push(match problem {
                DraftProblem::Unreadable(e) => Message::error(
                    format!("{e}."),
                    "The form starts empty; the old draft was kept beside it.",
                ),
                DraftProblem::ImageGone(path) => Message::error(
                    format!(
                        "An image of your draft ({}) is no longer readable.",
                        path.display()
                    ),
                    "Attach it again.",
                ),
            });
        }
        self.loaded = true;
    }

    /// A checked image arrives: attached unless the form is full or has it already (then
    /// the form says so). Whether it was attached.
    fn attach(&mut self, image: ImageRef) -> bool {
        if self.draft.images.len() >= MAX_IMAGES {
            self.messages.push(Message::error(
                format!("A job takes at most {MAX_IMAGES} images."),
                "Remove one to add another.",
            ));
            false
        } else if self.has(&image) {
            self.messages
                .push(Message::info("That image is already attached."));
            false
        } else {
            self.draft.images.push(image);
            self.changed();
            true
        }
    }

    fn has(&self, image: &ImageRef) -> bool {
        self.draft.images.iter().any(|i| i.sha256 == image.sha256)
    }
}

/// What the form's drawing needs: the composer's state it shows, and the window's.
fn prompt_view<'a>(
    loaded: bool,
    checking: usize,
    messages: &'a MessageList,
    view: &'a ComposerView<'_>,
) -> PromptView<'a> {
    let blocked = if !loaded {
        Some("Restoring your draft…")
    } else if !view.can_submit {
        Some("Connect to the API (or start the demo) to generate.")
    } else {
        None
    };
    PromptView {
        thumbnails: view.thumbnails,
        checking,
        attachment_messages: messages,
        blocked,
        follow_up_of: view.follow_up_title.clone(),
    }
}

/// Why an image was not attached, in the form's words: what happened, then what to do.
fn attach_problem_message(problem: &AttachProblem) -> Message {
    match problem {
        AttachProblem::Refused(e) => Message::error(format!("{e}."), e.action()),
        AttachProblem::NotKept { name, reason } => Message::error(
            format!("{name} could not be copied into the app's folder: {reason}."),
            "Check the disk has space.",
        ),
        AttachProblem::Changed(path) => Message::error(
            format!("{} changed since the job was made.", path.display()),
            "Attach the image again.",
        ),
        AttachProblem::NothingToPaste => Message::error(
            "There is no image or file on the clipboard.",
            "Copy an image (in an image viewer or browser) or an image file (in the file \
             manager) first, then press Paste.",
        ),
        AttachProblem::ClipboardUnavailable => Message::error(
            "The clipboard could not be read.",
            "Save the image to a file and drop it on the window.",
        ),
    }
}

#[cfg(test)]
mod tests;
