//! What a job asks for: the prompt, its images, the design mode, the output format and the
//! job it follows up. One type for the form's draft, the recorded job and the request built
//! from it, checked in one place ([`JobSpec::problem`]).

use serde::{Deserialize, Serialize};

use crate::api::{DesignMode, OutputFormat, clean_prompt, request_problem};
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
        compose_prompt(&self.prompt, &self.images)
    }
}

/// The user's prompt followed by one line naming the labelled images' views, e.g.
/// "Image 1 is the front view; image 2 is the right side view."
pub fn compose_prompt(prompt: &str, images: &[ImageRef]) -> String {
    let prompt = &clean_prompt(prompt);
    let views: Vec<String> = images
        .iter()
        .enumerate()
        .filter_map(|(i, image)| {
            let label = image.label.as_deref()?.trim();
            if label.is_empty() {
                return None;
            }
            let view = if label.to_lowercase().ends_with("view") {
                label.to_string()
            } else {
                format!("{label} view")
            };
            Some(format!("image {} is the {view}", i + 1))
        })
        .collect();
    if views.is_empty() {
        return prompt.to_string();
    }
    let mut hint = views.join("; ");
    hint[..1].make_ascii_uppercase();
    let prompt = prompt.trim_end();
    if prompt.is_empty() {
        format!("{hint}.")
    } else {
        format!("{prompt}\n\n{hint}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn view_labels_are_told_to_the_api_in_the_prompt() {
        let image = |label: Option<&str>| ImageRef {
            path: PathBuf::from("x.png"),
            sha256: String::new(),
            bytes: 1,
            mime: "image/png".into(),
            label: label.map(String::from),
        };
        assert_eq!(compose_prompt("a bracket", &[image(None)]), "a bracket");
        assert_eq!(
            compose_prompt(
                "a bracket ",
                &[
                    image(Some("front")),
                    image(Some(" ")),
                    image(Some("right side view"))
                ]
            ),
            "a bracket\n\nImage 1 is the front view; image 3 is the right side view."
        );
        assert_eq!(
            compose_prompt("", &[image(Some("top"))]),
            "Image 1 is the top view."
        );
    }
}
