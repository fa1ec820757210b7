//! The OS keyring (Secret Service, macOS Keychain, Windows Credential Manager)
//! holding token plaintexts, so the app can show or copy them again later.
//! The server itself never needs them: it authenticates against digests.

use crate::config::APP_NAME;
use keyring_core::{CredentialStore, Entry, Error as KrError};
use std::sync::Arc;

/// Errors from the OS keyring.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// No keyring is available on this machine (tokens are then shown once only).
    #[error("no OS keyring is available")]
    Unavailable,
    /// The keyring refused or failed the operation.
    #[error("OS keyring error: {0}")]
    Keyring(String),
}

/// A handle to the credential store, or nothing when the OS has none.
#[derive(Clone)]
pub struct KeyStore {
    store: Option<Arc<CredentialStore>>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore").field("available", &self.store.is_some()).finish()
    }
}

impl KeyStore {
    /// Uses the given store (e.g. `keyring_core::mock::Store` in tests).
    pub fn with_store(store: Arc<CredentialStore>) -> Self {
        KeyStore { store: Some(store) }
    }

    /// A store that keeps nothing; tokens are only shown once.
    pub fn none() -> Self {
        KeyStore { store: None }
    }

    /// The platform keyring, probed once; `none()` if it is missing or locked.
    pub fn system() -> Self {
        match platform_store() {
            Ok(store) => {
                let ks = KeyStore::with_store(store);
                match ks.entry("probe").and_then(|e| map_get(e.get_password())) {
                    Ok(_) => ks,
                    Err(e) => {
                        tracing::debug!("OS keyring not usable: {e}");
                        no_keyring_warning();
                        KeyStore::none()
                    }
                }
            }
            Err(e) => {
                tracing::debug!("no OS keyring: {e}");
                no_keyring_warning();
                KeyStore::none()
            }
        }
    }

    /// Whether a keyring backs this store.
    pub fn is_available(&self) -> bool {
        self.store.is_some()
    }

    /// The install key that seals the session files of `config_dir` (created on first use);
    /// `Ok(None)` when there is no keyring (sessions then stay plain, 0600).
    pub fn seal_key(
        &self,
        config_dir: &std::path::Path,
    ) -> Result<Option<crate::session_store::SealKey>, KeyStoreError> {
        use base64::Engine;
        use sha2::Digest;
        if !self.is_available() {
            return Ok(None);
        }
        let dir = std::fs::canonicalize(config_dir).unwrap_or_else(|_| config_dir.to_path_buf());
        let id = format!("at-rest-key-{}", hex::encode(&sha2::Sha256::digest(dir.as_os_str().as_encoded_bytes())[..8]));
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
        match self.get(&id)? {
            Some(stored) => {
                let bytes =
                    b64.decode(stored.trim()).map_err(|e| KeyStoreError::Keyring(format!("session key: {e}")))?;
                let key = <[u8; 32]>::try_from(bytes.as_slice())
                    .map_err(|_| KeyStoreError::Keyring("session key has the wrong length".into()))?;
                Ok(Some(crate::session_store::SealKey::from_bytes(key)))
            }
            None => {
                let key = crate::session_store::SealKey::generate();
                self.put(&id, &b64.encode(key.bytes()))?;
                Ok(Some(key))
            }
        }
    }

    /// Saves a token plaintext under its non-secret id.
    pub fn put(&self, token_id: &str, secret: &str) -> Result<(), KeyStoreError> {
        self.entry(token_id)?.set_password(secret).map_err(kr)
    }

    /// Reads a token plaintext; `Ok(None)` if the keyring has no entry for it.
    pub fn get(&self, token_id: &str) -> Result<Option<String>, KeyStoreError> {
        map_get(self.entry(token_id)?.get_password())
    }

    /// Deletes a token plaintext; deleting a missing entry is not an error.
    pub fn delete(&self, token_id: &str) -> Result<(), KeyStoreError> {
        match self.entry(token_id)?.delete_credential() {
            Ok(()) | Err(KrError::NoEntry) => Ok(()),
            Err(e) => Err(kr(e)),
        }
    }

    fn entry(&self, token_id: &str) -> Result<Entry, KeyStoreError> {
        let store = self.store.as_ref().ok_or(KeyStoreError::Unavailable)?;
        Entry::new_in_store(store, APP_NAME, &format!("token:{token_id}")).map_err(kr)
    }
}

fn map_get(r: Result<String, KrError>) -> Result<Option<String>, KeyStoreError> {
    match r {
        Ok(s) => Ok(Some(s)),
        Err(KrError::NoEntry) => Ok(None),
        Err(e) => Err(kr(e)),
    }
}

fn kr(e: KrError) -> KeyStoreError {
    KeyStoreError::Keyring(e.to_string())
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<CredentialStore>, KrError> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}
#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>, KrError> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}
#[cfg(target_os = "windows")]
fn platform_store() -> Result<Arc<CredentialStore>, KrError> {
    Ok(windows_native_keyring_store::Store::new()?)
}
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> Result<Arc<CredentialStore>, KrError> {
    Err(KrError::NoDefaultStore)
}

#[cfg(test)]
pub(crate) fn mock() -> KeyStore {
    KeyStore::with_store(keyring_core::mock::Store::new().unwrap())
}

/// One short line, once per process: no keyring means tokens are shown once and sessions are
/// stored plain (the details are logged at debug level).
fn no_keyring_warning() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        tracing::warn!(
            "no OS keyring (Secret Service / Keychain / Credential Manager): tokens are shown once, sessions are stored plain (0600)"
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_delete_round_trip_in_mock_store() {
        let ks = mock();
        assert_eq!(ks.get("t1").unwrap(), None);
        ks.put("t1", "secret-1").unwrap();
        assert_eq!(ks.get("t1").unwrap().as_deref(), Some("secret-1"));
        ks.delete("t1").unwrap();
        assert_eq!(ks.get("t1").unwrap(), None);
        ks.delete("t1").unwrap();
    }

    #[test]
    fn unavailable_store_says_so() {
        assert!(matches!(KeyStore::none().put("x", "y"), Err(KeyStoreError::Unavailable)));
    }
}
