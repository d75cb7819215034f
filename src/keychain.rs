//! The API key, kept only in the OS credential store (macOS Keychain, Windows Credential
//! Manager, the Secret Service on Linux) through `keyring`; `MAKISTRY_API_KEY` in the
//! environment overrides it for scripts and CI.
//!
//! The key never goes to a file or a log: [`Secret`] prints only `…` and its last 4
//! characters, and keychain errors are described without their payload (some carry the
//! secret's bytes). Every call here may block on D-Bus or a system prompt: call it off the UI
//! thread (`spawn_blocking`).

use std::fmt;
use std::sync::Arc;

use keyring_core::api::CredentialStore;

/// Service name of the keychain entry.
pub const SERVICE: &str = "ai.makistry.desktop";
/// Account name of the keychain entry.
pub const ACCOUNT: &str = "api-key";
/// Environment variable that overrides the keychain.
pub const ENV_VAR: &str = "MAKISTRY_API_KEY";

/// An API key. `Debug` and `Display` show only `…` + the last 4 characters (the contract's
/// `api_key_preview`); only [`Secret::expose`] gives the key, for the Authorization header.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a key as given (see [`parse_api_key`] to check its format first).
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself. Only for the `Authorization` header and the keychain.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `…` + the last 4 characters.
    pub fn preview(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
        format!("…{tail}")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.preview())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.preview())
    }
}

/// Checks a pasted key: surrounding whitespace is dropped; what remains must be `mk_pub_`
/// followed by 32 hexadecimal characters (contract §1).
pub fn parse_api_key(input: &str) -> Result<Secret, KeychainError> {
    let key = input.trim();
    let well_formed = key
        .strip_prefix("mk_pub_")
        .is_some_and(|hex| hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()));
    if well_formed {
        Ok(Secret::new(key))
    } else {
        Err(KeychainError::BadFormat)
    }
}

/// Where the key in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// `MAKISTRY_API_KEY`.
    Environment,
    /// The OS credential store.
    Keychain,
}

/// Why the keychain could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeychainError {
    /// No credential store on this system (e.g. no Secret Service running).
    #[error("the system keychain is not available: {0}")]
    Unavailable(String),
    /// The store refused or failed.
    #[error("the system keychain failed: {0}")]
    Failed(String),
    /// The key does not have the documented shape.
    #[error("an API key looks like mk_pub_ followed by 32 hexadecimal characters")]
    BadFormat,
}

impl KeychainError {
    /// What happened, in the app's words: the store's own message (D-Bus text, say) goes to
    /// the log, not to the screen.
    pub fn sentence(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "this computer's keychain is not running",
            Self::Failed(_) => "the keychain refused it (it may be locked)",
            Self::BadFormat => "that is not an API key",
        }
    }

    /// What to do next.
    pub fn action(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => {
                "Start your desktop's keyring (GNOME Keyring or KWallet on Linux), or set MAKISTRY_API_KEY."
            }
            Self::Failed(_) => "Unlock the keychain and try again, or set MAKISTRY_API_KEY.",
            Self::BadFormat => "Copy the whole key from the Makistry dashboard and paste it again.",
        }
    }
}

/// Describes a keyring error without its payload: `BadEncoding` and `BadDataFormat` carry the
/// stored bytes, which may be the key itself.
fn describe(error: &keyring_core::Error) -> String {
    use keyring_core::Error as E;
    match error {
        E::PlatformFailure(e) | E::NoStorageAccess(e) => e.to_string(),
        E::NoEntry => "no entry".into(),
        E::BadEncoding(_) => "the stored value is not text".into(),
        E::BadDataFormat(_, _) => "the stored value has the wrong format".into(),
        E::BadStoreFormat(what) => format!("bad store format: {what}"),
        E::TooLong(what, limit) => format!("{what} is longer than {limit}"),
        E::Invalid(what, why) => format!("{what} is invalid: {why}"),
        E::Ambiguous(entries) => format!("{} matching entries", entries.len()),
        E::NoDefaultStore => "no default credential store".into(),
        E::NotSupportedByStore(what) => format!("not supported by this store: {what}"),
        _ => "unknown keychain error".into(),
    }
}

/// The API key's entry in a credential store.
#[derive(Clone)]
pub struct Keychain {
    store: Arc<CredentialStore>,
}

impl fmt::Debug for Keychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keychain")
            .field("store", &self.store.vendor())
            .finish()
    }
}

impl Keychain {
    /// The OS credential store.
    pub fn system() -> Result<Self, KeychainError> {
        if let Err(e) = keyring::Entry::store_status() {
            return Err(KeychainError::Unavailable(describe(e)));
        }
        keyring_core::get_default_store()
            .map(|store| Self { store })
            .ok_or_else(|| KeychainError::Unavailable("no default credential store".into()))
    }

    /// Another store (tests use `keyring_core::mock::Store`).
    pub fn with_store(store: Arc<CredentialStore>) -> Self {
        Self { store }
    }

    fn entry(&self) -> Result<keyring_core::Entry, KeychainError> {
        self.store
            .build(SERVICE, ACCOUNT, None)
            .map_err(|e| KeychainError::Failed(describe(&e)))
    }

    /// The stored key, if any.
    pub fn load(&self) -> Result<Option<Secret>, KeychainError> {
        match self.entry()?.get_password() {
            Ok(key) => Ok(Some(Secret::new(key))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(KeychainError::Failed(describe(&e))),
        }
    }

    /// Stores `key`, replacing any previous one.
    pub fn save(&self, key: &Secret) -> Result<(), KeychainError> {
        self.entry()?
            .set_password(key.expose())
            .map_err(|e| KeychainError::Failed(describe(&e)))
    }

    /// Removes the stored key; false if there was none.
    pub fn clear(&self) -> Result<bool, KeychainError> {
        match self.entry()?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(KeychainError::Failed(describe(&e))),
        }
    }
}

/// The key from `MAKISTRY_API_KEY`, if set and not empty.
pub fn key_from_environment() -> Option<Secret> {
    std::env::var(ENV_VAR)
        .ok()
        .filter(|k| !k.trim().is_empty())
        .map(|k| Secret::new(k.trim()))
}

/// The key to use: the environment first, then the keychain.
pub fn resolve(
    keychain: Result<&Keychain, &KeychainError>,
) -> Result<Option<(Secret, KeySource)>, KeychainError> {
    if let Some(key) = key_from_environment() {
        return Ok(Some((key, KeySource::Environment)));
    }
    match keychain {
        Ok(keychain) => Ok(keychain.load()?.map(|key| (key, KeySource::Keychain))),
        Err(error) => Err(error.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "mk_pub_0123456789abcdef0123456789abcdef";

    #[test]
    fn secrets_never_print_the_key() {
        let secret = Secret::new(KEY);
        assert_eq!(format!("{secret}"), "…cdef");
        assert_eq!(format!("{secret:?}"), "Secret(…cdef)");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(Secret(…cdef))");
    }

    #[test]
    fn pasted_keys_are_trimmed_and_checked() {
        assert_eq!(
            parse_api_key(&format!("  {KEY}\n")).map(|s| s.expose().to_string()),
            Ok(KEY.to_string())
        );
        for bad in [
            "",
            "mk_pub_123",
            "mk_live_0123456789abcdef0123456789abcdef",
            "mk_pub_0123456789abcdef0123456789abcdeg",
        ] {
            assert_eq!(parse_api_key(bad), Err(KeychainError::BadFormat), "{bad}");
        }
    }

    #[test]
    fn save_load_replace_and_clear_in_a_store() {
        let keychain = Keychain::with_store(keyring_core::mock::Store::new().unwrap());
        assert_eq!(keychain.load(), Ok(None));
        keychain.save(&Secret::new(KEY)).unwrap();
        assert_eq!(
            keychain.load().unwrap().map(|s| s.expose().to_string()),
            Some(KEY.to_string())
        );
        let other = "mk_pub_ffffffffffffffffffffffffffffffff";
        keychain.save(&Secret::new(other)).unwrap();
        assert_eq!(
            keychain.load().unwrap().map(|s| s.expose().to_string()),
            Some(other.to_string())
        );
        assert_eq!(keychain.clear(), Ok(true));
        assert_eq!(keychain.clear(), Ok(false));
        assert_eq!(keychain.load(), Ok(None));
    }
}
