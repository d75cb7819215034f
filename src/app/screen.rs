//! Which screen is up, carrying what it shows, so the screen and the connection cannot
//! disagree: the main screen is the only one with a connection, and the key form exists only
//! where it is shown (the welcome screen, or over the main screen for Replace).
//!
//! Generic over the connection so the transitions are tested without a network or a window.

use super::tasks::{ConnectProblem, Connection};
use crate::ui::Message;
use crate::ui::welcome::KeyForm;

/// The screen, with what it needs.
pub(super) enum Screen<C = Connection> {
    /// Looking for a key (a fraction of a second).
    Starting,
    /// No connection: paste a key or try the demo.
    Welcome(KeyForm),
    /// Connecting with a stored key or to the demo, with no connection in use yet.
    Connecting,
    /// The form, jobs and results of a connection; the key form may be open over them.
    Main {
        /// The API (or the demo) in use.
        connection: C,
        /// The key form, while open (Replace, or "Use an API key…" in the demo).
        key_form: Option<KeyForm>,
    },
}

impl<C> Screen<C> {
    /// The welcome screen, saying why (a keychain that could not be read) if there is a why.
    pub(super) fn welcome(problem: Option<Message>) -> Self {
        Self::Welcome(KeyForm {
            problem,
            ..KeyForm::default()
        })
    }

    /// The connection in use, if any.
    pub(super) fn connection(&self) -> Option<&C> {
        match self {
            Self::Main { connection, .. } => Some(connection),
            _ => None,
        }
    }

    /// The key form where it is shown.
    pub(super) fn key_form_mut(&mut self) -> Option<&mut KeyForm> {
        match self {
            Self::Welcome(form) => Some(form),
            Self::Main { key_form, .. } => key_form.as_mut(),
            _ => None,
        }
    }

    /// A connection (stored key, demo) is being made. With a connection in use, the main
    /// screen stays until the new one is up.
    pub(super) fn start_connecting(&mut self) {
        if self.connection().is_none() {
            *self = Self::Connecting;
        }
    }

    /// Connected: the main screen, key form closed. Gives back the connection replaced.
    pub(super) fn connected(&mut self, connection: C) -> Option<C> {
        let new = Self::Main {
            connection,
            key_form: None,
        };
        match std::mem::replace(self, new) {
            Self::Main { connection, .. } => Some(connection),
            _ => None,
        }
    }

    /// The connection is gone (the key was removed): the welcome screen, blank. Gives it back.
    pub(super) fn disconnect(&mut self) -> Option<C> {
        match std::mem::replace(self, Self::welcome(None)) {
            Self::Main { connection, .. } => Some(connection),
            _ => None,
        }
    }

    /// A key was refused or a connection failed. The reason goes into the key form where one
    /// is shown (a first connection opens the welcome screen for it); over a main screen
    /// without the form it is given back, for the messages. The old connection keeps working.
    pub(super) fn connecting_failed(&mut self, message: Message) -> Option<Message> {
        if matches!(self, Self::Starting | Self::Connecting) {
            *self = Self::welcome(None);
        }
        match self.key_form_mut() {
            Some(form) => {
                form.busy = false;
                form.stop_check = None;
                form.problem = Some(message);
                None
            }
            None => Some(message),
        }
    }

    /// Opens the key form over the main screen, blank.
    pub(super) fn open_key_form(&mut self) {
        if let Self::Main { key_form, .. } = self {
            *key_form = Some(KeyForm::default());
        }
    }

    /// Closes the key form over the main screen (the welcome screen's stays).
    pub(super) fn close_key_form(&mut self) {
        if let Self::Main { key_form, .. } = self {
            *key_form = None;
        }
    }

    /// A background task died: nothing waits for what it would have said.
    pub(super) fn task_panicked(&mut self) {
        if matches!(self, Self::Starting | Self::Connecting) {
            *self = Self::welcome(None);
        }
        if let Some(form) = self.key_form_mut() {
            form.busy = false;
            form.stop_check = None;
        }
    }

    /// The user stopped the key check (no network, say): the key is not kept, and the form
    /// offers to check again or to keep it unchecked.
    pub(super) fn stop_key_check(&mut self) {
        if let Some(form) = self.key_form_mut()
            && let Some(stop) = form.stop_check.take()
        {
            let _ = stop.send(());
            form.busy = false;
            form.offer_unchecked = true;
            form.problem = Some(Message::info(
                "Checking stopped: the key was not saved. Check again, or save it without \
                 checking.",
            ));
        }
    }
}

/// Why a key or the demo could not be used, in the window's words: what happened, then what
/// to do.
pub(super) fn connect_problem_message(problem: &ConnectProblem) -> Message {
    match problem {
        ConnectProblem::KeyRefused(e) => Message::error(
            e.sentence(),
            "Check you copied the whole key, or make a new one in your Makistry dashboard.",
        ),
        ConnectProblem::KeyUnchecked(e) => Message::error(
            format!("The key could not be checked. {}", e.sentence()),
            "Check the connection and press Check again, or save the key without checking it \
             (a wrong key then shows when the first job is sent).",
        ),
        ConnectProblem::Client(e) => Message::error(e.sentence(), e.action()),
        ConnectProblem::DemoNotStarted(reason) => Message::error(
            format!("The offline demo could not start: {reason}."),
            "Close other copies of the app and try again.",
        ),
        ConnectProblem::HistoryUnopened(reason) => Message::error(
            match reason {
                Some(reason) => format!("The job history could not be opened: {reason}."),
                None => "The job history could not be opened.".into(),
            },
            "Check the disk has space and the folder can be written.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> Message {
        Message::error("The API did not accept this key.", "Check the key.")
    }

    #[test]
    fn a_first_connection_that_fails_shows_why_on_the_welcome_screen() {
        let mut screen: Screen<&str> = Screen::Starting;
        screen.start_connecting();
        assert!(matches!(screen, Screen::Connecting));
        assert!(screen.connecting_failed(refused()).is_none());
        let Screen::Welcome(form) = &screen else {
            panic!("not the welcome screen")
        };
        assert_eq!(
            form.problem.as_ref().map(|m| m.sentence.as_str()),
            Some(refused().sentence.as_str())
        );
        assert!(screen.connection().is_none());
    }

    #[test]
    fn a_connection_in_use_keeps_the_main_screen_while_another_is_tried() {
        let mut screen: Screen<&str> = Screen::welcome(None);
        assert_eq!(screen.connected("demo"), None);
        screen.start_connecting();
        assert_eq!(
            screen.connection(),
            Some(&"demo"),
            "the demo stays while a key is checked"
        );
        // Failing without the key form open: the message goes to the list.
        assert!(screen.connecting_failed(refused()).is_some());
        // With the form open: into the form, and the form stops being busy.
        screen.open_key_form();
        screen.key_form_mut().unwrap().busy = true;
        assert!(screen.connecting_failed(refused()).is_none());
        let form = screen.key_form_mut().unwrap();
        assert!(!form.busy && form.problem.is_some());
        assert_eq!(screen.connection(), Some(&"demo"));
        // The new key connects: the form closes, the old connection is handed back.
        assert_eq!(screen.connected("key"), Some("demo"));
        assert!(screen.key_form_mut().is_none());
    }

    #[test]
    fn removing_the_key_leaves_a_blank_welcome_screen() {
        let mut screen: Screen<&str> = Screen::welcome(None);
        screen.key_form_mut().unwrap().input = "mk_pub_typed".into();
        screen.connected("key");
        screen.open_key_form();
        assert_eq!(screen.disconnect(), Some("key"));
        let Screen::Welcome(form) = &screen else {
            panic!("not the welcome screen")
        };
        assert!(form.input.is_empty() && form.problem.is_none());
        // The welcome screen's form cannot be closed: there is nothing under it.
        screen.close_key_form();
        assert!(screen.key_form_mut().is_some());
    }

    #[test]
    fn a_panicked_task_leaves_no_screen_waiting() {
        let mut screen: Screen<&str> = Screen::Connecting;
        screen.task_panicked();
        assert!(matches!(screen, Screen::Welcome(_)));
        screen.key_form_mut().unwrap().busy = true;
        screen.task_panicked();
        assert!(!screen.key_form_mut().unwrap().busy, "Save key works again");
    }
}
