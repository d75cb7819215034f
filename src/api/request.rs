//! What a job request holds, and the one place that decides whether it may be sent: the
//! API's limits and rules that can be checked here (the form reads them before Generate, the
//! client before any request).

use bytes::Bytes;

use super::error::ApiError;
use super::{DesignMode, MAX_IMAGE_BYTES, MAX_IMAGES, MAX_PROMPT_CHARS, OutputFormat};

/// An image to send, already checked by `crate::attachments`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUpload {
    /// File name sent with the part.
    pub file_name: String,
    /// MIME type judged from the bytes.
    pub mime: &'static str,
    /// The file.
    pub bytes: Bytes,
}

/// A job to submit. With images it goes to `/image-to-cad` as multipart, otherwise to
/// `/text-to-cad` as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRequest {
    /// The prompt (optional hint for image jobs).
    pub prompt: String,
    /// Design mode.
    pub mode: DesignMode,
    /// Output format (sent explicitly: the API's default is STEP).
    pub format: OutputFormat,
    /// 0–3 images.
    pub images: Vec<ImageUpload>,
    /// Echoed back on the job.
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

impl JobRequest {
    /// The checks the API would make that can be made here, so a bad request is never sent.
    pub fn check(&self) -> Result<(), ApiError> {
        let images: Vec<(&str, u64)> = self
            .images
            .iter()
            .map(|i| (i.file_name.as_str(), i.bytes.len() as u64))
            .collect();
        match request_problem(&self.prompt, self.mode, &images) {
            Some(problem) => Err(ApiError::InvalidRequest(problem)),
            None => Ok(()),
        }
    }
}

/// Why a request the API would refuse should not be sent, in the app's words (no final
/// period): the one place these rules live, read by the form (before Generate) and by
/// [`JobRequest::check`] (before any request). `images`: each image's name and size.
pub fn request_problem(prompt: &str, mode: DesignMode, images: &[(&str, u64)]) -> Option<String> {
    let chars = prompt.chars().count();
    if chars > MAX_PROMPT_CHARS {
        return Some(format!(
            "The prompt is {} characters too long (the limit is {MAX_PROMPT_CHARS})",
            chars - MAX_PROMPT_CHARS
        ));
    }
    if images.is_empty() && prompt.trim().is_empty() {
        return Some("Describe the part, or attach an image of it".into());
    }
    if images.len() > MAX_IMAGES {
        return Some(format!(
            "{} images are attached; a job takes at most {MAX_IMAGES}",
            images.len()
        ));
    }
    if !images.is_empty() && mode == DesignMode::Pro {
        return Some("Pro mode takes text only: remove the images or pick another mode".into());
    }
    images
        .iter()
        .find(|(_, bytes)| *bytes > MAX_IMAGE_BYTES as u64)
        .map(|(name, _)| format!("{name} is larger than 10 MiB"))
}

/// The prompt as it is kept and sent: control characters (ESC, NUL, a pasted terminal
/// sequence) removed, line breaks as `\n`, tabs kept. They mean nothing to the API and could
/// drive a terminal that prints the history.
pub fn clean_prompt(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_not_kept_in_a_prompt() {
        assert_eq!(
            clean_prompt("a\u{1b}[31m box\0\r\nwith\ta hole\u{7f}"),
            "a[31m box\nwith\ta hole"
        );
    }

    #[test]
    fn the_rules_name_what_to_change() {
        let ok = request_problem("a 60 mm cap", DesignMode::Pro, &[]);
        assert_eq!(ok, None);
        let long = "x".repeat(MAX_PROMPT_CHARS + 3);
        assert_eq!(
            request_problem(&long, DesignMode::Standard, &[]).as_deref(),
            Some("The prompt is 3 characters too long (the limit is 5000)")
        );
        assert!(request_problem(" ", DesignMode::Standard, &[]).is_some());
        let image = [("front.png", 1000)];
        assert_eq!(request_problem("", DesignMode::Standard, &image), None);
        assert!(request_problem("", DesignMode::Pro, &image).is_some_and(|p| p.contains("Pro")));
        let four = [("a.png", 1), ("b.png", 1), ("c.png", 1), ("d.png", 1)];
        assert!(request_problem("", DesignMode::Standard, &four).is_some());
        let big = [("big.png", MAX_IMAGE_BYTES as u64 + 1)];
        assert_eq!(
            request_problem("", DesignMode::Standard, &big).as_deref(),
            Some("big.png is larger than 10 MiB")
        );
    }
}
