//! One integration-test binary (fast to link), with a module per area.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod cli;
mod client;
mod corpus;
mod corpus_wild;
mod emulator_api;
mod emulator_files;
mod emulator_images;
mod emulator_jobs;
mod history;
mod history_search;
mod model;
mod nothing_lost;
#[cfg(feature = "step-preview")]
mod step_mesher;
mod tracker;
mod ui;
mod window;
mod window_history;
mod window_layout;
mod window_messages;
#[cfg(feature = "step-preview")]
mod workshop;

#[cfg(feature = "system-tests")]
mod system;
#[cfg(feature = "system-tests")]
mod system_disk;
#[cfg(feature = "system-tests")]
mod system_view;
