//! The sentences for what background work reports ([`Notice`]): what happened and what to do
//! next, in the app's words.

use super::tasks::{Notice, WithoutDialog};
use crate::keychain::KeychainError;
use crate::ui::Message;

const NO_DIALOG: &str = "This system has no file dialog (the desktop's file portal, \
                         xdg-desktop-portal, is not running).";

/// The message that says `notice`.
pub(super) fn notice_message(notice: &Notice) -> Message {
    match notice {
        Notice::Saved { to, chosen: true } => Message::info(format!("Saved {}.", to.display())),
        Notice::Saved { to, chosen: false } => Message::info(format!(
            "There is no file dialog on this system (xdg-desktop-portal is not running), so \
             it was saved as {}.",
            to.display()
        )),
        Notice::NotSaved { to, reason } => Message::error(
            format!("{} could not be saved: {reason}.", to.display()),
            "Choose another folder, or check the disk has space.",
        ),
        Notice::SaveCut => Message::error("The file could not be saved.", "Try again."),
        Notice::NoFileDialog(doing) => Message::error(NO_DIALOG, instead(doing)),
        Notice::NotOpened {
            path,
            reveal,
            reason,
        } => {
            let what = if *reveal {
                "The file manager could not be opened"
            } else {
                "No app could open the file"
            };
            let shown = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            Message::error(
                format!("{what}: {reason}."),
                format!(
                    "The file is at {} (select the path to copy it).",
                    shown.display()
                ),
            )
        }
        Notice::InSlicer { slicer, file } => {
            Message::info(format!("Opened in {slicer} (as {}).", file.display()))
        }
        Notice::NotInSlicer { slicer, reason } => Message::error(
            format!("The part could not be opened in {slicer}: {reason}."),
            "Save it with Export and open it from the slicer instead.",
        ),
        Notice::NoScreenshot(reason) => Message::error(
            format!("The screenshot could not be made: {reason}."),
            "Use your system's screenshot tool instead.",
        ),
        Notice::JobNotChanged(e) => Message::error(
            format!("The job could not be changed: {e}."),
            "Check the disk has space and try again.",
        ),
        Notice::NotSearched(e) => Message::error(
            format!("The history could not be searched: {e}."),
            "Try again; if it keeps failing, restart the app.",
        ),
        Notice::DraftNotSaved(e) => Message::error(
            format!("{e}."),
            "Your text is still in the window; check the disk has space.",
        ),
    }
}

/// What the user reads when a working key could not be kept: in words, with a next step
/// (the keychain's own message went to the log).
pub(super) fn unstored_key_message(e: &KeychainError) -> Message {
    Message::error(
        format!(
            "The key works, but it could not be kept: {}. It is used until the app closes, \
             and asked for again next time.",
            e.sentence()
        ),
        e.action(),
    )
}

/// What the user can do without a file dialog.
fn instead(doing: &WithoutDialog) -> String {
    match doing {
        WithoutDialog::PickImages => {
            "Drop the images on the window, or copy one and press Paste.".into()
        }
        WithoutDialog::PickModel => {
            "Drop the file on the window, or pass its path: makistry-desktop FILE.".into()
        }
        WithoutDialog::Export => "Use `makistry convert` to write the file from a terminal.".into(),
        WithoutDialog::SaveCopyOf(file) => format!("The file is at {}.", file.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_save_says_where_the_file_went_and_a_failure_what_to_do() {
        let saved = notice_message(&Notice::Saved {
            to: "/home/u/cap.step".into(),
            chosen: true,
        });
        assert_eq!(saved.sentence, "Saved /home/u/cap.step.");
        let failed = notice_message(&Notice::NotSaved {
            to: "/media/usb/cap.step".into(),
            reason: "No space left on device (os error 28)".into(),
        });
        assert!(failed.is_error);
        assert!(
            failed
                .sentence
                .starts_with("/media/usb/cap.step could not be saved")
        );
        assert!(
            failed.action.contains("disk has space"),
            "{}",
            failed.action
        );
    }

    #[test]
    fn without_a_file_dialog_each_task_offers_its_own_way_round() {
        let ways: Vec<String> = [
            WithoutDialog::PickImages,
            WithoutDialog::PickModel,
            WithoutDialog::Export,
            WithoutDialog::SaveCopyOf("/data/files/7f1c.step".into()),
        ]
        .into_iter()
        .map(|doing| notice_message(&Notice::NoFileDialog(doing)).action)
        .collect();
        assert!(ways[0].contains("Paste") && ways[1].contains("makistry-desktop FILE"));
        assert!(ways[2].contains("makistry convert"));
        assert!(ways[3].contains("/data/files/7f1c.step"));
    }

    /// With no Secret Service (the D-Bus text a Linux machine gives then), the user reads what
    /// happened in words and what to do, never the library's message.
    #[test]
    fn a_key_that_cannot_be_kept_is_explained_in_words() {
        let dbus = "zbus error: Failed to connect to address unix:path=/run/user/0/bus";
        for e in [
            KeychainError::Unavailable(dbus.into()),
            KeychainError::Failed(dbus.into()),
        ] {
            let note = unstored_key_message(&e);
            assert!(!note.sentence.contains("zbus") && !note.action.contains("zbus"));
            assert!(
                note.sentence.contains("could not be kept"),
                "{}",
                note.sentence
            );
            assert!(!note.action.is_empty());
        }
    }

    #[test]
    fn a_file_that_would_not_open_is_given_with_its_whole_path() {
        let message = notice_message(&Notice::NotOpened {
            path: "parts/cap.step".into(),
            reveal: true,
            reason: "no file manager answered".into(),
        });
        assert!(
            message
                .sentence
                .starts_with("The file manager could not be opened")
        );
        let whole = std::path::absolute("parts/cap.step").unwrap();
        assert!(message.action.contains(&whole.display().to_string()));
    }
}
