//! The desktop around the window: file dialogs (where the portal exists), Save As, opening
//! files and folders with the system's apps, notifications.

use super::*;
use crate::ui::Message;
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

pub(super) fn no_file_dialog(instead: &str) -> Message {
    Message::error(
        "This system has no file dialog (the desktop's file portal, xdg-desktop-portal, is \
         not running).",
        instead.to_string(),
    )
}

/// Opens the system's picker for images.
pub async fn pick_images(report: Reporter) {
    if !file_dialogs_available().await {
        report.send(Event::Notice(no_file_dialog(
            "Drop the images on the window, or copy one and press Paste.",
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

/// Opens the system's picker for a 3D file, then loads it.
pub async fn pick_model(report: Reporter) {
    if !file_dialogs_available().await {
        report.send(Event::Notice(no_file_dialog(
            "Drop the file on the window, or pass its path: makistry-desktop FILE.",
        )));
        return;
    }
    let file = rfd::AsyncFileDialog::new()
        .set_title("Open a 3D file")
        .add_filter("3D files", &["step", "stp", "glb", "stl", "3mf"])
        .pick_file()
        .await;
    if let Some(file) = file {
        report.send(Event::Picked(vec![file.path().to_path_buf()]));
    }
}

/// Asks where to save a file and copies it there (atomically).
pub async fn save_as(file: PathBuf, name: String, report: Reporter) {
    let asked = file_dialogs_available().await;
    let to = if asked {
        let Some(target) = rfd::AsyncFileDialog::new()
            .set_title("Save the part")
            .set_file_name(&name)
            .save_file()
            .await
        else {
            return;
        };
        target.path().to_path_buf()
    } else {
        // No dialog to ask with: save where downloads go, under a name not yet taken.
        let Some(folder) = directories::UserDirs::new()
            .and_then(|dirs| dirs.download_dir().map(Path::to_path_buf))
            .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf()))
        else {
            report.send(Event::Notice(no_file_dialog(&format!(
                "The file is at {}.",
                file.display()
            ))));
            return;
        };
        free_name(&folder, &name)
    };
    let shown = to.clone();
    let copied = blocking(move || crate::jobs::copy_atomically(&file, &to)).await;
    report.send(Event::Notice(match copied {
        Some(Ok(())) if asked => Message::info(format!("Saved {}.", shown.display())),
        Some(Ok(())) => Message::info(format!(
            "There is no file dialog on this system (xdg-desktop-portal is not running), so \
             it was saved as {}.",
            shown.display()
        )),
        Some(Err(e)) => Message::error(
            format!("{} could not be saved: {e}.", shown.display()),
            "Choose another folder, or check the disk has space.",
        ),
        None => Message::error("The file could not be saved.", "Try again."),
    }));
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

/// Opens a file with the system's default app, or shows it in the file manager.
pub async fn open_externally(path: PathBuf, reveal: bool, report: Reporter) {
    let shown = path.display().to_string();
    let opened = blocking(move || {
        if reveal {
            opener::reveal(&path)
        } else {
            opener::open(&path)
        }
    })
    .await;
    if let Some(Err(e)) = opened {
        let what = if reveal {
            "The file manager could not be opened"
        } else {
            "No app could open the file"
        };
        report.send(Event::Notice(Message::error(
            format!("{what} ({e})."),
            format!("The file is at {shown}."),
        )));
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
