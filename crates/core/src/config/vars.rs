//! Parsing helpers shared by the startup configuration and the settings, and `settings.json` reading.

use super::ConfigError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub(super) fn err(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError { var, reason: reason.into() }
}

pub(super) fn parse_bool(
    var: &impl Fn(&'static str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match var(name).map(|v| v.to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
        Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
        Some(v) => Err(err(name, format!("{v:?} is not a boolean (use true or false)"))),
    }
}

pub(super) fn parse_num<T: std::str::FromStr>(
    var: &impl Fn(&'static str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| err(name, format!("{v:?} is not a valid number"))),
    }
}

pub(super) fn parse_domain(d: &str) -> Result<url::Url, ConfigError> {
    let with_scheme = if d.contains("://") {
        d.to_string()
    } else if d.starts_with("localhost") || d.starts_with("127.0.0.1") {
        format!("http://{d}")
    } else {
        format!("https://{d}")
    };
    let url = url::Url::parse(&with_scheme).map_err(|e| err("DOMAIN", format!("{d:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(err("DOMAIN", "must be a host name or an http(s) origin"));
    }
    Ok(url)
}

/// `ALLOWED_FILE_ROOTS`: unset means the home folder, `none` means no folder; every entry must
/// be absolute (after `~/` expansion).
pub(super) fn parse_roots(raw: Option<String>) -> Result<Vec<PathBuf>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(directories::BaseDirs::new().map(|b| vec![b.home_dir().to_path_buf()]).unwrap_or_default());
    };
    if raw.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let mut roots = Vec::new();
    for p in std::env::split_paths(&raw) {
        let text = p.to_string_lossy();
        if text.trim().is_empty() {
            continue;
        }
        let p = expand_home(text.trim());
        if !p.is_absolute() {
            return Err(err("ALLOWED_FILE_ROOTS", format!("{} is not an absolute path", p.display())));
        }
        roots.push(p);
    }
    Ok(roots)
}

pub(super) fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(b)) => b.home_dir().join(rest),
        _ => PathBuf::from(p),
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
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| ConfigError { var: "SESSION_DIR", reason: format!("{} is corrupt: {e}", path.display()) }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(ConfigError { var: "SESSION_DIR", reason: format!("cannot read {}: {e}", path.display()) }),
    }
}
