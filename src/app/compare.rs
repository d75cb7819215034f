//! Comparing two parts: which comparison the centre shows, what it is offered with (the
//! job's other versions, then recent jobs, or a file), and its view (see `ui::compare`).

use std::path::PathBuf;

use super::effect::{Effect, Task};
use super::{MakistryApp, Selection};
use crate::jobs::JobRecord;
use crate::ui::{self, CompareWith};

/// Recent finished jobs the "Compare with…" menu offers besides the versions.
const RECENT_TO_COMPARE: usize = 8;

impl MakistryApp {
    /// Shows `job` beside another job, or asks for a file to show it beside.
    pub(super) fn compare(&mut self, job: String, with: CompareWith) {
        match with {
            CompareWith::Job(other) => {
                self.show_compared(Selection::Job(job), Selection::Job(other))
            }
            CompareWith::File => self.run_effects(vec![Effect::Run(Task::PickModel {
                to_compare_with: Some(job),
            })]),
        }
    }

    /// The file picked to compare with `job`.
    pub(super) fn compare_with_file(&mut self, job: String, file: PathBuf) {
        self.show_compared(Selection::Job(job), Selection::File(file));
    }

    fn show_compared(&mut self, first: Selection, second: Selection) {
        self.preview.compare(first, second);
        self.load_selected_model();
    }

    /// What the menu offers to compare `job` with: its other versions (oldest first), then
    /// the most recent other finished jobs.
    pub(super) fn compare_candidates(&self, job: &JobRecord) -> Vec<(String, String)> {
        if !job.phase.is_done() {
            return Vec::new();
        }
        let versions = self.jobs.versions(&job.id);
        let mut offered: Vec<(String, String)> = (versions.iter())
            .filter(|v| v.job.id != job.id && v.job.phase.is_done())
            .map(|v| {
                let title = ui::jobs::job_title(v.job);
                (v.job.id.clone(), format!("v{}: {title}", v.number))
            })
            .collect();
        let recent = (self.jobs.newest())
            .filter(|j| j.phase.is_done() && j.id != job.id)
            .filter(|j| !offered.iter().any(|(id, _)| *id == j.id))
            .take(RECENT_TO_COMPARE)
            .map(|j| {
                let when = j.created_at.with_timezone(&chrono::Local).format("%b %e");
                (j.id.clone(), format!("{} · {when}", ui::jobs::job_title(j)))
            })
            .collect::<Vec<_>>();
        offered.extend(recent);
        offered
    }

    /// The two sides of a comparison, named, each with its file once there is one.
    pub(super) fn compared_sides(&self, sides: &[Selection; 2]) -> [(String, Option<PathBuf>); 2] {
        let side = |selection: &Selection| -> (String, Option<PathBuf>) {
            match selection {
                Selection::Job(id) => match self.jobs.get(id) {
                    Some(job) => {
                        let versions = self.jobs.versions(id);
                        let title = ui::jobs::job_title(job);
                        let title = match versions.iter().find(|v| v.job.id == *id) {
                            Some(v) if versions.len() > 1 => format!("v{}: {title}", v.number),
                            _ => title,
                        };
                        (title, ui::result::job_file(job))
                    }
                    None => ("A job no longer in the history".into(), None),
                },
                Selection::File(path) => (
                    path.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned(),
                    Some(path.clone()),
                ),
                Selection::Compare(_) => (String::new(), None),
            }
        };
        [side(&sides[0]), side(&sides[1])]
    }
}
