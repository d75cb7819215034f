//! A local, faithful emulator of the Makistry Generation API (`shared/makistry-api.md`).
//!
//! Nothing on a developer's machine or in CI can reach the real API, so this real HTTP server
//! on loopback implements the contract: authentication, every request-time error, sliding-window
//! rate limits, credits, idempotency, the async job lifecycle, signed and expiring download
//! links serving real CAD files, and every job-level failure on purpose. Tests and the app's
//! offline demo talk to it over real HTTP, through the same client code that talks to the real
//! API.
//!
//! It never imports `crate::api`: it keeps its own wire types, written from the contract, so a
//! misunderstanding of the contract in the client cannot hide behind the same misunderstanding
//! here.
//!
//! Choices where the contract is silent ("open points") are listed in README.md, section
//! "The API emulator"; each is also noted where it is implemented.

mod clock;
mod dialect;
mod error;
mod faults;
mod lifecycle;
mod parts;
mod persist;
mod rate_limit;
mod requests;
mod routes;
mod state;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::Faults;
pub use lifecycle::{JOB_ERROR_CODES, Timing};
pub use rate_limit::RateLimits;
pub use requests::{Endpoint, ImageInfo, MAX_IMAGE_BYTES, MAX_IMAGES, MAX_PROMPT_CHARS};
pub use state::{JobSummary, Stats, generate_key, is_well_formed_key, key_id, key_preview};
pub use wire::{
    Accepted, Brainstorm, DesignMode, ErrorBody, JobOut, JobStatus, OutputFormat, RotatedSecret,
};

use state::{ServerState, Settings};

/// How to start an emulator. `Default` is what tests and the demo want: loopback on a free
/// port, one generated key, fast jobs, no faults.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Accepted API keys; one is generated when empty.
    pub api_keys: Vec<String>,
    /// Starting credit balance of each key.
    pub credits: u64,
    /// Job durations.
    pub timing: Timing,
    /// Request limits per key.
    pub rate_limits: RateLimits,
    /// How long outputs stay downloadable, from job creation.
    pub output_retention: Duration,
    /// How long one signed download link stays valid.
    pub download_url_lifetime: Duration,
    /// How long an `Idempotency-Key` is remembered.
    pub idempotency_retention: Duration,
    /// Faults injected from the start.
    pub faults: Faults,
    /// Where to keep the state across restarts (the offline demo): keys, balances, jobs and
    /// idempotency records are read from it at start and written after each submission. The
    /// port it last used is tried first (then `addr`).
    pub state_file: Option<std::path::PathBuf>,
}

/// Default credit balance per key: 20 standard jobs at their full reservation.
pub const DEFAULT_CREDITS: u64 = 20_000;

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_keys: Vec::new(),
            credits: DEFAULT_CREDITS,
            timing: Timing::Fast,
            rate_limits: RateLimits::default(),
            output_retention: Duration::from_secs(30 * 86_400),
            download_url_lifetime: Duration::from_secs(15 * 60),
            idempotency_retention: Duration::from_secs(24 * 3600),
            faults: Faults::default(),
            state_file: None,
        }
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    state: Arc<ServerState>,
    addr: SocketAddr,
    api_keys: Vec<String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Emulator {
    /// Starts an emulator with the default configuration (see [`EmulatorConfig`]). Must be
    /// called inside a tokio runtime.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(EmulatorConfig::default()).await
    }

    /// Starts an emulator with `config`.
    pub async fn start_with(config: EmulatorConfig) -> std::io::Result<Self> {
        let saved = config
            .state_file
            .as_deref()
            .and_then(persist::Snapshot::load);
        let listener = match saved.as_ref().filter(|s| s.port != 0) {
            Some(saved) => match TcpListener::bind((config.addr.ip(), saved.port)).await {
                Ok(listener) => listener,
                Err(_) => TcpListener::bind(config.addr).await?,
            },
            None => TcpListener::bind(config.addr).await?,
        };
        let addr = listener.local_addr()?;
        let api_keys = match &saved {
            Some(saved) if !saved.accounts.is_empty() => {
                saved.accounts.iter().map(|a| a.key.clone()).collect()
            }
            _ if config.api_keys.is_empty() => vec![generate_key()],
            _ => config.api_keys.clone(),
        };
        if let Some(bad) = api_keys.iter().find(|k| !is_well_formed_key(k)) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "API key {} is not `mk_pub_` + 32 lower-case hex characters",
                    key_preview(bad)
                ),
            ));
        }
        let settings = Settings {
            timing: config.timing,
            rate_limits: config.rate_limits,
            output_retention: config.output_retention,
            download_url_lifetime: config.download_url_lifetime,
            idempotency_retention: config.idempotency_retention,
        };
        let mut state = ServerState::new(
            settings,
            format!("http://{addr}"),
            &api_keys,
            config.credits,
            config.faults,
        );
        state.state_file = config.state_file.clone();
        if let Some(saved) = saved {
            state.restore(saved);
        }
        state.save();
        let state = Arc::new(state);
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = routes::router(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        tracing::info!(%addr, "Makistry API emulator listening");
        Ok(Self {
            state,
            addr,
            api_keys,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// The API base URL, as clients are configured with it: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.origin())
    }

    /// `http://127.0.0.1:PORT`, the origin of the API, the download links and `/_emulator`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first accepted key.
    pub fn api_key(&self) -> &str {
        self.api_keys.first().map_or("", String::as_str)
    }

    /// Every key accepted at start.
    pub fn api_keys(&self) -> &[String] {
        &self.api_keys
    }

    /// Moves the emulator clock forward (jobs progress, windows slide, links and outputs expire).
    pub fn advance_clock(&self, by: Duration) {
        self.state.clock.advance(by);
    }

    /// Replaces the injected faults.
    pub fn set_faults(&self, faults: Faults) {
        self.state.set_faults(faults);
    }

    /// The injected faults, with counters as consumed so far.
    pub fn faults(&self) -> Faults {
        self.state.faults()
    }

    /// Every job created, oldest first (as `GET /_emulator/jobs`).
    pub fn jobs(&self) -> Vec<JobSummary> {
        self.state.job_summaries()
    }

    /// Counters over the `/v1` API (as `GET /_emulator/stats`).
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Accepts another key with `credits`.
    pub fn add_key(&self, key: &str, credits: u64) {
        self.state.add_key(key, credits);
    }

    /// Revokes a key; false if it was never accepted.
    pub fn revoke_key(&self, key: &str) -> bool {
        self.state.revoke(key)
    }

    /// Credits `key` can still reserve.
    pub fn credits_available(&self, key: &str) -> u64 {
        self.state.credits_available(key)
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until the server fails (or is shut down from elsewhere); for the CLI.
    pub async fn wait(mut self) -> std::io::Result<()> {
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
