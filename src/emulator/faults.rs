//! Fault injection for reliability tests: infrastructure errors, slow answers, dropped
//! connections and broken downloads. Counted faults ("the next N") are deterministic, for tests;
//! `error_rate` is random, for soak runs and the demo.

use serde::{Deserialize, Serialize};

/// Faults to inject. All zero (the default) means a healthy server. Settable when starting the
/// emulator, from `Emulator::set_faults`, and over HTTP with `PUT /_emulator/faults`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Share (0.0–1.0) of `/v1` requests answered `503` at random, before they are processed.
    pub error_rate: f64,
    /// The next N `/v1` requests are answered `503` before they are processed.
    pub fail_next: u32,
    /// The next N job submissions create their job, then answer `502` as if the response was
    /// lost on the way back: only a replay with the same `Idempotency-Key` avoids a second job.
    pub fail_after_commit_next: u32,
    /// The next N `/v1` requests have their connection closed without a complete answer.
    pub drop_next: u32,
    /// Every `/v1` answer and every download start is delayed by this many milliseconds.
    pub delay_ms: u64,
    /// The next N downloads send half the file, then the connection is cut.
    pub cut_download_next: u32,
    /// The next N downloads are complete as HTTP (matching `Content-Length`) but the file itself
    /// is cut in half, as a broken storage object would be.
    pub truncate_download_next: u32,
    /// Job answers that keep to the contract's letter but not to its examples: fields it does
    /// not name, `null` in every optional place (empty brainstorm lists included), counts as
    /// floats. What a changed server might send.
    pub odd_answers: bool,
    /// A job being worked on reports the undocumented status `running` instead of
    /// `processing`.
    pub undocumented_status: bool,
    /// Download links point to a host-local redirect (`307`) to the signed file.
    pub redirect_downloads: bool,
}

/// What to do with one `/v1` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestFault {
    /// Process it.
    None,
    /// Answer 503 without processing.
    ServiceUnavailable,
    /// Close the connection without a complete answer.
    Drop,
}

/// What to do with one download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadFault {
    /// Serve the file.
    None,
    /// Send half, then cut the connection.
    Cut,
    /// Serve the first half of the file as if it were all of it.
    Truncate,
}

/// Takes one from a "next N" counter; true if it was non-zero.
fn take(counter: &mut u32) -> bool {
    let had = *counter > 0;
    *counter = counter.saturating_sub(1);
    had
}

impl Faults {
    /// Decides (and consumes) the fault for the next `/v1` request.
    pub fn next_request(&mut self) -> RequestFault {
        if take(&mut self.drop_next) {
            RequestFault::Drop
        } else if take(&mut self.fail_next)
            || (self.error_rate > 0.0 && rand::random::<f64>() < self.error_rate)
        {
            RequestFault::ServiceUnavailable
        } else {
            RequestFault::None
        }
    }

    /// Decides (and consumes) whether a committed submission loses its answer.
    pub fn next_commit_lost(&mut self) -> bool {
        take(&mut self.fail_after_commit_next)
    }

    /// Decides (and consumes) the fault for the next download.
    pub fn next_download(&mut self) -> DownloadFault {
        if take(&mut self.cut_download_next) {
            DownloadFault::Cut
        } else if take(&mut self.truncate_download_next) {
            DownloadFault::Truncate
        } else {
            DownloadFault::None
        }
    }
}
