//! `makistry emulator`: the local API emulator on its own.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Args;
use makistry::emulator::{self, Emulator, EmulatorConfig, Faults, Timing};

/// Options of `makistry emulator`.
#[derive(Args)]
pub struct EmulatorArgs {
    /// Address to listen on (loopback unless you mean otherwise; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8765")]
    addr: SocketAddr,
    /// An accepted API key (`mk_pub_` + 32 hex); repeat for several. One is made if none is given.
    #[arg(long = "api-key", value_name = "KEY")]
    api_keys: Vec<String>,
    /// Finish jobs in a few seconds instead of the real service's minutes.
    #[arg(long)]
    fast: bool,
    /// Starting credit balance of each key (a standard job reserves 1000).
    #[arg(long, default_value_t = emulator::DEFAULT_CREDITS)]
    credits: u64,
    /// Share (0–1) of API requests answered 503 at random.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Delay every API answer and download by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
}

/// Runs the emulator until Ctrl+C.
pub async fn run(args: EmulatorArgs) -> ExitCode {
    if !(0.0..=1.0).contains(&args.error_rate) {
        eprintln!("error: --error-rate must be between 0 and 1");
        return ExitCode::from(2);
    }
    let config = EmulatorConfig {
        addr: args.addr,
        api_keys: args.api_keys,
        credits: args.credits,
        timing: if args.fast {
            Timing::Fast
        } else {
            Timing::Realistic
        },
        faults: Faults {
            error_rate: args.error_rate,
            delay_ms: args.delay_ms,
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    };
    let server = match Emulator::start_with(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: could not start the emulator on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    out!("Makistry API emulator");
    out!("  API base URL:  {}", server.base_url());
    for key in server.api_keys() {
        out!("  API key:       {key}  (id {})", emulator::key_id(key));
    }
    out!(
        "  Jobs:          {}",
        if args.fast {
            "fast (done in 2–4 s)"
        } else {
            "realistic (standard 30 s–2 min, pro 1–5 min, assembly 2–15 min)"
        }
    );
    out!("  Credits:       {} per key", args.credits);
    out!("  Submissions:   {}/_emulator/jobs", server.origin());
    out!("Press Ctrl+C to stop.");
    tokio::select! {
        result = server.wait() => match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: the emulator stopped: {e}");
                ExitCode::FAILURE
            }
        },
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}
