//! The Makistry API client: wire types, typed errors, the retry policy and the request
//! budget, and the HTTP client that uses them. No UI here: the window and the CLI both use it.

mod budget;
mod client;
mod error;
mod partial_file;
mod request;
mod retry;
mod whole_file;
mod wire;

pub use budget::{RequestBudget, SharedLedger, Slot, Window, wait_for_slot};
pub use client::{
    Client, DEFAULT_BASE_URL, MAX_IMAGE_BYTES, MAX_IMAGES, MAX_PROMPT_CHARS, WaitObserver, Waiting,
    ignore_waits, parse_base_url,
};
pub use error::{ApiError, ErrorKind, JobErrorCode, ResubmitRule};
pub use request::{ImageUpload, JobRequest, clean_prompt, request_problem};
pub use retry::RetryPolicy;
pub use wire::{Accepted, Brainstorm, DesignMode, JobOut, JobStatus, OutputFormat};
