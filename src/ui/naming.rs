//! What a job is called on screen, and the key of its picture: shared by the cards, the
//! versions strip and the result view.

use crate::jobs::JobRecord;

/// The key of a job's picture among the thumbnails (images are keyed by SHA-256).
pub fn job_thumbnail_key(job_id: &str) -> String {
    format!("{JOB_KEY}{job_id}")
}

const JOB_KEY: &str = "job:";

/// The job whose part a picture key (see [`job_thumbnail_key`]) shows, if it is a job's.
pub fn job_of_thumbnail_key(key: &str) -> Option<&str> {
    key.strip_prefix(JOB_KEY)
}

/// What a job is called in lists: its project name once the API named it, else the start of
/// its prompt.
pub fn job_title(job: &JobRecord) -> String {
    job.brainstorm()
        .map(|b| b.project_name.trim())
        .filter(|name| !name.is_empty())
        .map_or_else(|| first_line(&job.spec.prompt, 48), str::to_string)
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
