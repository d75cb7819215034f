//! The job list driven without a window.

use super::*;
use crate::api::{DesignMode, OutputFormat};
use chrono::{TimeZone, Utc};

const API: &str = "https://api.makistry.example";

fn done() -> Phase {
    Phase::Done {
        report: crate::jobs::ServiceReport::default(),
        file: "part.step".into(),
        finished_at: Some(Utc.with_ymd_and_hms(2026, 11, 26, 13, 0, 0).unwrap()),
    }
}

/// Shows `jobs` as a connection's history with every record read (any order in).
fn show(list: &mut JobList, mut jobs: Vec<JobRecord>) {
    jobs.sort_by_key(|j| std::cmp::Reverse(j.created_at));
    list.show_history(outline(&jobs), jobs);
}

fn outline(jobs: &[JobRecord]) -> Vec<OutlineEntry> {
    (jobs.iter())
        .map(|j| OutlineEntry {
            id: j.id.clone(),
            follow_up_of: j.spec.follow_up_of.clone(),
        })
        .collect()
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
    show(&mut list, vec![a]);
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
    show(&mut list, vec![queued, unsent, done, elsewhere, old]);
    let claimed = list.claim_unfinished(API);
    assert_eq!(claimed, expected, "newest first");
}

#[test]
fn forgetting_a_history_keeps_its_workers_counted_until_they_stop() {
    let mut list = JobList::default();
    let a = job("a", 1, Phase::Processing);
    let id = a.id.clone();
    show(&mut list, vec![a.clone()]);
    list.claim_unfinished(API);
    list.progress(id.clone(), 10, Some(100));
    list.forget_history();
    assert!(list.len() == 0 && list.live().is_empty());
    assert_eq!(list.running_count(), 1);
    // The same history again (the key pasted back) while the old worker still runs.
    show(&mut list, vec![a]);
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
    show(
        &mut list,
        vec![cap.clone(), tab, logo, tighter.clone(), other.clone()],
    );
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
    show(&mut list, vec![a.clone(), b]);
    assert_eq!(list.versions(&a.id).len(), 2);
}

#[test]
fn an_update_settles_a_job_once_and_other_histories_stay_out() {
    let mut list = JobList::default();
    let mut a = job("a", 1, Phase::Processing);
    list.update(a.clone(), true);
    assert_eq!(list.len(), 1);
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
    assert_eq!(
        list.newest().next().unwrap().id,
        newer.id,
        "new jobs go first"
    );
}

/// A history of `count` finished jobs (minute `n` each, newest first) with only the newest
/// `read` records held, as a window connects to a long history.
fn long_history(list: &mut JobList, count: u32, read: usize) -> Vec<JobRecord> {
    let mut jobs: Vec<JobRecord> = (0..count)
        .map(|n| {
            let mut job = job(&format!("variant {n}"), 0, done());
            job.created_at += chrono::Duration::minutes(i64::from(n));
            job
        })
        .collect();
    jobs.reverse();
    list.show_history(outline(&jobs), jobs[..read].to_vec());
    jobs
}

fn asked(effect: Option<Effect>) -> Vec<String> {
    match effect {
        Some(Effect::Run(Task::ReadJobs(ids))) => ids,
        None => Vec::new(),
        other => panic!("expected a read, got {other:?}"),
    }
}

#[test]
fn a_long_history_is_read_as_it_is_shown_with_its_versions() {
    let mut list = JobList::default();
    let mut jobs = long_history(&mut list, 1000, 60);
    assert_eq!(list.len(), 1000);
    assert_eq!(list.newest().count(), 60, "the newest page only");
    // An old follow-up of an older job: the outline knows the family before any record.
    let (old, older) = (jobs[900].id.clone(), jobs[950].id.clone());
    jobs[900].spec.follow_up_of = Some(older.clone());
    list.order[900].follow_up_of = Some(older.clone());
    assert!(list.get(&old).is_none() && list.versions(&old).is_empty());

    let mut wanted = asked(list.show_in_centre(&[&old]));
    wanted.sort();
    let mut family = vec![old.clone(), older.clone()];
    family.sort();
    assert_eq!(wanted, family, "the job and the version it follows");
    assert!(
        asked(list.show_in_centre(&[&old])).is_empty(),
        "asked once while under way"
    );
    list.read(&wanted, vec![jobs[950].clone(), jobs[900].clone()]);
    let numbered: Vec<_> = (list.versions(&old).iter())
        .map(|v| (v.job.spec.prompt.clone(), v.number))
        .collect();
    assert_eq!(
        numbered,
        [("variant 49".to_string(), 1), ("variant 99".to_string(), 2)]
    );
}

#[test]
fn records_far_from_view_are_let_go_but_never_an_unfinished_one() {
    let mut list = JobList::default();
    let mut jobs = long_history(&mut list, 1000, 0);
    jobs[999].phase = Phase::Queued;
    list.read(&[], vec![jobs[999].clone()]);
    let centre = jobs[500].id.clone();
    let _ = list.show_in_centre(&[&centre]);
    let let_go = list.read(&[], jobs[..600].to_vec());
    let held = list.newest().count();
    assert!(held < 100, "{held} records held of 600 read");
    assert_eq!(
        let_go.len() + held,
        601,
        "the window is told which went (their pictures go)"
    );
    assert!(!let_go.contains(&centre));
    assert!(list.get(&jobs[999].id).is_some(), "the unfinished one");
    assert!(list.get(&centre).is_some(), "the one in the centre");
    // A record let go is read again when it comes back into view.
    assert_eq!(
        asked(list.show_in_centre(&[&jobs[10].id])),
        [jobs[10].id.clone()]
    );
}

#[test]
fn a_change_to_a_job_not_held_is_held_but_not_news() {
    let mut list = JobList::default();
    let jobs = long_history(&mut list, 100, 10);
    let mut old = jobs[80].clone();
    old.out_path = Some("/home/u/cap.stl".into());
    assert!(
        list.update(old.clone(), true).is_none(),
        "settled when it was read, so not just settled"
    );
    assert_eq!(list.get(&old.id), Some(&old));
    assert_eq!(list.len(), 100, "not added a second time");
}

/// A card in view names the first version of its design: that record stays held with the
/// card, or it would be let go and read again frame after frame.
#[test]
fn a_card_s_first_version_stays_held_while_the_card_shows() {
    let mut list = JobList::default();
    let jobs = long_history(&mut list, 1000, 0);
    let (card, first) = (jobs[5].id.clone(), jobs[990].id.clone());
    list.order[5].follow_up_of = Some(first.clone());
    let mut wanted = asked(
        list.keep_in_view(ListOrCentre::List, vec![card.clone()])
            .map(Effect::Run),
    );
    wanted.sort();
    let mut both = vec![card.clone(), first.clone()];
    both.sort();
    assert_eq!(wanted, both);
    list.read(&wanted, vec![jobs[5].clone(), jobs[990].clone()]);
    list.read(&[], jobs[100..500].to_vec());
    assert!(list.get(&first).is_some(), "let go while its card shows");
    assert!(
        list.keep_in_view(ListOrCentre::List, vec![card]).is_none(),
        "nothing to read again"
    );
}

/// Records asked for before the history was forgotten (the key removed) come to nothing.
#[test]
fn an_answer_after_the_history_was_forgotten_changes_nothing() {
    let mut list = JobList::default();
    let jobs = long_history(&mut list, 100, 0);
    let wanted = asked(list.show_in_centre(&[&jobs[50].id]));
    list.forget_history();
    assert!(list.read(&wanted, vec![jobs[50].clone()]).is_empty());
    assert_eq!((list.len(), list.newest().count()), (0, 0));
}
