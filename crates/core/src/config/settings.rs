//! The live settings: the part of the configuration the tray app and `/setup` change at runtime.
//!
//! Stored as `settings.json` in the config dir with the environment's variable names
//! (see [`crate::settings`] for the file). Precedence: environment > settings.json > defaults.
//! Everything here applies without a restart except `PORT`.

use super::ConfigError;
use super::vars::{err, parse_bool, parse_num, parse_roots};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The variables behind [`Settings`], in field order.
pub const SETTING_VARS: [&str; 11] = [
    "PORT",
    "DISABLE_AUTH",
    "ATTACHMENT_TICKET_TTL_SECONDS",
    "MAX_FILE_SIZE_MB",
    "BLOCK_PRIVATE_IPS",
    "ALLOW_HTTP_URLS",
    "ALLOW_DANGEROUS_MTPROTO",
    "ALLOWED_FILE_ROOTS",
    "ACTIVITY_LOG_TEXT",
    "DEV_TOKEN_ID",
    "KEEP_WINDOW_LOADED",
];

/// The runtime-changeable settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Settings {
    /// HTTP port (`PORT`, default 8000; 0 = pick a free port; applies after a restart).
    pub port: u16,
    /// Development bypass of bearer auth (`DISABLE_AUTH`).
    pub disable_auth: bool,
    /// Attachment ticket lifetime, seconds (`ATTACHMENT_TICKET_TTL_SECONDS`).
    pub attachment_ticket_ttl_seconds: u64,
    /// Size cap for URL downloads and attachment streaming, MiB (`MAX_FILE_SIZE_MB`).
    pub max_file_size_mb: u64,
    /// Refuse URL downloads that resolve to private/loopback/metadata addresses (`BLOCK_PRIVATE_IPS`).
    pub block_private_ips: bool,
    /// Allow plain-http URLs for file downloads (`ALLOW_HTTP_URLS`).
    pub allow_http_urls: bool,
    /// Let `invoke_mtproto` call methods classified dangerous (`ALLOW_DANGEROUS_MTPROTO`).
    pub allow_dangerous_mtproto: bool,
    /// Folders stdio clients may send local files from, absolute paths (`ALLOWED_FILE_ROOTS`, a
    /// path list with the platform's separator, `none` for no folder; default: the home folder).
    /// MCP roots offered by the client replace them; dot-folders and the config dir are never allowed.
    pub allowed_file_roots: Vec<String>,
    /// Also record the text of sent and edited messages in the activity log (`ACTIVITY_LOG_TEXT`, off).
    #[serde(default)]
    pub activity_log_text: bool,
    /// Whose account (and policy) requests without a token use: the development bypass and stdio
    /// clients with no token (`DEV_TOKEN_ID`, a token id; empty: the first logged-in token).
    #[serde(default)]
    pub dev_token_id: Option<String>,
    /// Tray app: closing the window only hides it, keeping its web view (about 100 MiB) loaded
    /// (`KEEP_WINDOW_LOADED`, off: closing frees it and the tray reopens it where it was).
    #[serde(default)]
    pub keep_window_loaded: bool,
}

impl Settings {
    /// Parses the settings' variables (unset ones take their defaults).
    pub fn from_vars(var: &impl Fn(&'static str) -> Option<String>) -> Result<Settings, ConfigError> {
        let ttl = parse_num::<u64>(var, "ATTACHMENT_TICKET_TTL_SECONDS", 3600)?;
        if !(60..=604_800).contains(&ttl) {
            return Err(err("ATTACHMENT_TICKET_TTL_SECONDS", "must be between 60 and 604800"));
        }
        let max_file_size_mb = parse_num::<u64>(var, "MAX_FILE_SIZE_MB", 50)?;
        if !(1..=4096).contains(&max_file_size_mb) {
            return Err(err("MAX_FILE_SIZE_MB", "must be between 1 and 4096"));
        }
        let roots = parse_roots(var("ALLOWED_FILE_ROOTS"))?;
        Ok(Settings {
            port: parse_num::<u16>(var, "PORT", 8000)?,
            disable_auth: parse_bool(var, "DISABLE_AUTH", false)?,
            attachment_ticket_ttl_seconds: ttl,
            max_file_size_mb,
            block_private_ips: parse_bool(var, "BLOCK_PRIVATE_IPS", true)?,
            allow_http_urls: parse_bool(var, "ALLOW_HTTP_URLS", false)?,
            allow_dangerous_mtproto: parse_bool(var, "ALLOW_DANGEROUS_MTPROTO", false)?,
            allowed_file_roots: roots.iter().map(|p| p.to_string_lossy().into_owned()).collect(),
            activity_log_text: parse_bool(var, "ACTIVITY_LOG_TEXT", false)?,
            dev_token_id: match var("DEV_TOKEN_ID") {
                Some(id) if id.trim().eq_ignore_ascii_case("none") || id.trim().is_empty() => None,
                Some(id) if crate::token_index::is_token_id(id.trim()) => Some(id.trim().to_string()),
                Some(_) => {
                    return Err(err("DEV_TOKEN_ID", "must be a token id like tok_0123456789ab (see `token list`)"));
                }
                None => None,
            },
            keep_window_loaded: parse_bool(var, "KEEP_WINDOW_LOADED", false)?,
        })
    }

    /// The file roots as paths.
    pub fn file_roots(&self) -> Vec<PathBuf> {
        self.allowed_file_roots.iter().map(PathBuf::from).collect()
    }

    /// Maximum download size in bytes.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_size_mb * 1024 * 1024
    }

    /// As environment-style pairs (what settings.json stores).
    pub fn to_vars(&self) -> BTreeMap<String, String> {
        let values = [
            self.port.to_string(),
            self.disable_auth.to_string(),
            self.attachment_ticket_ttl_seconds.to_string(),
            self.max_file_size_mb.to_string(),
            self.block_private_ips.to_string(),
            self.allow_http_urls.to_string(),
            self.allow_dangerous_mtproto.to_string(),
            join_roots(&self.allowed_file_roots),
            self.activity_log_text.to_string(),
            self.dev_token_id.clone().unwrap_or_else(|| "none".into()),
            self.keep_window_loaded.to_string(),
        ];
        SETTING_VARS.iter().map(|k| k.to_string()).zip(values).collect()
    }

    /// Validates by running the values through the same parser as the environment.
    pub fn validate(&self) -> Result<Settings, ConfigError> {
        if let Some(bad) = self.allowed_file_roots.iter().find(|r| std::env::join_paths([r.as_str()]).is_err()) {
            return Err(err("ALLOWED_FILE_ROOTS", format!("{bad:?} contains the path-list separator")));
        }
        let vars = self.to_vars();
        Settings::from_vars(&|k| vars.get(k).cloned())
    }

    /// The variables whose values differ between `self` and `other`.
    pub fn changed_vars(&self, other: &Settings) -> Vec<&'static str> {
        let (a, b) = (self.to_vars(), other.to_vars());
        SETTING_VARS.iter().copied().filter(|k| a.get(*k) != b.get(*k)).collect()
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
