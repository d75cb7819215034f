//! Job tracking: the pure state machine ([`JobRecord`]), the history on disk ([`JobStore`]),
//! and the async worker that submits, polls, downloads and re-submits ([`Tracker`]).
//!
//! The rule that keeps a job from being lost or paid twice: a submission is stored with its
//! Idempotency-Key before the POST, and every outcome is stored before the next step. After a
//! crash at any point, resuming re-sends the same key (the server answers with the same job),
//! resumes polling, or downloads a finished file.

mod database;
mod errors;
mod lease;
mod legacy;
mod owner;
mod pages;
mod phase;
mod record;
mod recorded_error;
mod request_ledger;
mod search;
mod spec;
mod store;
mod worker;

pub use crate::attachments::ImageRef;
pub use database::SCHEMA_VERSION;
pub use errors::{DATA_DIR_VAR, Salvaged, StoreError, StoreNotice};
pub use lease::{HEARTBEAT, LEASE, on_store};
pub use pages::{Outline, OutlineEntry};
pub use phase::{Phase, ServiceReport};
pub use record::{JobRecord, Outcome, Step};
pub use recorded_error::RecordedError;
pub use request_ledger::StoreLedger;
pub use spec::{JobSpec, compose_prompt};
pub use store::{Changes, JobStore, data_dir};
pub use worker::{JobEvent, Tracker, copy_atomically, poll_interval};
