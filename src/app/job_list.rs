//! The jobs the window shows, with what it knows of them beyond their records: which ones a
//! worker drives now, and each one's live state (a wait, a download's progress). Its methods
//! keep the rules between the three, so no caller has to:
//! - a job is driven by at most one worker at a time (a second Retry, a resumed orphan or a
//!   reconnect never starts another);
//! - forgetting a history forgets its records and live state, but not which workers still
//!   run: they finish their step and say so, and until then none is started twice;
//! - a job another connection drives (the demo's, after a key was pasted) never joins this
//!   history.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::effect::Effect;
use super::history_search::HistorySearch;
use crate::jobs::{JobRecord, Phase};
use crate::ui::jobs::{CardHeights, JobsView, LiveJob};
use crate::ui::versions::Version;

/// The shown history, newest first, with live state and the running workers.
#[derive(Default)]
pub(super) struct JobList {
    records: Vec<JobRecord>,
    /// Each record's place in `records`, by id (a history of thousands is looked up often).
    places: HashMap<String, usize>,
    live: HashMap<String, LiveJob>,
    running: HashSet<String>,
    search: HistorySearch,
    heights: CardHeights,
}

/// What the panel shows that the list does not own.
pub(super) struct ListContext<'a> {
    /// The job in view.
    pub selected: Option<&'a str>,
    /// Image thumbnails by SHA-256.
    pub thumbnails: &'a HashMap<String, egui::TextureHandle>,
    /// How long a job takes on this connection, where not the mode's typical time.
    pub pace: Option<(Duration, Duration)>,
}

impl JobList {
    /// The jobs panel: the search box and the cards of the jobs it shows. A changed search
    /// comes back as the task to run; the cards' requests as what they ask of the app.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, context: &ListContext<'_>) -> Vec<Effect> {
        let shown: Vec<&JobRecord> = self
            .records
            .iter()
            // A job this window drives shows whatever the search (it was just started).
            .filter(|job| self.search.shows(&job.id) || self.running.contains(&job.id))
            .collect();
        let running = |id: &str| self.running.contains(id);
        let places = &self.places;
        let records = &self.records;
        let find = |id: &str| places.get(id).map(|&place| &records[place]);
        let view = JobsView {
            live: &self.live,
            selected: context.selected,
            now: chrono::Utc::now(),
            instant: Instant::now(),
            running: &running,
            thumbnails: context.thumbnails,
            find: &find,
            pace: context.pace,
        };
        let (intents, searched) =
            crate::ui::jobs::jobs_ui(ui, &shown, self.search.text_mut(), &view, &mut self.heights);
        let search = searched.then(|| self.search.changed()).flatten();
        (search.map(Effect::Run).into_iter())
            .chain(intents.into_iter().filter_map(Effect::about_jobs))
            .collect()
    }

    /// What a search found (see [`HistorySearch::answered`]).
    pub(super) fn found(&mut self, generation: u64, ids: Option<Vec<String>>) {
        self.search.answered(generation, ids);
    }

    /// The search again, where one is shown and the history changed.
    pub(super) fn search_again(&mut self) -> Option<Effect> {
        self.search.refreshed().map(Effect::Run)
    }

    /// The records, newest first.
    pub(super) fn records(&self) -> &[JobRecord] {
        &self.records
    }

    pub(super) fn get(&self, id: &str) -> Option<&JobRecord> {
        self.places.get(id).map(|&place| &self.records[place])
    }

    fn reindex(&mut self) {
        self.places = (self.records.iter().enumerate())
            .map(|(place, job)| (job.id.clone(), place))
            .collect();
    }

    /// Every version of the design `id` belongs to, oldest first: the first prompt and every
    /// follow-up of it or of its follow-ups.
    pub(super) fn versions(&self, id: &str) -> Vec<Version<'_>> {
        let Some(job) = self.get(id) else {
            return Vec::new();
        };
        let lineage = crate::ui::versions::lineage(job, |id| self.get(id));
        let root = lineage[0];
        let mut depth: HashMap<&str, usize> = HashMap::from([(root.id.as_str(), 1)]);
        let mut family = vec![Version {
            job: root,
            number: 1,
        }];
        // Records are newest first: oldest first, a follow-up comes after the job it follows.
        for job in self.records.iter().rev() {
            let parent = job.spec.follow_up_of.as_deref();
            if let Some(&number) = parent.and_then(|p| depth.get(p))
                && !depth.contains_key(job.id.as_str())
            {
                depth.insert(&job.id, number + 1);
                family.push(Version {
                    job,
                    number: number + 1,
                });
            }
        }
        family
    }

    /// Live state by job id (waits, download progress).
    pub(super) fn live(&self) -> &HashMap<String, LiveJob> {
        &self.live
    }

    pub(super) fn running_count(&self) -> usize {
        self.running.len()
    }

    /// Shows a connection's history (any order in, newest first out).
    pub(super) fn show_history(&mut self, mut jobs: Vec<JobRecord>) {
        jobs.sort_by_key(|j| std::cmp::Reverse(j.created_at));
        self.records = jobs;
        self.reindex();
    }

    /// The history is no longer shown (the key was removed). Workers still running stay
    /// counted until they stop.
    pub(super) fn forget_history(&mut self) {
        self.records.clear();
        self.places.clear();
        self.live.clear();
    }

    /// Claims the job for a new worker: false if one drives it already (then spawn none).
    pub(super) fn start_driving(&mut self, id: &str) -> bool {
        self.running.insert(id.to_string())
    }

    /// Claims the job for a re-run (Retry, Edit and re-run's resend): its last run's live
    /// state goes with it.
    pub(super) fn start_rerun(&mut self, id: &str) -> bool {
        let claimed = self.start_driving(id);
        if claimed {
            self.live.remove(id);
        }
        claimed
    }

    /// The job's worker stopped (done, or handed over): another may drive it again.
    pub(super) fn driver_stopped(&mut self, id: &str) {
        self.running.remove(id);
        self.live.remove(id);
    }

    /// Unfinished jobs of the API at `base_url` that no worker drives, claimed for new
    /// workers. Unsent submissions are among them: they go out with their recorded
    /// Idempotency-Key.
    pub(super) fn claim_unfinished(&mut self, base_url: &str) -> Vec<String> {
        let ids: Vec<String> = self
            .records
            .iter()
            .filter(|j| !j.phase.is_settled() && on_api(j, base_url))
            .map(|j| j.id.clone())
            .collect();
        ids.into_iter()
            .filter(|id| self.start_driving(id))
            .collect()
    }

    /// Of `ids` (jobs whose process died), those of this history on `base_url` that no worker
    /// drives, claimed for new workers.
    pub(super) fn claim_orphans(&mut self, ids: &[String], base_url: &str) -> Vec<String> {
        let ours: Vec<String> = ids
            .iter()
            .filter(|id| self.get(id).is_some_and(|j| on_api(j, base_url)))
            .cloned()
            .collect();
        ours.into_iter()
            .filter(|id| self.start_driving(id))
            .collect()
    }

    /// A worker's new record. A job not shown yet joins the history (newest first) when it
    /// is `ours` (on the shown connection's API). Returns the record when the job has just
    /// settled (done, failed, expired, still running past its time).
    pub(super) fn update(&mut self, job: JobRecord, ours: bool) -> Option<&JobRecord> {
        let live = self.live.entry(job.id.clone()).or_default();
        live.waiting = None;
        if !matches!(job.phase, Phase::Downloading { .. }) {
            live.download = None;
        }
        match self.places.get(&job.id).copied() {
            Some(index) => {
                let settled_now = job.phase.is_settled() && !self.records[index].phase.is_settled();
                self.records[index] = job;
                settled_now.then(|| &self.records[index])
            }
            None if ours => {
                self.records.insert(0, job);
                self.reindex();
                None
            }
            // A job of an earlier connection (e.g. the demo before a key was pasted) still
            // reporting: it belongs to the other history.
            None => {
                self.live.remove(&job.id);
                None
            }
        }
    }

    /// A request of the job waits `delay` (a rate limit or a retry), for `reason`.
    pub(super) fn waiting(&mut self, id: String, delay: Duration, reason: String, rate: bool) {
        self.live.entry(id).or_default().waiting = Some((Instant::now() + delay, reason, rate));
    }

    /// The job's download has `received` bytes of `total`.
    pub(super) fn progress(&mut self, id: String, received: u64, total: Option<u64>) {
        self.live.entry(id).or_default().download = Some((received, total));
    }

    /// Something on screen counts time: a job queued, processing or waiting.
    pub(super) fn shows_a_clock(&self) -> bool {
        self.records.iter().any(|j| {
            matches!(
                j.phase,
                Phase::Queued | Phase::Processing | Phase::Retrying { .. }
            )
        }) || self.live.values().any(|l| l.waiting.is_some())
    }
}

/// The job belongs to the API at `base_url` (records from before the API was recorded do).
pub(super) fn on_api(job: &JobRecord, base_url: &str) -> bool {
    job.api_base.as_deref().is_none_or(|b| b == base_url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{DesignMode, OutputFormat};
    use chrono::{TimeZone, Utc};

    const API: &str = "https://api.makistry.example";

    fn done() -> Phase {
        Phase::Done {
            report: crate::jobs::ServiceReport::default(),
            file: "part.step".into(),
            finished_at: Utc.with_ymd_and_hms(2026, 11, 26, 13, 0, 0).unwrap(),
        }
    }

    fn job(prompt: &str, minute: u32, phase: Phase) -> JobRecord {
        let created = Utc.with_ymd_and_hms(2026, 11, 26, 12, minute, 0).unwrap();
        let mut job = JobRecord::new(
            prompt.into(),
            Vec::new(),
            DesignMode::Standard,
            OutputFormat::Step,
            created,
        );
        job.api_base = Some(API.into());
        job.phase = phase;
        job
    }

    #[test]
    fn a_job_is_driven_by_one_worker_at_a_time() {
        let mut list = JobList::default();
        let a = job("a", 1, Phase::Queued);
        let id = a.id.clone();
        list.show_history(vec![a]);
        assert_eq!(list.claim_unfinished(API), vec![id.clone()]);
        assert!(!list.start_rerun(&id), "Retry while its worker runs");
        assert!(
            list.claim_orphans(std::slice::from_ref(&id), API)
                .is_empty()
        );
        assert!(list.claim_unfinished(API).is_empty(), "a reconnect");
        list.driver_stopped(&id);
        assert!(list.start_rerun(&id));
    }

    #[test]
    fn resuming_takes_unfinished_jobs_of_this_api_only() {
        let mut list = JobList::default();
        let queued = job("queued", 1, Phase::Queued);
        let unsent = job("unsent", 2, Phase::Submitting);
        let done = job("done", 3, done());
        let mut elsewhere = job("elsewhere", 4, Phase::Processing);
        elsewhere.api_base = Some("http://127.0.0.1:4000".into());
        let mut old = job("before api_base was recorded", 5, Phase::Processing);
        old.api_base = None;
        let expected = [&old.id, &unsent.id, &queued.id].map(|id| id.clone());
        list.show_history(vec![queued, unsent, done, elsewhere, old]);
        let claimed = list.claim_unfinished(API);
        assert_eq!(claimed, expected, "newest first");
    }

    #[test]
    fn forgetting_a_history_keeps_its_workers_counted_until_they_stop() {
        let mut list = JobList::default();
        let a = job("a", 1, Phase::Processing);
        let id = a.id.clone();
        list.show_history(vec![a.clone()]);
        list.claim_unfinished(API);
        list.progress(id.clone(), 10, Some(100));
        list.forget_history();
        assert!(list.records().is_empty() && list.live().is_empty());
        assert_eq!(list.running_count(), 1);
        // The same history again (the key pasted back) while the old worker still runs.
        list.show_history(vec![a]);
        assert!(list.claim_unfinished(API).is_empty());
        list.driver_stopped(&id);
        assert_eq!(list.claim_unfinished(API), vec![id]);
    }

    #[test]
    fn versions_are_numbered_by_their_depth_oldest_first() {
        let cap = job("a lens cap", 0, done());
        let follow_up = |prompt: &str, minute, parent: &JobRecord| {
            let mut job = job(prompt, minute, done());
            job.spec.follow_up_of = Some(parent.id.clone());
            job
        };
        let tab = follow_up("a lanyard tab", 1, &cap);
        let logo = follow_up("a logo", 2, &cap);
        let tighter = follow_up("a tighter lip", 3, &tab);
        let other = job("a bracket", 4, done());
        let mut list = JobList::default();
        list.show_history(vec![cap.clone(), tab, logo, tighter.clone(), other.clone()]);
        let numbered = |id: &str| -> Vec<(String, usize)> {
            (list.versions(id).iter())
                .map(|v| (v.job.spec.prompt.clone(), v.number))
                .collect()
        };
        let family = vec![
            ("a lens cap".to_string(), 1),
            ("a lanyard tab".to_string(), 2),
            ("a logo".to_string(), 2),
            ("a tighter lip".to_string(), 3),
        ];
        assert_eq!(numbered(&tighter.id), family, "from the newest version");
        assert_eq!(numbered(&cap.id), family, "from the first prompt");
        assert_eq!(numbered(&other.id), [("a bracket".to_string(), 1)]);
    }

    #[test]
    fn a_loop_of_follow_ups_in_a_damaged_history_ends() {
        let mut a = job("a", 0, done());
        let mut b = job("b", 1, done());
        a.spec.follow_up_of = Some(b.id.clone());
        b.spec.follow_up_of = Some(a.id.clone());
        let mut list = JobList::default();
        list.show_history(vec![a.clone(), b]);
        assert_eq!(list.versions(&a.id).len(), 2);
    }

    #[test]
    fn an_update_settles_a_job_once_and_other_histories_stay_out() {
        let mut list = JobList::default();
        let mut a = job("a", 1, Phase::Processing);
        list.update(a.clone(), true);
        assert_eq!(list.records().len(), 1);
        list.waiting(a.id.clone(), Duration::from_secs(5), "rate".into(), true);
        assert!(list.shows_a_clock());
        a.phase = done();
        let settled = list.update(a.clone(), true).map(|j| j.id.clone());
        assert_eq!(settled, Some(a.id.clone()));
        assert!(
            list.live()[&a.id].waiting.is_none(),
            "an update ends the wait"
        );
        assert!(list.update(a.clone(), true).is_none(), "settled already");
        assert!(!list.shows_a_clock());

        let other = job("the demo's", 2, done());
        assert!(list.update(other.clone(), false).is_none());
        assert!(list.get(&other.id).is_none() && !list.live().contains_key(&other.id));
        let newer = job("newer", 3, Phase::Queued);
        list.update(newer.clone(), true);
        assert_eq!(list.records()[0].id, newer.id, "new jobs go first");
    }
}
