//! What a job asks for: the prompt, its images, the design mode, the output format and the
//! job it follows up. One type for the form's draft, the recorded job and the request built
//! from it, checked in one place ([`JobSpec::problem`]).

use serde::{Deserialize, Serialize};

use crate::api::{DesignMode, OutputFormat, request_problem};
use crate::attachments::ImageRef;

/// A job's request, as the form holds it and the history keeps it (flattened into both, so
/// their stored JSON is as it was).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobSpec {
    /// The prompt text.
    pub prompt: String,
    /// Design mode.
    pub mode: DesignMode,
    /// Output format; STEP by default, as the API: the exact solid, and it previews here too.
    pub format: OutputFormat,
    /// Attached images (checked, kept copies), in the order they are sent.
    pub images: Vec<ImageRef>,
    /// The job whose follow-up idea started this prompt, by id (shown on the new job's card).
    pub follow_up_of: Option<String>,
}

impl Default for JobSpec {
    fn default() -> Self {
        Self {
            prompt: String::new(),
            mode: DesignMode::Standard,
            format: OutputFormat::Step,
            images: Vec::new(),
            follow_up_of: None,
        }
    }
}

impl JobSpec {
    /// Why it cannot be sent as it is, as a sentence, or `None`: the contract's limits on the
    /// prompt, the images and the mode (the same rules the request is held to).
    pub fn problem(&self) -> Option<String> {
        let names: Vec<String> = self
            .images
            .iter()
            .map(|i| {
                i.path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            })
            .collect();
        let images: Vec<(&str, u64)> = names
            .iter()
            .zip(&self.images)
            .map(|(name, image)| (name.as_str(), image.bytes))
            .collect();
        request_problem(&self.prompt, self.mode, &images).map(|p| format!("{p}."))
    }

    /// The prompt as sent: the user's text, then which view each labelled image shows (the
    /// contract's advice for several views: "say which view is which in `prompt`").
    pub fn prompt_to_send(&self) -> String {
        super::compose_prompt(&self.prompt, &self.images)
    }
}
