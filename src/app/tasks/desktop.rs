//! The desktop around the window: file dialogs (where the portal exists), Save As, opening
//! files and folders with the system's apps, notifications.

use super::*;
use std::path::{Path, PathBuf};

/// Whether the system can show a file dialog. On Linux rfd goes through the desktop's file
/// portal (xdg-desktop-portal) and quietly returns nothing when there is none, which a user
/// would take for a broken button; elsewhere the dialogs are the OS's own.
pub(super) async fn file_dialogs_available() -> bool {
    #[cfg(target_os = "linux")]
    {
        const PORTAL: &str = "org.freedesktop.portal.Desktop";
        let Ok(connection) = zbus::Connection::session().await else {
            return false;
        };
        let Ok(bus) = zbus::fdo::DBusProxy::new(&connection).await else {
            return false;
        };
        let Ok(name) = zbus::names::BusName::try_from(PORTAL) else {
            return false;
        };
        if bus.name_has_owner(name).await.unwrap_or(false) {
            return true;
        }
        bus.list_activatable_names()
            .await
            .is_ok_and(|names| names.iter().any(|n| n.as_str() == PORTAL))
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// Opens the system's picker for images.
pub async fn pick_images(report: Reporter) {
    if !file_dialogs_available().await {
        report.send(Event::Notice(Notice::NoFileDialog(
            WithoutDialog::PickImages,
        )));
        return;
    }
    let files = rfd::AsyncFileDialog::new()
        .set_title("Attach reference images")
        .add_filter("Images", &["png", "jpg", "jpeg", "webp", "gif"])
        .pick_files()
        .await;
    if let Some(files) = files {
        report.send(Event::Picked(
            files.iter().map(|f| f.path().to_path_buf()).collect(),
        ));
    }
}

/// Opens the system's picker for a 3D file, then loads it; `to_compare_with`: a job the file
/// is to be shown beside.
pub async fn pick_model(report: Reporter, to_compare_with: Option<String>) {
    if !file_dialogs_available().await {
        report.send(Event::Notice(Notice::NoFileDialog(
            WithoutDialog::PickModel,
        )));
        return;
    }
    let file = rfd::AsyncFileDialog::new()
        .set_title("Open a 3D file")
        .add_filter("3D files", &["step", "stp", "glb", "stl", "3mf"])
        .pick_file()
        .await;
    let Some(file) = file.map(|f| f.path().to_path_buf()) else {
        return;
    };
    match to_compare_with {
        Some(job) => report.send(Event::PickedToCompare { job, file }),
        None => report.send(Event::Picked(vec![file])),
    }
}

/// Asks where to save `name`: the path and whether the user chose it (without a file dialog it
/// goes where downloads go, under a name not yet taken). `None`: cancelled, or nowhere to put
/// it (then said, with `fallback`).
pub(super) async fn ask_where(
    name: &str,
    fallback: WithoutDialog,
    report: &Reporter,
) -> Option<(PathBuf, bool)> {
    if file_dialogs_available().await {
        let target = rfd::AsyncFileDialog::new()
            .set_title("Save the part")
            .set_file_name(name)
            .save_file()
            .await?;
        return Some((target.path().to_path_buf(), true));
    }
    let Some(folder) = directories::UserDirs::new()
        .and_then(|dirs| dirs.download_dir().map(Path::to_path_buf))
        .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf()))
    else {
        report.send(Event::Notice(Notice::NoFileDialog(fallback)));
        return None;
    };
    Some((free_name(&folder, name), false))
}

/// What saving to `to` came to (`chosen`: where the user chose).
pub(super) fn saved_notice(
    to: PathBuf,
    chosen: bool,
    result: Option<Result<(), String>>,
) -> Notice {
    match result {
        Some(Ok(())) => Notice::Saved { to, chosen },
        Some(Err(reason)) => Notice::NotSaved { to, reason },
        None => Notice::SaveCut,
    }
}

/// Asks where to save a file and copies it there (atomically).
pub async fn save_as(file: PathBuf, name: String, report: Reporter) {
    let fallback = WithoutDialog::SaveCopyOf(file.clone());
    let Some((to, asked)) = ask_where(&name, fallback, &report).await else {
        return;
    };
    let target = to.clone();
    let copied =
        blocking(move || crate::jobs::copy_atomically(&file, &target).map_err(|e| e.to_string()))
            .await;
    report.send(Event::Notice(saved_notice(to, asked, copied)));
}

/// `folder/name`, or `folder/stem (2).ext` and so on if taken.
pub(super) fn free_name(folder: &Path, name: &str) -> PathBuf {
    let candidate = folder.join(name);
    if !candidate.exists() {
        return candidate;
    }
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
    (2..)
        .map(|n| folder.join(format!("{stem} ({n}).{extension}")))
        .find(|p| !p.exists())
        .unwrap_or(candidate)
}

/// Opens a file with the system's default app, or shows it in the file manager; says what
/// failed and where the file is when that did not work.
pub async fn open_externally(path: PathBuf, reveal: bool, report: Reporter) {
    let opening = path.clone();
    let opened = blocking(move || open_with_desktop(&opening, reveal)).await;
    if let Some(Err(reason)) = opened {
        report.send(Event::Notice(Notice::NotOpened {
            path,
            reveal,
            reason,
        }));
    }
}

/// On Linux, `opener` counts a started helper as success (and leaves it a zombie): the file
/// manager is asked over D-Bus, else `xdg-open` is run here and its answer waited for.
#[cfg(target_os = "linux")]
fn open_with_desktop(path: &Path, reveal: bool) -> Result<(), String> {
    if reveal && show_in_file_manager(path).is_ok() {
        return Ok(());
    }
    let target = if reveal {
        path.parent().unwrap_or(path)
    } else {
        path
    };
    run_opener(std::ffi::OsStr::new("xdg-open"), target)
}

#[cfg(not(target_os = "linux"))]
fn open_with_desktop(path: &Path, reveal: bool) -> Result<(), String> {
    let opened = if reveal {
        opener::reveal(path)
    } else {
        opener::open(path)
    };
    opened.map_err(|e| e.to_string())
}

/// The freedesktop file manager's "show these items" (Nautilus, Dolphin, Nemo, Thunar…).
#[cfg(target_os = "linux")]
fn show_in_file_manager(path: &Path) -> Result<(), String> {
    let uri = url::Url::from_file_path(path).map_err(|()| "not a full path".to_string())?;
    let bus = zbus::blocking::Connection::session().map_err(|e| e.to_string())?;
    bus.call_method(
        Some("org.freedesktop.FileManager1"),
        "/org/freedesktop/FileManager1",
        Some("org.freedesktop.FileManager1"),
        "ShowItems",
        &(vec![uri.as_str()], ""),
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// Runs `program target` (xdg-open, in the app), waits for it, and says in the app's words
/// why it failed: xdg-open's exit codes 3 (no tool for it) and 4 (the action failed).
#[cfg(target_os = "linux")]
fn run_opener(program: &std::ffi::OsStr, target: &Path) -> Result<(), String> {
    let status = std::process::Command::new(program)
        .arg(target)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    match status {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(match status.code() {
            Some(3) => "this desktop has no program set to open it".to_string(),
            Some(4) => "the program set to open it did not start".to_string(),
            _ => format!("{} gave up on it", program.to_string_lossy()),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "{} (which opens files on Linux desktops) is not installed",
            program.to_string_lossy()
        )),
        Err(e) => Err(format!(
            "{} could not start ({e})",
            program.to_string_lossy()
        )),
    }
}

/// Shows a desktop notification (when a job ends while the window is in the background).
pub async fn notify(summary: String, body: String) {
    let _ = blocking(move || {
        notify_rust::Notification::new()
            .appname("Makistry Desktop")
            .summary(&summary)
            .body(&body)
            .show()
            .map(|_| ())
    })
    .await;
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::run_opener;
    use std::ffi::OsStr;
    use std::path::Path;

    /// What the user is told when the desktop cannot open a file, with real processes: the
    /// helper missing, the helper failing (xdg-open's "no program for it"), the helper working.
    #[test]
    fn an_opener_that_fails_is_reported_in_words_and_waited_for() {
        let file = Path::new("/tmp/part.step");
        let missing = run_opener(OsStr::new("makistry-no-such-opener"), file).unwrap_err();
        assert!(missing.contains("is not installed"), "{missing}");
        let dir = tempfile::tempdir().unwrap();
        let no_program = dir.path().join("opener-without-program");
        std::fs::write(&no_program, "#!/bin/sh\nexit 3\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&no_program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let refused = run_opener(no_program.as_os_str(), file).unwrap_err();
        assert!(refused.contains("no program set to open it"), "{refused}");
        assert_eq!(run_opener(OsStr::new("true"), file), Ok(()));
    }
}
