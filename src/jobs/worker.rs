//! The async side of a job: performs what the state machine asks (submit, poll, download,
//! re-submit), records every outcome in the store before going on, and reports each change as
//! a [`JobEvent`]. Several jobs run at once; their polls slow down together so they share the
//! key's request budget.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc::UnboundedSender;

use super::Phase;
use super::errors::StoreError;
use super::lease::{Driving, on_store};
use super::record::{JobRecord, Outcome, Step};
use super::store::JobStore;
use crate::api::{ApiError, Client, JobRequest, JobStatus, Waiting};
use crate::attachments;

/// What the window (or the CLI) hears about a job.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    /// The job changed; this is its new state, already stored.
    Updated(Box<JobRecord>),
    /// A request is waiting before its next attempt (rate limit, server or network error).
    Waiting {
        /// The job's local id.
        job_id: String,
        /// Why and how long.
        waiting: Waiting,
    },
    /// Download progress.
    Progress {
        /// The job's local id.
        job_id: String,
        /// Bytes so far.
        received: u64,
        /// Total, when the server said.
        total: Option<u64>,
    },
    /// The history could not be written: the job goes on, but would not survive a restart.
    StoreFailed {
        /// What went wrong, for the user.
        message: String,
    },
}

/// Poll delay before the next GET: 5 s during the first 30 s after submission, then 15 s
/// (contract §4), multiplied by the number of jobs polling with the same key, so that together
/// they poll no faster than one job would.
pub fn poll_interval(since_submission: Duration, jobs_polling: usize) -> Duration {
    let base = if since_submission < Duration::from_secs(30) {
        Duration::from_secs(5)
    } else {
        Duration::from_secs(15)
    };
    base * u32::try_from(jobs_polling.max(1)).unwrap_or(u32::MAX)
}

/// Runs jobs for one API key.
#[derive(Clone)]
pub struct Tracker {
    client: Client,
    store: Arc<JobStore>,
    events: UnboundedSender<JobEvent>,
    wake: Arc<dyn Fn() + Send + Sync>,
    polling: Arc<AtomicUsize>,
    time_scale: f64,
    /// How long to wait before downloading again after a local file error (a full disk);
    /// `None` stops the run instead, leaving the job for `jobs resume`.
    file_error_wait: Option<Duration>,
}

/// Counts a job as polling while alive.
struct PollingGuard(Arc<AtomicUsize>);

impl Drop for PollingGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Download attempts before a job waits for the user (each gets a fresh link).
const DOWNLOAD_ATTEMPTS: u32 = 3;

impl Tracker {
    /// A tracker that stores jobs in `store`, sends events on `events` and calls `wake` after
    /// each (the window's repaint request; a no-op for the CLI).
    pub fn new(
        client: Client,
        store: Arc<JobStore>,
        events: UnboundedSender<JobEvent>,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> Self {
        Self {
            client,
            store,
            events,
            wake,
            polling: Arc::new(AtomicUsize::new(0)),
            time_scale: 1.0,
            file_error_wait: None,
        }
    }

    /// After a local file error (a full disk), downloads again every `wait` for as long as the
    /// process runs (the window), instead of leaving the job for `jobs resume` (the CLI).
    pub fn retrying_file_errors_every(mut self, wait: Duration) -> Self {
        self.file_error_wait = Some(wait);
        self
    }

    /// Scales every wait the tracker makes (poll intervals, time-outs, re-submission delays);
    /// tests use a small factor to run the contract's schedule quickly.
    pub fn with_time_scale(mut self, scale: f64) -> Self {
        self.time_scale = scale;
        self
    }

    /// The store jobs are recorded in.
    pub fn store(&self) -> &Arc<JobStore> {
        &self.store
    }

    fn emit(&self, event: JobEvent) {
        let _ = self.events.send(event);
        (self.wake)();
    }

    fn scaled(&self, d: Duration) -> Duration {
        d.mul_f64(self.time_scale)
    }

    /// Records a new job (before anything is sent) and returns it.
    pub async fn record(&self, job: JobRecord) -> Result<JobRecord, StoreError> {
        let stored = job.clone();
        on_store(&self.store, move |s| s.insert(stored)).await?;
        self.emit(JobEvent::Updated(Box::new(job.clone())));
        Ok(job)
    }

    /// Reports a job changed outside the tracker (e.g. set up again for Retry).
    pub fn announce(&self, job: JobRecord) {
        self.emit(JobEvent::Updated(Box::new(job)));
    }

    /// Stores the driver's copy of a job. A history that cannot be written is said once (the
    /// job goes on in memory); a lease another process took stops the run.
    async fn save(&self, job: &JobRecord, said: &mut bool) -> Result<(), StoreError> {
        let (id, copy) = (job.id.clone(), job.clone());
        match on_store(&self.store, move |s| {
            s.update_as_driver(&id, |stored| *stored = copy)
        })
        .await
        {
            Ok(_) => Ok(()),
            Err(StoreError::LeaseLost) => Err(StoreError::LeaseLost),
            Err(e) => {
                if !*said {
                    *said = true;
                    self.emit(JobEvent::StoreFailed {
                        message: e.to_string(),
                    });
                }
                Ok(())
            }
        }
    }

    /// Drives a job until it settles, or until it needs the user (a submission that could not
    /// be sent, a download that kept failing), while this process holds its lease. Returns its
    /// last state: as stored, unchanged, when another process drives it.
    pub async fn run(&self, id: &str) -> Option<JobRecord> {
        let owned = id.to_string();
        let mut job = match on_store(&self.store, move |s| s.get(&owned)).await {
            Ok(job) => job?,
            Err(e) => {
                self.emit(JobEvent::StoreFailed {
                    message: e.to_string(),
                });
                return None;
            }
        };
        let driving = match Driving::take(&self.store, id).await {
            Ok(Some(driving)) => driving,
            Ok(None) => return Some(job),
            Err(e) => {
                self.emit(JobEvent::StoreFailed {
                    message: e.to_string(),
                });
                return Some(job);
            }
        };
        let mut said = false;
        let mut download_failures = 0;
        loop {
            if driving.lost() {
                return Some(job);
            }
            let outcome = match job.next_step(Utc::now()) {
                Step::Stop => return Some(job),
                Step::Submit => self.submit(&job).await,
                Step::Poll { since_submission } => self.poll(&job, since_submission).await,
                Step::Download => self.download(&job).await,
                Step::WaitToResubmit { at } => {
                    if let Ok(wait) = (at - Utc::now()).to_std() {
                        tokio::time::sleep(wait).await;
                    }
                    Outcome::ResubmitDue
                }
            };
            let submission_failed = matches!(job.phase, Phase::Submitting)
                && matches!(outcome, Outcome::RequestFailed(_));
            let download_failed = matches!(job.phase, Phase::Downloading { .. })
                && matches!(outcome, Outcome::RequestFailed(_));
            let file_error = download_failed
                && matches!(&outcome, Outcome::RequestFailed(e) if e.is_local_file_error());
            let before = job.clone();
            job.apply(outcome, Utc::now(), self.time_scale);
            // Written only when something changed; reported after every step (the window
            // clears a finished wait's countdown on it).
            if job != before && self.save(&job, &mut said).await.is_err() {
                return Some(job);
            }
            self.emit(JobEvent::Updated(Box::new(job.clone())));
            if let (Phase::Done { .. }, Some(out)) = (&job.phase, job.out_path.clone())
                && let Err(error) = self.copy_to_out_path(&job, &out).await
            {
                job.error = Some(super::RecordedError::file(&error));
                let _ = self.save(&job, &mut said).await;
                self.emit(JobEvent::Updated(Box::new(job.clone())));
            }
            // A submission the client already retried is left for the user (or `jobs resume`)
            // with its Idempotency-Key, so sending it again cannot create a second job.
            if submission_failed && job.phase == Phase::Submitting {
                return Some(job);
            }
            // The server's part is safe; only space (or a folder) is missing here: retried
            // while the window runs, else left for `jobs resume`. Never re-submitted.
            if file_error && matches!(job.phase, Phase::Downloading { .. }) {
                match self.file_error_wait {
                    Some(wait) => {
                        tokio::time::sleep(self.scaled(wait)).await;
                        continue;
                    }
                    None => return Some(job),
                }
            }
            if download_failed && matches!(job.phase, Phase::Downloading { .. }) {
                download_failures += 1;
                if download_failures >= DOWNLOAD_ATTEMPTS {
                    return Some(job);
                }
                tokio::time::sleep(self.scaled(Duration::from_secs(2 << download_failures))).await;
            }
        }
    }

    async fn submit(&self, job: &JobRecord) -> Outcome {
        let request = match self.request_for(job).await {
            Ok(request) => request,
            Err(error) => return Outcome::RequestFailed(error),
        };
        let id = job.id.clone();
        let on_wait = |waiting: &Waiting| {
            self.emit(JobEvent::Waiting {
                job_id: id.clone(),
                waiting: waiting.clone(),
            })
        };
        match self
            .client
            .submit(&request, &job.idempotency_key, &on_wait)
            .await
        {
            Ok(accepted) => Outcome::Accepted {
                remote_id: accepted.job_id,
                status: accepted.status,
            },
            Err(error) => Outcome::RequestFailed(error),
        }
    }

    /// Rebuilds the request from the record, reading the images again and making sure they
    /// are the ones recorded.
    async fn request_for(&self, job: &JobRecord) -> Result<JobRequest, ApiError> {
        let images = job.spec.images.clone();
        let uploads = tokio::task::spawn_blocking(move || {
            images
                .iter()
                .map(|image| {
                    let attachment =
                        attachments::load(&image.path).map_err(|e| ApiError::ImageUnavailable {
                            detail: e.to_string(),
                        })?;
                    if attachment.sha256 != image.sha256 {
                        return Err(ApiError::ImageUnavailable {
                            detail: format!(
                                "{} changed since the job was recorded",
                                image.path.display()
                            ),
                        });
                    }
                    Ok(attachment.upload())
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|e| ApiError::ImageUnavailable {
            detail: format!("Reading the images failed: {e}"),
        })??;
        Ok(JobRequest {
            prompt: job.prompt_to_send(),
            mode: job.spec.mode,
            format: job.spec.format,
            images: uploads,
            metadata: None,
        })
    }

    async fn poll(&self, job: &JobRecord, since_submission: Duration) -> Outcome {
        let timeout = self.scaled(job.spec.mode.client_timeout());
        if since_submission >= timeout {
            return Outcome::TimedOut;
        }
        self.polling.fetch_add(1, Ordering::SeqCst);
        let _guard = PollingGuard(self.polling.clone());
        let interval = self.scaled(poll_interval(
            since_submission,
            self.polling.load(Ordering::SeqCst),
        ));
        tokio::time::sleep(interval.min(timeout - since_submission)).await;
        let Some(remote_id) = job.remote_id.as_deref() else {
            return Outcome::RequestFailed(ApiError::NoServerId);
        };
        let id = job.id.clone();
        let on_wait = |waiting: &Waiting| {
            self.emit(JobEvent::Waiting {
                job_id: id.clone(),
                waiting: waiting.clone(),
            })
        };
        match self.client.get_job(remote_id, &on_wait).await {
            Ok(out) => Outcome::Polled(out),
            Err(error) => Outcome::RequestFailed(error),
        }
    }

    async fn download(&self, job: &JobRecord) -> Outcome {
        let Some(remote_id) = job.remote_id.as_deref() else {
            return Outcome::RequestFailed(ApiError::NoServerId);
        };
        // Links are re-signed on every GET and expire: always fetch a fresh one first.
        let out = match self
            .client
            .get_job(remote_id, &crate::api::ignore_waits)
            .await
        {
            Ok(out) => out,
            Err(error) => return Outcome::RequestFailed(error),
        };
        let url = match (out.status, out.download_url) {
            (JobStatus::Success, Some(url)) => url,
            _ => {
                return Outcome::RequestFailed(ApiError::BadResponse {
                    detail: "a successful job had no download link".into(),
                });
            }
        };
        let destination =
            self.store
                .files_dir()
                .join(format!("{}.{}", job.id, job.spec.format.extension()));
        let id = job.id.clone();
        let mut on_progress = |received: u64, total: Option<u64>| {
            self.emit(JobEvent::Progress {
                job_id: id.clone(),
                received,
                total,
            });
        };
        match self
            .client
            .download(&url, &destination, job.spec.format, &mut on_progress)
            .await
        {
            Ok(_) => Outcome::Downloaded(destination),
            Err(error) => Outcome::RequestFailed(error),
        }
    }

    /// Writes a finished job's file where `generate --out` asked (atomically, like downloads).
    async fn copy_to_out_path(&self, job: &JobRecord, out: &Path) -> Result<(), ApiError> {
        let Some(file) = job.file().map(Path::to_path_buf) else {
            return Ok(());
        };
        let out = out.to_path_buf();
        let result = tokio::task::spawn_blocking(move || copy_atomically(&file, &out)).await;
        match result.map_err(std::io::Error::other) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) | Err(e) => Err(ApiError::File {
                detail: e.to_string(),
            }),
        }
    }
}

/// Copies `from` to `to` through a temporary file beside `to`, so `to` is never partial.
pub fn copy_atomically(from: &Path, to: &Path) -> std::io::Result<()> {
    crate::atomic_file::copy(from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_follow_the_contract_and_slow_down_when_jobs_share_a_key() {
        assert_eq!(
            poll_interval(Duration::from_secs(0), 1),
            Duration::from_secs(5)
        );
        assert_eq!(
            poll_interval(Duration::from_secs(29), 1),
            Duration::from_secs(5)
        );
        assert_eq!(
            poll_interval(Duration::from_secs(30), 1),
            Duration::from_secs(15)
        );
        assert_eq!(
            poll_interval(Duration::from_secs(40), 3),
            Duration::from_secs(45)
        );
        assert_eq!(
            poll_interval(Duration::from_secs(0), 0),
            Duration::from_secs(5)
        );
    }
}
