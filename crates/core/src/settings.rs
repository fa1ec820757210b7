//! User settings that the tray app and `/setup` can change at runtime.
//!
//! Stored as `settings.json` in the config dir (0600), with the same names as
//! the environment variables. Precedence: environment > settings.json > defaults.
//! Everything here applies without a restart except `PORT`.
//!
//! The file may also hold the Telegram API credentials (`API_ID`, `API_HASH`)
//! entered in the setup UI. They are not part of [`Settings`]: they are saved
//! with [`save_api_credentials`], kept when settings are written, read through
//! [`Config::layered`](crate::config::Config::layered) at start, and so apply
//! after a restart (the tray app restarts its embedded server by itself).

use crate::config::{Config, ConfigError, read_settings_file, settings_path};
use crate::fsutil::write_private_atomic;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The runtime-changeable settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Settings {
    /// HTTP port (applies after a restart).
    pub port: u16,
    /// Development bypass of bearer auth.
    pub disable_auth: bool,
    /// Attachment ticket lifetime, seconds.
    pub attachment_ticket_ttl_seconds: u64,
    /// Download size cap, MiB.
    pub max_file_size_mb: u64,
    /// Block private/loopback/metadata addresses for URL downloads.
    pub block_private_ips: bool,
    /// Allow plain-http URL downloads.
    pub allow_http_urls: bool,
    /// Allow `invoke_mtproto` to call dangerous methods.
    pub allow_dangerous_mtproto: bool,
    /// Folders stdio clients may send local files from, absolute paths (empty: none).
    pub allowed_file_roots: Vec<String>,
}

impl Settings {
    /// The current values from a config.
    pub fn from_config(c: &Config) -> Self {
        Settings {
            port: c.port,
            disable_auth: c.disable_auth,
            attachment_ticket_ttl_seconds: c.attachment_ticket_ttl.as_secs(),
            max_file_size_mb: c.max_file_size_mb,
            block_private_ips: c.block_private_ips,
            allow_http_urls: c.allow_http_urls,
            allow_dangerous_mtproto: c.allow_dangerous_mtproto,
            allowed_file_roots: c.allowed_file_roots.iter().map(|p| p.to_string_lossy().into_owned()).collect(),
        }
    }

    /// The file roots as paths.
    pub fn file_roots(&self) -> Vec<PathBuf> {
        self.allowed_file_roots.iter().map(PathBuf::from).collect()
    }

    /// As environment-style pairs (what settings.json stores).
    pub fn to_vars(&self) -> BTreeMap<String, String> {
        [
            ("PORT", self.port.to_string()),
            ("DISABLE_AUTH", self.disable_auth.to_string()),
            ("ATTACHMENT_TICKET_TTL_SECONDS", self.attachment_ticket_ttl_seconds.to_string()),
            ("MAX_FILE_SIZE_MB", self.max_file_size_mb.to_string()),
            ("BLOCK_PRIVATE_IPS", self.block_private_ips.to_string()),
            ("ALLOW_HTTP_URLS", self.allow_http_urls.to_string()),
            ("ALLOW_DANGEROUS_MTPROTO", self.allow_dangerous_mtproto.to_string()),
            ("ALLOWED_FILE_ROOTS", join_roots(&self.allowed_file_roots)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Validates by running the values through the same parser as the environment.
    pub fn validate(&self, base: &Config) -> Result<Config, ConfigError> {
        if let Some(bad) = self.allowed_file_roots.iter().find(|r| std::env::join_paths([r.as_str()]).is_err()) {
            return Err(ConfigError {
                var: "ALLOWED_FILE_ROOTS",
                reason: format!("{bad:?} contains the path-list separator"),
            });
        }
        let vars = self.to_vars();
        let dir = base.session_dir.to_string_lossy().into_owned();
        Config::from_lookup(|k| if k == "SESSION_DIR" { Some(dir.clone()) } else { vars.get(k).cloned() })
    }
}

/// A root list as `ALLOWED_FILE_ROOTS` spells it (`none` when empty, so that it is not "unset").
fn join_roots(roots: &[String]) -> String {
    let kept: Vec<&str> = roots.iter().map(|r| r.trim()).filter(|r| !r.is_empty()).collect();
    if kept.is_empty() {
        return "none".into();
    }
    std::env::join_paths(&kept)
        .map(|j| j.to_string_lossy().into_owned())
        .unwrap_or_else(|_| kept.join(if cfg!(windows) { ";" } else { ":" }))
}

/// Variables that settings.json may hold besides [`Settings`]; writing settings keeps them.
pub const API_CREDENTIAL_VARS: [&str; 2] = ["API_ID", "API_HASH"];

/// Writes settings.json (0600, atomic), keeping stored API credentials. An unreadable or
/// corrupt file is an error and stays untouched (overwriting it would lose the credentials).
pub fn write_settings_file(dir: &Path, s: &Settings) -> std::io::Result<()> {
    let mut vars = kept_vars(dir)?;
    vars.extend(s.to_vars());
    write_private_atomic(&settings_path(dir), &serde_json::to_vec_pretty(&vars).expect("serializes"))
}

/// API credentials as stored in settings.json (not from the environment).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct StoredApiCredentials {
    /// `API_ID`, if stored.
    pub api_id: Option<i32>,
    /// `API_HASH`, if stored.
    pub api_hash: Option<String>,
}

impl std::fmt::Debug for StoredApiCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredApiCredentials")
            .field("api_id", &self.api_id)
            .field("api_hash_set", &self.api_hash.is_some())
            .finish()
    }
}

/// Reads the API credentials stored in settings.json (a missing or unreadable file gives none).
pub fn read_api_credentials(dir: &Path) -> StoredApiCredentials {
    let vars = read_settings_file(dir).unwrap_or_default();
    StoredApiCredentials {
        api_id: vars.get("API_ID").and_then(|v| v.trim().parse().ok()),
        api_hash: vars.get("API_HASH").cloned(),
    }
}

/// Checks `API_ID`/`API_HASH` with the same rules as the environment; returns them as stored (hash trimmed, lowercase).
pub fn validate_api_credentials(dir: &Path, api_id: i32, api_hash: &str) -> Result<(String, String), ConfigError> {
    let (id, hash) = (api_id.to_string(), api_hash.trim().to_ascii_lowercase());
    let d = dir.to_string_lossy().into_owned();
    Config::from_lookup(|k| match k {
        "API_ID" => Some(id.clone()),
        "API_HASH" => Some(hash.clone()),
        "SESSION_DIR" => Some(d.clone()),
        _ => None,
    })?;
    Ok((id, hash))
}

/// Validates and stores `API_ID`/`API_HASH` in settings.json, keeping everything else in the file.
/// They take effect when the configuration is next loaded (restart).
pub fn save_api_credentials(dir: &Path, api_id: i32, api_hash: &str) -> Result<(), ConfigError> {
    let (id, hash) = validate_api_credentials(dir, api_id, api_hash)?;
    let mut vars = read_settings_file(dir)?;
    vars.insert("API_ID".into(), id);
    vars.insert("API_HASH".into(), hash);
    write_private_atomic(&settings_path(dir), &serde_json::to_vec_pretty(&vars).expect("serializes"))
        .map_err(|e| ConfigError { var: "SESSION_DIR", reason: format!("cannot save settings: {e}") })
}

/// The credential variables currently in the file (kept across settings writes).
fn kept_vars(dir: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let mut vars = read_settings_file(dir).map_err(|e| std::io::Error::other(e.reason))?;
    vars.retain(|k, _| API_CREDENTIAL_VARS.contains(&k.as_str()));
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(dir: &Path) -> Config {
        let d = dir.to_string_lossy().into_owned();
        Config::from_lookup(|k| (k == "SESSION_DIR").then(|| d.clone())).unwrap()
    }

    #[test]
    fn api_credentials_survive_settings_writes_and_are_layered() {
        let dir = tempfile::tempdir().unwrap();
        let hash = "0123456789abcdef0123456789ABCDEF";
        save_api_credentials(dir.path(), 12345, hash).unwrap();
        let mut s = Settings::from_config(&base(dir.path()));
        s.disable_auth = true;
        write_settings_file(dir.path(), &s).unwrap();
        let stored = read_api_credentials(dir.path());
        assert_eq!(stored.api_id, Some(12345));
        assert_eq!(stored.api_hash.as_deref(), Some("0123456789abcdef0123456789abcdef"));
        assert!(!format!("{stored:?}").contains("0123456789abcdef"), "Debug hides the hash");
        let d = dir.path().to_string_lossy().into_owned();
        let c = Config::layered(|k| (k == "SESSION_DIR").then(|| d.clone())).unwrap();
        assert_eq!(c.api_id, Some(12345));
        assert!(c.disable_auth);
        // The environment still wins.
        let c = Config::layered(|k| match k {
            "SESSION_DIR" => Some(d.clone()),
            "API_ID" => Some("777".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.api_id, Some(777));
    }

    #[test]
    fn file_roots_round_trip_through_settings_json() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::from_config(&base(dir.path()));
        s.allowed_file_roots = vec!["/data/a".into(), "/srv/b".into()];
        write_settings_file(dir.path(), &s).unwrap();
        let d = dir.path().to_string_lossy().into_owned();
        let c = Config::layered(|k| (k == "SESSION_DIR").then(|| d.clone())).unwrap();
        assert_eq!(c.allowed_file_roots, vec![PathBuf::from("/data/a"), PathBuf::from("/srv/b")]);
        // An empty list means no folder, not the default.
        s.allowed_file_roots.clear();
        write_settings_file(dir.path(), &s).unwrap();
        assert!(Config::layered(|k| (k == "SESSION_DIR").then(|| d.clone())).unwrap().allowed_file_roots.is_empty());
        s.allowed_file_roots = vec!["relative".into()];
        assert_eq!(s.validate(&base(dir.path())).unwrap_err().var, "ALLOWED_FILE_ROOTS");
        if !cfg!(windows) {
            s.allowed_file_roots = vec!["/a:b".into()];
            assert_eq!(s.validate(&base(dir.path())).unwrap_err().var, "ALLOWED_FILE_ROOTS");
        }
    }

    #[test]
    fn an_unreadable_settings_file_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        // Hand-edited, with a trailing comma: saving settings must not silently drop the credentials.
        let text = "{ \"API_ID\": \"12345\", \"API_HASH\": \"0123456789abcdef0123456789abcdef\", }";
        std::fs::write(settings_path(dir.path()), text).unwrap();
        let s = Settings::from_config(&base(dir.path()));
        assert!(write_settings_file(dir.path(), &s).is_err());
        assert_eq!(std::fs::read_to_string(settings_path(dir.path())).unwrap(), text);
    }

    #[test]
    fn invalid_api_credentials_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(save_api_credentials(dir.path(), 0, "0123456789abcdef0123456789abcdef").unwrap_err().var, "API_ID");
        assert_eq!(save_api_credentials(dir.path(), 5, "nothex").unwrap_err().var, "API_HASH");
        assert!(!settings_path(dir.path()).exists());
    }
}
