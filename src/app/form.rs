//! The prompt form's state: the draft, whether the stored one has arrived, when it last
//! changed, images being checked, and why files were refused. Its methods keep the form's
//! rules: at most three images, each once; nothing typed or attached is lost to a draft that
//! arrives late or to a submission that could not be recorded. Plain data: tested without a
//! window.

use std::time::Instant;

use crate::api::MAX_IMAGES;
use crate::attachments::ImageRef;
use crate::draft::Draft;
use crate::jobs::JobRecord;
use crate::ui::Message;
use crate::ui::messages::MessageList;

/// The form.
#[derive(Debug, Default)]
pub(super) struct Form {
    /// What the form holds.
    pub draft: Draft,
    /// The stored draft has arrived (Generate waits for it).
    pub loaded: bool,
    /// When the draft last changed, until it is saved.
    pub changed_at: Option<Instant>,
    /// Images being checked on background tasks.
    checking_images: usize,
    /// Which checks count: a cancel moves on to the next batch, and answers of an earlier
    /// batch are dropped when they come.
    check_batch: u64,
    /// Why files were not attached.
    pub messages: MessageList,
}

impl Form {
    /// The draft changed: save it soon.
    pub fn changed(&mut self) {
        self.changed_at = Some(Instant::now());
    }

    /// `count` images start being checked; their answers carry the batch returned.
    pub fn start_checks(&mut self, count: usize) -> u64 {
        self.checking_images += count;
        self.check_batch
    }

    /// Images being checked now.
    pub fn checking(&self) -> usize {
        self.checking_images
    }

    /// The user stopped the checks under way (a file on a stalled network drive, say): the
    /// form is free again, and what those checks find later is dropped.
    pub fn cancel_checks(&mut self) {
        self.checking_images = 0;
        self.check_batch += 1;
    }

    /// An answer of a check of `batch` came: whether it still counts (it ends one check).
    pub fn check_ended(&mut self, batch: u64) -> bool {
        if batch != self.check_batch {
            return false;
        }
        self.checking_images = self.checking_images.saturating_sub(1);
        true
    }

    /// Images that can still be added, counting those being checked.
    pub fn room_for_images(&self) -> usize {
        MAX_IMAGES.saturating_sub(self.draft.images.len() + self.checking_images)
    }

    /// The stored draft arrived. Anything typed before it wins over the stored text; its
    /// images join the form's (up to the limit).
    pub fn restore(&mut self, stored: Draft, problems: Vec<Message>) {
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
            self.messages.push(problem);
        }
        self.loaded = true;
    }

    /// A checked image arrives: attached unless the form is full or has it already (then
    /// the form says so). Whether it was attached.
    pub fn attach(&mut self, image: ImageRef) -> bool {
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

    /// A job that could not be recorded goes back into the form without losing what was
    /// typed or attached since Generate: its prompt first, the newer text after it; its
    /// images join the newer ones (up to the limit; one taken out is said).
    pub fn restore_unsent(&mut self, job: JobRecord) {
        if self.draft.follow_up_of.is_none() {
            self.draft.follow_up_of = job.spec.follow_up_of.clone();
        }
        let typed = std::mem::take(&mut self.draft.prompt);
        self.draft.prompt = if typed.trim().is_empty() {
            job.spec.prompt
        } else {
            format!("{}\n\n{typed}", job.spec.prompt)
        };
        if self.draft.images.is_empty() {
            self.draft.mode = job.spec.mode;
            self.draft.format = job.spec.format;
        }
        let newer = std::mem::replace(&mut self.draft.images, job.spec.images);
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

    fn has(&self, image: &ImageRef) -> bool {
        self.draft.images.iter().any(|i| i.sha256 == image.sha256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{DesignMode, OutputFormat};

    fn image(sha: &str) -> ImageRef {
        ImageRef {
            path: format!("/kept/{sha}.png").into(),
            sha256: sha.into(),
            bytes: 10,
            mime: "image/png".into(),
            label: None,
        }
    }

    #[test]
    fn a_form_takes_three_images_each_once() {
        let mut form = Form::default();
        let batch = form.start_checks(5);
        let answer =
            |form: &mut Form, sha: &str| form.check_ended(batch) && form.attach(image(sha));
        assert!(answer(&mut form, "a"));
        assert!(!answer(&mut form, "a"), "the same image twice");
        assert!(answer(&mut form, "b"));
        assert!(answer(&mut form, "c"));
        assert!(!answer(&mut form, "d"), "a fourth");
        assert_eq!(form.draft.images.len(), 3);
        assert_eq!(form.checking(), 0, "every answer ends a check");
        assert_eq!(form.room_for_images(), 0);
        assert_eq!(form.messages.iter().count(), 2);
    }

    #[test]
    fn a_cancelled_check_frees_the_form_and_its_late_answer_is_dropped() {
        let mut form = Form::default();
        let stalled = form.start_checks(1);
        form.cancel_checks();
        assert_eq!((form.checking(), form.room_for_images()), (0, MAX_IMAGES));
        let next = form.start_checks(1);
        assert!(!form.check_ended(stalled), "the cancelled check's answer");
        assert_eq!(form.checking(), 1, "the new check still counts");
        assert!(form.check_ended(next));
        assert_eq!(form.checking(), 0);
    }

    #[test]
    fn a_late_draft_does_not_replace_what_was_typed() {
        let mut form = Form::default();
        form.draft.prompt = "typed first".into();
        form.changed();
        let stored = Draft {
            prompt: "stored".into(),
            images: vec![image("a")],
            ..Draft::default()
        };
        form.restore(stored.clone(), vec![]);
        assert_eq!(form.draft.prompt, "typed first");
        assert_eq!(form.draft.images, vec![image("a")]);
        assert!(form.loaded);

        let mut untouched = Form::default();
        untouched.restore(stored.clone(), vec![]);
        assert_eq!(untouched.draft, stored);
    }

    #[test]
    fn an_unsent_job_comes_back_before_what_was_typed_since() {
        let mut form = Form::default();
        form.draft.prompt = "a newer idea".into();
        form.draft.images = vec![image("n1"), image("n2")];
        let job = JobRecord::new(
            "the unsent job".into(),
            vec![image("j1"), image("j2"), image("n1")],
            DesignMode::Assembly,
            OutputFormat::Stl,
            chrono::Utc::now(),
        );
        form.restore_unsent(job);
        assert_eq!(form.draft.prompt, "the unsent job\n\na newer idea");
        let shas: Vec<_> = form
            .draft
            .images
            .iter()
            .map(|i| i.sha256.as_str())
            .collect();
        assert_eq!(
            shas,
            ["j1", "j2", "n1"],
            "the job's images first, no duplicate"
        );
        assert_eq!(form.messages.iter().count(), 1, "n2 taken out, and said");
        assert_eq!(form.draft.mode, DesignMode::Standard, "newer choices kept");
    }
}
