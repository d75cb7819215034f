//! `makistry jobs` (the history) and `makistry jobs resume`.

use std::io::Write;
use std::process::ExitCode;

use chrono::{Local, Utc};
use clap::{Args, Subcommand};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use makistry::jobs::{JobRecord, Phase, Tracker, copy_atomically, on_store};

use crate::common::{self, exit, fail};

/// Options of `makistry jobs`.
#[derive(Args)]
pub struct JobsArgs {
    /// Print the history as JSON.
    #[arg(long)]
    json: bool,
    /// Only the jobs whose prompt, project name, key features, format or date (YYYY-MM-DD)
    /// hold every word of TEXT (the last word may be the start of one).
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    #[command(subcommand)]
    action: Option<JobsAction>,
}

/// `makistry jobs …`.
#[derive(Subcommand)]
pub enum JobsAction {
    /// Finish every unfinished job: send unsent submissions (with their original
    /// Idempotency-Key), poll running jobs, download finished ones, and write each file where
    /// `generate --out` asked.
    Resume,
}

/// Runs `makistry jobs`.
pub async fn run(args: JobsArgs, base_url: &str) -> ExitCode {
    let opened = match args.action {
        None => common::open_store_for_reading().await,
        Some(_) => common::open_store().await,
    };
    let store = match opened {
        Ok(store) => store,
        Err(code) => return code,
    };
    let search = args.search.clone();
    let listed = makistry::jobs::on_store(&store, move |s| match &search {
        Some(text) => s.search(text),
        None => s.all().map(|all| all.jobs),
    });
    let jobs = match listed.await {
        Ok(jobs) => jobs,
        Err(e) => return fail(&format!("{e}"), "", exit::OTHER),
    };
    let printed = match args.action {
        None if args.json => serde_json::to_string_pretty(&with_thumbnails(store.dir(), &jobs))
            .map_err(std::io::Error::other)
            .and_then(|json| writeln!(std::io::stdout().lock(), "{json}")),
        None if jobs.is_empty() && args.search.is_some() => {
            writeln!(std::io::stdout().lock(), "No job matches that search.")
        }
        None => list(&mut std::io::stdout().lock(), &jobs),
        Some(JobsAction::Resume) => return resume(store, jobs, base_url).await,
    };
    match printed {
        // A reader that stopped early (`makistry jobs | head -1`) got what it wanted.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => fail(
            &format!("the history could not be printed: {e}"),
            "",
            exit::OTHER,
        ),
        _ => ExitCode::SUCCESS,
    }
}

/// Keys a job's phase writes only where it has them, printed as `null` elsewhere so a
/// script can read every job the same way (as `jobs --json` always printed them).
const PHASE_KEYS: [&str; 5] = [
    "brainstorm",
    "tokens_used",
    "latency_ms",
    "file",
    "finished_at",
];

/// The jobs as JSON, each with `"thumbnail"`: the absolute path of its picture where one was
/// made (a finished job's, see `viewer::thumbnail`).
fn with_thumbnails(data_dir: &std::path::Path, jobs: &[JobRecord]) -> Vec<serde_json::Value> {
    jobs.iter()
        .map(|job| {
            let mut value = serde_json::to_value(job).unwrap_or_default();
            if let Some(fields) = value.as_object_mut() {
                for key in PHASE_KEYS {
                    fields.entry(key).or_insert(serde_json::Value::Null);
                }
            }
            let thumbnail = makistry::viewer::thumbnail::thumbnail_path(data_dir, &job.id);
            if let (Some(fields), true) = (value.as_object_mut(), thumbnail.is_file()) {
                let absolute = std::path::absolute(&thumbnail).unwrap_or(thumbnail);
                fields.insert("thumbnail".into(), absolute.to_string_lossy().into());
            }
            value
        })
        .collect()
}

fn list(out: &mut impl Write, jobs: &[JobRecord]) -> std::io::Result<()> {
    if jobs.is_empty() {
        return writeln!(
            out,
            "No jobs yet. Try: makistry generate \"a 40x20x10mm box with a 5mm hole\""
        );
    }
    writeln!(
        out,
        "{:<8}  {:<16}  {:<12}  {:<8}  {:<4}  {:>7}  PROMPT",
        "ID", "CREATED", "STATUS", "MODE", "FMT", "CREDITS"
    )?;
    for job in jobs {
        let prompt = one_line(&job.spec.prompt, 48);
        writeln!(
            out,
            "{:<8}  {:<16}  {:<12}  {:<8}  {:<4}  {:>7}  {}",
            common::short_id(job),
            job.created_at
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M"),
            job.phase.label().split(' ').next().unwrap_or_default(),
            job.spec.mode.as_str(),
            job.spec.format.as_str(),
            job.tokens_used().map(|t| t.to_string()).unwrap_or_default(),
            prompt
        )?;
        if let Some(error) = job.error.as_ref().filter(|_| !job.phase.is_done()) {
            let sentence = one_line(&format!("{} {}", error.sentence, error.action), 400);
            writeln!(out, "{:<8}  {sentence}", "")?;
        }
    }
    Ok(())
}

/// Text for one line of a terminal: at most `max` characters, line breaks as spaces, and any
/// other control character escaped (`\u{1b}`), so a stored prompt can never drive the terminal.
fn one_line(text: &str, max: usize) -> String {
    let mut line = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            line.push('…');
            break;
        }
        match c {
            '\n' | '\r' | '\t' => line.push(' '),
            c if c.is_control() => line.extend(c.escape_unicode()),
            c => line.push(c),
        }
    }
    line
}

/// Whether `resume` has something to do for a job.
fn needs_resume(job: &JobRecord) -> bool {
    match &job.phase {
        Phase::Done { .. } => job.out_path.as_ref().is_some_and(|out| !out.exists()),
        phase => !phase.ended_without_part(),
    }
}

async fn resume(
    store: std::sync::Arc<makistry::jobs::JobStore>,
    jobs: Vec<JobRecord>,
    base_url: &str,
) -> ExitCode {
    let pending: Vec<JobRecord> = jobs.into_iter().filter(needs_resume).collect();
    if pending.is_empty() {
        eprintln!("Nothing to resume: every job is finished.");
        return ExitCode::SUCCESS;
    }
    let (key, _) = match common::api_key().await {
        Ok(found) => found,
        Err(code) => return code,
    };
    // Each job goes back to the API it was submitted to (its id means nothing to another);
    // records from before that was kept use --base-url.
    let (events_sender, events) = tokio::sync::mpsc::unbounded_channel();
    let mut trackers: HashMap<String, Tracker> = HashMap::new();
    for job in &pending {
        let api = job.api_base.clone().unwrap_or_else(|| base_url.to_string());
        if let Entry::Vacant(slot) = trackers.entry(api) {
            let client = match common::client_with_key(slot.key(), key.clone(), Some(&store)) {
                Ok(client) => client,
                Err(code) => return code,
            };
            slot.insert(Tracker::new(
                client,
                store.clone(),
                events_sender.clone(),
                Arc::new(|| {}),
            ));
        }
    }
    drop(events_sender);
    let progress = tokio::spawn(common::show_progress(events, "resume".into()));
    eprintln!("resuming {} job(s)", pending.len());
    let mut workers = Vec::new();
    for job in pending {
        let api = job.api_base.clone().unwrap_or_else(|| base_url.to_string());
        let Some(tracker) = trackers.get(&api).cloned() else {
            continue;
        };
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            // A job the client stopped waiting for is checked again, with a fresh time-out.
            let id = job.id.clone();
            let _ = on_store(&store, move |s| {
                s.update(&id, |j| j.check_again(Utc::now()))
            })
            .await;
            if let (Some(file), Some(out)) = (job.file(), &job.out_path) {
                let (file, out) = (file.to_path_buf(), out.clone());
                let _ = tokio::task::spawn_blocking(move || copy_atomically(&file, &out)).await;
                let id = job.id.clone();
                return on_store(&store, move |s| s.get(&id)).await.ok().flatten();
            }
            tracker.run(&job.id).await
        }));
    }
    drop(trackers);
    let mut worst = ExitCode::SUCCESS;
    let mut results = Vec::new();
    for worker in workers {
        if let Ok(Some(job)) = worker.await {
            results.push(job);
        }
    }
    let _ = progress.await;
    for job in &results {
        eprint!("{}: ", common::short_id(job));
        let code = crate::generate::report(job);
        if code != ExitCode::SUCCESS {
            worst = code;
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn a_listing_line_never_carries_control_characters() {
        assert_eq!(
            one_line("a\u{1b}[2Jbox\nwith\0", 48),
            "a\\u{1b}[2Jbox with\\u{0}"
        );
        assert_eq!(one_line("abcdef", 3), "abc…");
    }
}
