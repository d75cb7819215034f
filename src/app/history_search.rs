//! The history's search as the jobs panel holds it: the text typed, which answer counts (each
//! change asks again; an answer to older text is dropped), and the jobs found. The search runs
//! on the history's own index in the background ([`Task::SearchHistory`]); until its answer
//! comes, the last results stay on screen rather than flicker.

use std::collections::HashSet;

use super::effect::Task;

/// The search.
#[derive(Debug, Default)]
pub(super) struct HistorySearch {
    text: String,
    /// Counts the changes: only the answer to the latest one is shown.
    generation: u64,
    /// The ids found for the latest answered text; `None`: no search, every job shows.
    found: Option<HashSet<String>>,
}

impl HistorySearch {
    /// The text, for the search box to edit.
    pub fn text_mut(&mut self) -> &mut String {
        &mut self.text
    }

    /// The text changed: the search to run, if any (an empty box shows every job at once).
    pub fn changed(&mut self) -> Option<Task> {
        self.generation += 1;
        if self
            .text
            .split(|c: char| !c.is_alphanumeric())
            .all(str::is_empty)
        {
            self.found = None;
            return None;
        }
        Some(self.task())
    }

    /// The search again (the history changed), if one is shown.
    pub fn refreshed(&mut self) -> Option<Task> {
        self.found.is_some().then(|| {
            self.generation += 1;
            self.task()
        })
    }

    fn task(&self) -> Task {
        Task::SearchHistory {
            text: self.text.clone(),
            generation: self.generation,
        }
    }

    /// An answer came: shown if it answers the latest text (`None`: every job).
    pub fn answered(&mut self, generation: u64, ids: Option<Vec<String>>) {
        if generation == self.generation {
            self.found = ids.map(|ids| ids.into_iter().collect());
        }
    }

    /// Whether the job shows in the list.
    pub fn shows(&self, id: &str) -> bool {
        self.found.as_ref().is_none_or(|found| found.contains(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_answer_to_the_latest_text_is_shown() {
        let mut search = HistorySearch::default();
        *search.text_mut() = "len".into();
        let Some(Task::SearchHistory {
            generation: first, ..
        }) = search.changed()
        else {
            panic!("a search");
        };
        *search.text_mut() = "lens".into();
        let Some(Task::SearchHistory {
            generation: latest,
            text,
        }) = search.changed()
        else {
            panic!("a search");
        };
        assert_eq!(text, "lens");
        search.answered(latest, Some(vec!["cap".into()]));
        search.answered(first, Some(vec!["cap".into(), "lens-hood".into()]));
        assert!(
            search.shows("cap") && !search.shows("lens-hood"),
            "the late answer dropped"
        );
        assert!(
            search.refreshed().is_some(),
            "a shown search is asked again"
        );

        *search.text_mut() = " - ".into();
        assert!(search.changed().is_none(), "no word: no search");
        assert!(search.shows("lens-hood"), "every job shows");
        assert!(search.refreshed().is_none());
    }
}
