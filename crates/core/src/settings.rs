//! User settings that the tray app and `/setup` can change at runtime.
//!
//! Stored as `settings.json` in the config dir (0600), with the same names as
//! the environment variables. Precedence: environment > settings.json > defaults.
//! Everything here applies without a restart except `PORT`.

use crate::config::{Config, ConfigError};
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
        }
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
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Validates by running the values through the same parser as the environment.
    pub fn validate(&self, base: &Config) -> Result<Config, ConfigError> {
        let vars = self.to_vars();
        let dir = base.session_dir.to_string_lossy().into_owned();
        Config::from_lookup(|k| if k == "SESSION_DIR" { Some(dir.clone()) } else { vars.get(k).cloned() })
    }
}

/// Path of the settings file in a config dir.
pub fn settings_path(dir: &Path) -> PathBuf {
    dir.join("settings.json")
}

/// Reads settings.json as variables; a missing file is empty, a corrupt one is an error naming the file.
pub fn read_settings_file(dir: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let path = settings_path(dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| ConfigError { var: "SESSION_DIR", reason: format!("{} is corrupt: {e}", path.display()) }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(ConfigError { var: "SESSION_DIR", reason: format!("cannot read {}: {e}", path.display()) }),
    }
}

/// Writes settings.json (0600, atomic).
pub fn write_settings_file(dir: &Path, s: &Settings) -> std::io::Result<()> {
    write_private_atomic(&settings_path(dir), &serde_json::to_vec_pretty(&s.to_vars()).expect("serializes"))
}
