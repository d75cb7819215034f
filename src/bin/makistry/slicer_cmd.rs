//! `makistry slicer list` and `makistry slicer open FILE|JOB [--with NAME]`: the installed
//! slicers, and a part handed to one (as 3MF, or STL where it takes only that), written first
//! to the data dir's `exports/` so the slicer reads a file that stays.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use makistry::slicer::{self, SUPPORTED, Slicer};

use crate::common::{self, exit, fail};

/// Options of `makistry slicer`.
#[derive(Args)]
pub struct SlicerArgs {
    #[command(subcommand)]
    action: SlicerAction,
}

/// `makistry slicer …`.
#[derive(Subcommand)]
enum SlicerAction {
    /// The supported slicers installed here, and their desktop entries.
    List,
    /// Open a part in a slicer: a file, or a job by its id (or the start of it).
    Open {
        /// A STEP, GLB, STL or 3MF file, or a job id.
        part: String,
        /// Which slicer (the first installed one of the list if not given).
        #[arg(long, value_name = "NAME")]
        with: Option<String>,
    },
}

/// Runs `makistry slicer`.
pub async fn run(args: SlicerArgs) -> ExitCode {
    let found = tokio::task::spawn_blocking(slicer::find)
        .await
        .unwrap_or_default();
    match args.action {
        SlicerAction::List => {
            if found.is_empty() {
                return none_found();
            }
            for slicer in &found {
                let format = if slicer.takes_3mf { "3MF" } else { "STL" };
                out!("{}\t{format}\t{}", slicer.name, slicer.entry.display());
            }
            ExitCode::SUCCESS
        }
        SlicerAction::Open { part, with } => {
            let chosen = match &with {
                Some(name) => found.iter().find(|s| {
                    s.name
                        .replace(' ', "")
                        .eq_ignore_ascii_case(&name.replace(' ', ""))
                }),
                None => found.first(),
            };
            let Some(chosen) = chosen.cloned() else {
                return match with {
                    Some(name) if !found.is_empty() => fail(
                        &format!("{name} is not installed here"),
                        &format!(
                            "Installed: {}.",
                            found
                                .iter()
                                .map(|s| s.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        exit::USER,
                    ),
                    _ => none_found(),
                };
            };
            open(&part, chosen).await
        }
    }
}

fn none_found() -> ExitCode {
    let looked_in: Vec<String> = slicer::application_dirs()
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    fail(
        &format!(
            "no slicer found: this looks for {} by their desktop entries in {}",
            SUPPORTED.join(", "),
            looked_in.join(", ")
        ),
        "Install one from its maker's site or Flathub (for example `flatpak install flathub \
         com.prusa3d.PrusaSlicer`), then try again.",
        exit::USER,
    )
}

/// The file behind `part` and the name to give its copy: a path (named as it is), or the file
/// of the job whose id starts so (named after its project).
async fn file_of(part: &str) -> Result<(PathBuf, String), ExitCode> {
    let path = PathBuf::from(part);
    if path.exists() {
        let stem = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        return Ok((path, stem));
    }
    let store = common::open_store_for_reading().await?;
    let jobs = makistry::jobs::on_store(&store, |s| s.all().map(|all| all.jobs))
        .await
        .map_err(|e| fail(&e.to_string(), "", exit::OTHER))?;
    let matching: Vec<_> = jobs.iter().filter(|j| j.id.starts_with(part)).collect();
    match matching.as_slice() {
        [job] => (job
            .file()
            .map(std::path::Path::to_path_buf)
            .filter(|f| f.exists()))
        .map(|file| {
            let name = makistry::ui::result::suggested_name(job);
            let stem = name
                .rsplit_once('.')
                .map_or(name.as_str(), |(stem, _)| stem);
            (file, stem.to_string())
        })
        .ok_or_else(|| {
            fail(
                &format!("job {} has no downloaded file", common::short_id(job)),
                "Run `makistry jobs resume` to download it.",
                exit::USER,
            )
        }),
        [] => Err(fail(
            &format!("{part} is neither a file nor a job of the history"),
            "Give a file's path, or a job id from `makistry jobs`.",
            exit::USER,
        )),
        _ => Err(fail(
            &format!("{part} starts the ids of {} jobs", matching.len()),
            "Give more of the id.",
            exit::USER,
        )),
    }
}

async fn open(part: &str, slicer: Slicer) -> ExitCode {
    let (file, name) = match file_of(part).await {
        Ok(found) => found,
        Err(code) => return code,
    };
    let exports = match makistry::jobs::data_dir() {
        Ok(dir) => dir.join("exports"),
        Err(e) => return fail(&e.to_string(), "", exit::OTHER),
    };
    let name_of_slicer = slicer.name.clone();
    let handed = tokio::task::spawn_blocking(move || {
        let model = makistry::model::load_path(&file)
            .map_err(|e| format!("{} could not be read: {e}", file.display()))?;
        let y_up = makistry::model::export::read_with_y_up(&file);
        slicer::hand_over(&slicer, (&model, y_up), &name, &exports)
    })
    .await;
    match handed {
        Ok(Ok(handed)) => {
            eprintln!("opened in {name_of_slicer}");
            out!("{}", handed.display());
            ExitCode::SUCCESS
        }
        Ok(Err(reason)) => fail(&reason, "", exit::USER),
        Err(e) => fail(
            &format!("handing the part over failed: {e}"),
            "",
            exit::OTHER,
        ),
    }
}
