//! Logging for both binaries: `RUST_LOG` filters (default `makistry=info`), to standard error,
//! with colours only on a terminal. The API key never reaches a log line: it exists only as a
//! `keychain::Secret`, whose `Debug` and `Display` show `…last4`.

use std::io::IsTerminal;

/// Starts logging; call once, first thing in `main`.
pub fn init() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "makistry=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
