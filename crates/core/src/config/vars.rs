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

/// The `settings.json` format this version writes, and the newest it reads. A file without a
/// version is format 1 (written before versions existed) and gets one when next written.
pub const SETTINGS_FORMAT: u64 = 1;

/// The key of the format version in `settings.json` (a number; every other value is a string).
pub const SETTINGS_FORMAT_KEY: &str = "format_version";

/// Reads settings.json as variables; a missing file is empty, a corrupt one is an error naming
/// the file, and so is one from a newer version (which nothing here then writes over).
pub fn read_settings_file(dir: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let path = settings_path(dir);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(err("SESSION_DIR", format!("cannot read {}: {e}", path.display()))),
    };
    let corrupt = |why: String| err("SESSION_DIR", format!("{} is corrupt: {why}", path.display()));
    let mut map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    let version = match map.remove(SETTINGS_FORMAT_KEY) {
        None => 1,
        Some(v) => v
            .as_u64()
            .filter(|v| *v >= 1)
            .ok_or_else(|| corrupt(format!("{SETTINGS_FORMAT_KEY} is {v}, not a format number (1 or more)")))?,
    };
    if version > SETTINGS_FORMAT {
        return Err(err(
            "SESSION_DIR",
            format!(
                "{} was written by a newer version of fast-mcp-telegram (settings format {version}; this version reads up to {SETTINGS_FORMAT}); it is left as it is: run the newer version, or move the file away to start from the defaults",
                path.display()
            ),
        ));
    }
    map.into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k, s)),
            other => Err(corrupt(format!("{k} is {other}, not a string"))),
        })
        .collect()
}

/// The bytes of a `settings.json` holding `vars`, in the current format (versioned).
pub fn settings_file_bytes(vars: &BTreeMap<String, String>) -> Vec<u8> {
    let mut map = serde_json::Map::new();
    map.insert(SETTINGS_FORMAT_KEY.into(), SETTINGS_FORMAT.into());
    map.extend(vars.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))));
    serde_json::to_vec_pretty(&map).expect("a map of strings serializes")
}
