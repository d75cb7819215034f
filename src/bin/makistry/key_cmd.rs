//! `makistry key set | clear | status`.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use makistry::api::{ApiError, Client, RequestBudget};
use makistry::keychain::{self, KeySource, Keychain, Secret};

use crate::common::{self, exit, fail};

/// Options of `makistry key`.
#[derive(Args)]
pub struct KeyArgs {
    #[command(subcommand)]
    action: KeyAction,
}

/// `makistry key …`.
#[derive(Subcommand)]
pub enum KeyAction {
    /// Store an API key in the system keychain. The key is read from standard input (hidden
    /// on a terminal), never from the command line, where it would land in shell history.
    Set {
        /// Store it without checking it with the API first.
        #[arg(long)]
        no_check: bool,
    },
    /// Remove the stored key.
    Clear,
    /// Say which key is in use (only its last 4 characters) and where it comes from.
    Status {
        /// Also check it with the API (one request).
        #[arg(long)]
        check: bool,
    },
}

fn read_key() -> Result<String, std::io::Error> {
    if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Paste your Makistry API key (input hidden): ")
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line)
    }
}

async fn with_keychain<T: Send + 'static>(
    action: impl FnOnce(&Keychain) -> Result<T, keychain::KeychainError> + Send + 'static,
) -> Result<T, ExitCode> {
    let result =
        tokio::task::spawn_blocking(move || Keychain::system().and_then(|k| action(&k))).await;
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(fail(&e.to_string(), e.action(), exit::OTHER)),
        Err(e) => Err(fail(
            &format!("the keychain call failed: {e}"),
            "",
            exit::OTHER,
        )),
    }
}

/// Checks `key` with one request; `Ok(false)` when the API could not be reached.
async fn check(base_url: &str, key: Secret) -> Result<bool, ApiError> {
    let client = Client::new(
        base_url,
        key,
        std::sync::Arc::new(RequestBudget::contract()),
    )?;
    match client.check_key().await {
        Ok(()) => Ok(true),
        Err(e) if e.is_transient() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Runs `makistry key`.
pub async fn run(args: KeyArgs, base_url: &str) -> ExitCode {
    match args.action {
        KeyAction::Set { no_check } => {
            let input = match tokio::task::spawn_blocking(read_key).await {
                Ok(Ok(input)) => input,
                Ok(Err(e)) => {
                    return fail(&format!("the key could not be read: {e}"), "", exit::USER);
                }
                Err(e) => return fail(&format!("the key could not be read: {e}"), "", exit::OTHER),
            };
            let key = match keychain::parse_api_key(&input) {
                Ok(key) => key,
                Err(e) => return fail(&e.to_string(), e.action(), exit::USER),
            };
            let checked = if no_check {
                None
            } else {
                match check(base_url, key.clone()).await {
                    Ok(reachable) => Some(reachable),
                    Err(e) => return common::fail_api(&e),
                }
            };
            let preview = key.preview();
            if let Err(code) = with_keychain(move |k| k.save(&key)).await {
                return code;
            }
            match checked {
                Some(true) => {
                    eprintln!("Stored {preview} in the system keychain; the API accepted it.")
                }
                Some(false) => eprintln!(
                    "Stored {preview} in the system keychain; the API could not be reached to check it."
                ),
                None => eprintln!("Stored {preview} in the system keychain (not checked)."),
            }
            ExitCode::SUCCESS
        }
        KeyAction::Clear => match with_keychain(|k| k.clear()).await {
            Ok(true) => {
                eprintln!("Removed the API key from the system keychain.");
                ExitCode::SUCCESS
            }
            Ok(false) => {
                eprintln!("No API key was stored.");
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        KeyAction::Status { check: verify } => {
            let (key, source) = match common::api_key().await {
                Ok(found) => found,
                Err(code) => return code,
            };
            let from = match source {
                KeySource::Environment => "MAKISTRY_API_KEY",
                KeySource::Keychain => "the system keychain",
            };
            out!("{} (from {from})", key.preview());
            if verify {
                match check(base_url, key).await {
                    Ok(true) => out!("The API accepts it."),
                    Ok(false) => {
                        return fail(
                            "the API could not be reached to check the key",
                            "Check your connection.",
                            exit::TRANSPORT,
                        );
                    }
                    Err(e) => return common::fail_api(&e),
                }
            }
            ExitCode::SUCCESS
        }
    }
}
