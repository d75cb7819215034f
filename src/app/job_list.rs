//! The jobs the window shows, with what it knows of them beyond their records: which ones a
//! worker drives now, and each one's live state (a wait, a download's progress). The history
//! is held as its outline (every job's id and the job it follows up, newest first) and the
//! records read so far: the newest page and every unfinished job at connect, then those the
//! list scrolls to and the centre shows, read in the background and let go when far from
//! view. Its methods keep the rules between these, so no caller has to:
//! - a job is driven by at most one worker at a time (a second Retry, a resumed orphan or a
//!   reconnect never starts another);
//! - an unfinished, running or live job's record is always held (workers, clocks and resume
//!   read it);
//! - forgetting a history forgets its records and live state, but not which workers still
//!   run: they finish their step and say so, and until then none is started twice;
//! - a job another connection drives (the demo's, after a key was pasted) never joins this
//!   history.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::effect::{Effect, Task};
use super::history_search::HistorySearch;
use crate::jobs::{JobRecord, OutlineEntry, Phase};
use crate::ui::jobs::{CardHeights, JobsView, LiveJob};
use crate::ui::versions::Version;

/// Records held beyond those that must be: about ten screenfuls of cards.
const RECORDS_KEPT: usize = 300;
/// Cards read ahead of the list's view, each way, so scrolling rarely meets a blank one.
const READ_AHEAD: usize = 30;
/// Follow-ups followed at most from a job to its first prompt (deeper is a loop in a damaged
/// history).
const MAX_DEPTH: usize = 200;

/// The shown history, newest first, with live state and the running workers.
#[derive(Default)]
pub(super) struct JobList {
    /// Every job of the history, newest first.
    order: Vec<OutlineEntry>,
    /// Each job's place in `order`, by id (a history of thousands is looked up often).
    places: HashMap<String, usize>,
    /// The records read so far, by id.
    records: HashMap<String, JobRecord>,
    /// Records asked for and not read yet.
    asked: HashSet<String>,
    /// The list's cards in view and read ahead: their records stay held while they show.
    list_view: HashSet<String>,
    /// The centre's jobs and their versions: held likewise.
    centre_view: HashSet<String>,
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
    /// The jobs panel: the search box and the cards of the jobs it shows. A changed search,
    /// and the records of cards come into view, come back as tasks to run; the cards'
    /// requests as what they ask of the app.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, context: &ListContext<'_>) -> Vec<Effect> {
        let shown: Vec<&str> = (self.order.iter())
            .map(|entry| entry.id.as_str())
            // A job this window drives shows whatever the search (it was just started).
            .filter(|id| self.search.shows(id) || self.running.contains(*id))
            .collect();
        let running = |id: &str| self.running.contains(id);
        let records = &self.records;
        let find = |id: &str| records.get(id);
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
        let panel =
            crate::ui::jobs::jobs_ui(ui, &shown, self.search.text_mut(), &view, &mut self.heights);
        let near = panel.drawn.start.saturating_sub(READ_AHEAD)
            ..(panel.drawn.end + READ_AHEAD).min(shown.len());
        let near: Vec<String> = shown[near].iter().map(|id| id.to_string()).collect();
        let read = self.keep_in_view(ListOrCentre::List, near);
        let search = panel.searched.then(|| self.search.changed()).flatten();
        (search.into_iter().chain(read).map(Effect::Run))
            .chain(panel.intents.into_iter().filter_map(Effect::about_jobs))
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

    /// How many jobs the history holds.
    pub(super) fn len(&self) -> usize {
        self.order.len()
    }

    /// The records read, newest first.
    pub(super) fn newest(&self) -> impl Iterator<Item = &JobRecord> {
        (self.order.iter()).filter_map(|entry| self.records.get(&entry.id))
    }

    /// A job's record, where it is read.
    pub(super) fn get(&self, id: &str) -> Option<&JobRecord> {
        self.records.get(id)
    }

    fn reindex(&mut self) {
        self.places = (self.order.iter().enumerate())
            .map(|(place, entry)| (entry.id.clone(), place))
            .collect();
    }

    /// The job `id` follows up, by the outline.
    fn parent_of(&self, id: &str) -> Option<&str> {
        let place = *self.places.get(id)?;
        let parent = self.order[place].follow_up_of.as_deref()?;
        self.places.contains_key(parent).then_some(parent)
    }

    /// Every version of the design `id` belongs to, by id with its number, oldest first: the
    /// first prompt (v1) and every follow-up of it or of its follow-ups (one more than the
    /// job it follows). From the outline: no record is needed.
    fn family(&self, id: &str) -> Vec<(&str, usize)> {
        let Some(&place) = self.places.get(id) else {
            return Vec::new();
        };
        let mut root = self.order[place].id.as_str();
        let mut seen = HashSet::from([root]);
        while let Some(parent) = self.parent_of(root) {
            if seen.len() >= MAX_DEPTH || !seen.insert(parent) {
                break;
            }
            root = parent;
        }
        let mut depth: HashMap<&str, usize> = HashMap::from([(root, 1)]);
        let mut family = vec![(root, 1)];
        // The outline is newest first: oldest first, a follow-up comes after the job it
        // follows.
        for entry in self.order.iter().rev() {
            let parent = entry.follow_up_of.as_deref();
            if let Some(&number) = parent.and_then(|p| depth.get(p))
                && !depth.contains_key(entry.id.as_str())
            {
                depth.insert(&entry.id, number + 1);
                family.push((&entry.id, number + 1));
            }
        }
        family
    }

    /// The versions of the design `id` belongs to whose records are read (see
    /// [`JobList::family`]), oldest first.
    pub(super) fn versions(&self, id: &str) -> Vec<Version<'_>> {
        (self.family(id).into_iter())
            .filter_map(|(id, number)| {
                Some(Version {
                    job: self.records.get(id)?,
                    number,
                })
            })
            .collect()
    }

    /// The centre shows `ids` (a job, or the jobs compared): their records and their
    /// versions' stay held, and those not read yet are asked for.
    pub(super) fn show_in_centre(&mut self, ids: &[&str]) -> Option<Effect> {
        let wanted: Vec<String> = (ids.iter())
            .flat_map(|id| self.family(id))
            .map(|(id, _)| id.to_string())
            .collect();
        self.keep_in_view(ListOrCentre::Centre, wanted)
            .map(Effect::Run)
    }

    /// Holds the records of `ids` and of the jobs they follow up (a card names its first
    /// version) for the list or the centre, and asks for those not read nor asked for yet.
    fn keep_in_view(&mut self, part: ListOrCentre, ids: Vec<String>) -> Option<Task> {
        let mut held: HashSet<String> = HashSet::with_capacity(ids.len());
        for id in &ids {
            let mut next = Some(id.as_str());
            while let Some(id) = next.filter(|_| held.len() < ids.len() + MAX_DEPTH) {
                if !held.insert(id.to_string()) {
                    break;
                }
                next = self.parent_of(id);
            }
        }
        let mut wanted: Vec<String> = (held.iter())
            .filter(|id| !self.records.contains_key(*id) && !self.asked.contains(*id))
            .cloned()
            .collect();
        match part {
            ListOrCentre::List => self.list_view = held,
            ListOrCentre::Centre => self.centre_view = held,
        }
        wanted.sort();
        if wanted.is_empty() {
            return None;
        }
        self.asked.extend(wanted.iter().cloned());
        Some(Task::ReadJobs(wanted))
    }
}

/// Which part of the window holds records in view.
#[derive(Debug, Clone, Copy)]
enum ListOrCentre {
    List,
    Centre,
}

impl JobList {
    /// Shows a connection's history: its outline (newest first) and the records read with it
    /// (the newest page and every unfinished job).
    pub(super) fn show_history(&mut self, outline: Vec<OutlineEntry>, records: Vec<JobRecord>) {
        self.order = outline;
        self.reindex();
        self.records.clear();
        self.asked.clear();
        let _ = self.hold(records);
    }

    /// Records read in the background for `asked`: held where they are still of this
    /// history. An asked job that did not come is gone from the history (removed by another
    /// process) or unreadable here (a newer build's record): it leaves the list, as
    /// unreadable rows are left out wherever the history is read.
    /// Returns the jobs whose records were let go to make room (see
    /// [`JobList::let_go_of_far_records`]).
    pub(super) fn read(&mut self, asked: &[String], records: Vec<JobRecord>) -> Vec<String> {
        let came: HashSet<&str> = records.iter().map(|j| j.id.as_str()).collect();
        let gone: HashSet<&str> = (asked.iter())
            .map(String::as_str)
            // Of this history (an answer after the key was removed finds none).
            .filter(|id| self.places.contains_key(*id))
            .filter(|id| !came.contains(id) && !self.records.contains_key(*id))
            .collect();
        if !gone.is_empty() {
            tracing::warn!("{} jobs of the history could not be read", gone.len());
            self.order.retain(|entry| !gone.contains(entry.id.as_str()));
            self.reindex();
        }
        for id in asked {
            self.asked.remove(id);
        }
        self.hold(records)
    }

    fn hold(&mut self, records: Vec<JobRecord>) -> Vec<String> {
        for job in records {
            self.asked.remove(&job.id);
            if self.places.contains_key(&job.id) {
                // A newer record (a worker's) is not replaced by one read before it.
                self.records.entry(job.id.clone()).or_insert(job);
            }
        }
        self.let_go_of_far_records()
    }

    /// Records that could not be read: asked for again when they next come into view.
    pub(super) fn not_read(&mut self, ids: &[String]) {
        for id in ids {
            self.asked.remove(id);
        }
    }

    /// Lets go of records far from view once more are held than [`RECORDS_KEPT`], keeping
    /// every one that must stay (unfinished, driven, live, in view).
    /// Returns the jobs let go.
    fn let_go_of_far_records(&mut self) -> Vec<String> {
        if self.records.len() <= RECORDS_KEPT {
            return Vec::new();
        }
        let (running, live) = (&self.running, &self.live);
        let (list, centre) = (&self.list_view, &self.centre_view);
        let far: Vec<String> = (self.records.iter())
            .filter(|(id, job)| {
                job.phase.is_settled()
                    && !running.contains(*id)
                    && !live.contains_key(*id)
                    && !list.contains(*id)
                    && !centre.contains(*id)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in &far {
            self.records.remove(id);
        }
        far
    }

    /// The history is no longer shown (the key was removed). Workers still running stay
    /// counted until they stop.
    pub(super) fn forget_history(&mut self) {
        self.order.clear();
        self.places.clear();
        self.records.clear();
        self.asked.clear();
        self.list_view.clear();
        self.centre_view.clear();
        self.live.clear();
    }

    /// Live state by job id (waits, download progress).
    pub(super) fn live(&self) -> &HashMap<String, LiveJob> {
        &self.live
    }

    pub(super) fn running_count(&self) -> usize {
        self.running.len()
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
    /// workers (every unfinished record is held). Unsent submissions are among them: they
    /// go out with their recorded Idempotency-Key.
    pub(super) fn claim_unfinished(&mut self, base_url: &str) -> Vec<String> {
        let ids: Vec<String> = self
            .newest()
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
    /// settled (done, failed, expired, still running past its time): a record not held was
    /// settled when last read, since unfinished ones are always held.
    pub(super) fn update(&mut self, job: JobRecord, ours: bool) -> Option<&JobRecord> {
        let live = self.live.entry(job.id.clone()).or_default();
        live.waiting = None;
        if !matches!(job.phase, Phase::Downloading { .. }) {
            live.download = None;
        }
        let id = job.id.clone();
        if self.places.contains_key(&id) {
            let was_unsettled = (self.records.get(&id)).is_some_and(|old| !old.phase.is_settled());
            let settled_now = job.phase.is_settled() && was_unsettled;
            self.records.insert(id.clone(), job);
            return settled_now.then(|| &self.records[&id]);
        }
        if ours {
            let entry = OutlineEntry {
                id: id.clone(),
                follow_up_of: job.spec.follow_up_of.clone(),
            };
            self.order.insert(0, entry);
            self.reindex();
            self.records.insert(id, job);
        } else {
            // A job of an earlier connection (e.g. the demo before a key was pasted) still
            // reporting: it belongs to the other history.
            self.live.remove(&id);
        }
        None
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
        self.records.values().any(|j| {
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
mod tests;
