//! `makistry generate`: prompt (and images) to a file.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, ValueEnum};
use makistry::api::{DesignMode, JobRequest, OutputFormat};
use makistry::attachments;
use makistry::jobs::{JobEvent, JobRecord, Phase, on_store};

use crate::common::{self, exit, fail};

/// `--mode`.
#[derive(Clone, Copy, ValueEnum)]
pub enum ModeArg {
    /// One agent, fast (1× credits).
    Standard,
    /// Stronger model for complex single parts (2–3×); not with images.
    Pro,
    /// Multi-part assemblies (3–5×).
    Assembly,
}

/// `--format`.
#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// Exact B-rep solid for CAD programs (the API's default; previews in the app).
    Step,
    /// Triangle mesh for 3D printing.
    Stl,
    /// Binary glTF mesh with colours and parts.
    Glb,
    /// 3D Manufacturing Format.
    #[value(name = "3mf")]
    ThreeMf,
}

/// Options of `makistry generate`.
#[derive(Args)]
pub struct GenerateArgs {
    /// What to make, with dimensions and units ("a 40x20x10mm box with a 5mm hole").
    prompt: String,
    /// A reference image (PNG, JPEG, WebP or GIF, at most 10 MiB); up to 3.
    #[arg(long = "image", value_name = "FILE")]
    images: Vec<PathBuf>,
    /// Design mode.
    #[arg(long, value_enum, default_value = "standard")]
    mode: ModeArg,
    /// Output format (STEP, as the API and the app).
    #[arg(long, value_enum, default_value = "step")]
    format: FormatArg,
    /// Where to write the file (default: a name from the prompt, in the current directory).
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Return once the job is accepted; `makistry jobs resume` finishes it later.
    #[arg(long)]
    no_wait: bool,
}

/// A file name from the prompt: `a-40x20x10mm-box-with-a-5mm-hole.glb`.
fn default_out(prompt: &str, format: OutputFormat) -> PathBuf {
    let slug: String = prompt
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug: String = slug
        .chars()
        .take(48)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string();
    let stem = if slug.is_empty() {
        "makistry-part".to_string()
    } else {
        slug
    };
    PathBuf::from(format!("{stem}.{}", format.extension()))
}

/// Runs `makistry generate`.
pub async fn run(args: GenerateArgs, base_url: &str) -> ExitCode {
    let mode = match args.mode {
        ModeArg::Standard => DesignMode::Standard,
        ModeArg::Pro => DesignMode::Pro,
        ModeArg::Assembly => DesignMode::Assembly,
    };
    let format = match args.format {
        FormatArg::Step => OutputFormat::Step,
        FormatArg::Stl => OutputFormat::Stl,
        FormatArg::Glb => OutputFormat::Glb,
        FormatArg::ThreeMf => OutputFormat::ThreeMf,
    };
    let images = match checked_images(args.images.clone()).await {
        Ok(images) => images,
        Err(code) => return code,
    };
    let request = JobRequest {
        prompt: args.prompt.clone(),
        mode,
        format,
        images: images.iter().map(attachments::Attachment::upload).collect(),
        metadata: None,
    };
    if let Err(e) = request.check() {
        return common::fail_api(&e);
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.prompt, format));
    let out = std::path::absolute(&out).unwrap_or(out);
    let store = match common::open_store().await {
        Ok(store) => store,
        Err(code) => return code,
    };
    let client = match common::client(base_url, &store).await {
        Ok(client) => client,
        Err(code) => return code,
    };
    let api_base = client.base_url().to_string();
    let (tracker, events) = common::tracker(client, store);
    let mut job = JobRecord::new(
        args.prompt,
        images
            .iter()
            .map(attachments::Attachment::image_ref)
            .collect(),
        mode,
        format,
        Utc::now(),
    );
    job.out_path = Some(out.clone());
    job.api_base = Some(api_base);
    let job = match tracker.record(job).await {
        Ok(job) => job,
        Err(e) => {
            return fail(
                &e.to_string(),
                "Check the data directory is writable, or set MAKISTRY_DATA_DIR.",
                exit::OTHER,
            );
        }
    };
    let id = job.id.clone();
    eprintln!(
        "job {} recorded ({} mode, {})",
        common::short_id(&job),
        mode.as_str(),
        format.as_str()
    );

    if args.no_wait {
        return until_accepted(tracker, events, id, &out).await;
    }

    let progress = tokio::spawn(common::show_progress(
        events,
        common::short_id(&job).to_string(),
    ));
    let finished = tracker.run(&id).await;
    let store = tracker.store().clone();
    drop(tracker);
    let _ = progress.await;
    match finished {
        Some(job) if job.was_never_sent() => forget_unsent(&store, &job).await,
        Some(job) => {
            make_thumbnail(store.dir(), &job).await;
            report(&job)
        }
        None => fail(
            "the job disappeared from the history",
            "Run `makistry jobs` to see the history.",
            exit::OTHER,
        ),
    }
}

/// The finished job's thumbnail for the history (the window's cards, `jobs --json`). A
/// failure (no off-screen GL here) costs the user nothing but the picture: it is logged.
async fn make_thumbnail(data_dir: &std::path::Path, job: &JobRecord) {
    let Some(file) = job.file().map(std::path::Path::to_path_buf) else {
        return;
    };
    let out = makistry::viewer::thumbnail::thumbnail_path(data_dir, &job.id);
    let made = tokio::task::spawn_blocking(move || makistry::viewer::thumbnail::make(&file, &out));
    match made.await {
        Ok(Ok(())) => {}
        Ok(Err(reason)) => tracing::warn!("no thumbnail for job {}: {reason}", job.id),
        Err(e) => tracing::warn!("no thumbnail for job {}: {e}", job.id),
    }
}

/// A job no attempt could send (nothing answered at the address): it is removed from the
/// history, since nothing reached the server, and the command says so.
async fn forget_unsent(
    store: &std::sync::Arc<makistry::jobs::JobStore>,
    job: &JobRecord,
) -> ExitCode {
    let id = job.id.clone();
    let removed = on_store(store, move |s| s.remove_unsent(&id)).await;
    if !matches!(removed, Ok(true)) {
        return report(job);
    }
    let sentence = job.error.as_ref().map_or("", |e| e.sentence.as_str());
    fail(
        &format!(
            "{} Nothing was sent, so no job was kept",
            sentence.trim_end_matches('.')
        ),
        "Check the address and the network, then run the command again.",
        exit::TRANSPORT,
    )
}

/// Prints how a job ended and returns the exit code.
pub fn report(job: &JobRecord) -> ExitCode {
    let resume = "Run `makistry jobs resume` to continue; it will not create a second job.";
    match &job.phase {
        Phase::Done { .. } => {
            let path = job.out_path.as_deref().or(job.file());
            let name = job
                .brainstorm()
                .map(|b| b.project_name.as_str())
                .unwrap_or("part");
            let credits = job
                .tokens_used()
                .map(|t| format!(", {t} credits"))
                .unwrap_or_default();
            out!(
                "{}",
                path.map(|p| p.display().to_string()).unwrap_or_default()
            );
            eprintln!("done: {name}{credits}");
            if let Some(error) = &job.error {
                eprintln!("warning: {} {}", error.sentence, error.action);
            }
            ExitCode::SUCCESS
        }
        Phase::StillRunning { .. } => fail(
            &format!(
                "the job is still running on the server after the {} time-out",
                job.spec.mode.as_str()
            ),
            "Run `makistry jobs resume` later to check again and download it.",
            exit::STILL_RUNNING,
        ),
        Phase::Submitting | Phase::Downloading { .. } => {
            let (sentence, code) = job.error.as_ref().map_or(
                ("the job did not finish".to_string(), exit::TRANSPORT),
                |e| (e.sentence.clone(), common::exit_code_of_kind(e.kind())),
            );
            fail(&sentence, resume, code)
        }
        Phase::Failed { .. } | Phase::Expired { .. } => {
            let Some(error) = &job.error else {
                return fail("the job failed", "", exit::API);
            };
            let code = common::exit_code_of_kind(error.kind());
            fail(
                &format!("{} [{}]", error.sentence.trim_end_matches('.'), error.code),
                &error.action,
                code,
            )
        }
        phase => fail(
            &format!("the job stopped while {}", phase.label()),
            resume,
            exit::OTHER,
        ),
    }
}

/// The images, checked here first: a file the API would refuse never reaches it.
async fn checked_images(
    paths: Vec<std::path::PathBuf>,
) -> Result<Vec<attachments::Attachment>, ExitCode> {
    let loaded = tokio::task::spawn_blocking(move || {
        paths
            .iter()
            .map(|p| attachments::load(p))
            .collect::<Result<Vec<_>, _>>()
    })
    .await;
    match loaded {
        Ok(Ok(images)) => Ok(images),
        Ok(Err(e)) => Err(fail(&e.to_string(), e.action(), exit::USER)),
        Err(e) => Err(fail(
            &format!("the images could not be read: {e}"),
            "",
            exit::OTHER,
        )),
    }
}

/// `--no-wait`: drives the job until the API accepted it, then leaves the rest to
/// `makistry jobs resume`.
async fn until_accepted(
    tracker: makistry::jobs::Tracker,
    mut events: tokio::sync::mpsc::UnboundedReceiver<JobEvent>,
    id: String,
    out: &std::path::Path,
) -> ExitCode {
    // The worker owns the only tracker: when it ends, the event channel closes.
    let worker = {
        let id = id.clone();
        tokio::spawn(async move { tracker.run(&id).await })
    };
    // Every event is sent after the store was written: stopping here loses nothing.
    while let Some(event) = events.recv().await {
        if let JobEvent::Updated(job) = event
            && job.phase != Phase::Submitting
        {
            worker.abort();
            eprintln!(
                "accepted as {}; `makistry jobs resume` downloads it to {}",
                job.remote_id.as_deref().unwrap_or("?"),
                out.display()
            );
            return ExitCode::SUCCESS;
        }
    }
    match worker.await {
        Ok(Some(job)) => report(&job),
        _ => fail(
            "the job stopped unexpectedly",
            "Run `makistry jobs resume`.",
            exit::OTHER,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_names_come_from_the_prompt() {
        assert_eq!(
            default_out("A 40x20x10mm box with a 5mm hole", OutputFormat::Glb),
            PathBuf::from("a-40x20x10mm-box-with-a-5mm-hole.glb")
        );
        assert_eq!(
            default_out("!!!", OutputFormat::Step),
            PathBuf::from("makistry-part.step")
        );
    }
}
