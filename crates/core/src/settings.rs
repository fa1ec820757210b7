//! `settings.json`: where the live [`Settings`] the tray app and `/setup` change are kept.
//!
//! Stored in the config dir (0600), with the same names as the environment variables, and a
//! `format_version` (see [`SETTINGS_FORMAT`](crate::config::SETTINGS_FORMAT)): a file without one
//! is read as format 1 and written back with it; one from a newer version is refused, untouched.
//! Precedence: environment > settings.json > defaults.
//!
//! The file may also hold the Telegram API credentials (`API_ID`, `API_HASH`)
//! entered in the setup UI. They are not part of [`Settings`]: they are saved
//! with [`save_api_credentials`], kept when settings are written, read through
//! [`Config::layered`](crate::config::Config::layered) at start; when entered while
//! running they apply at once (the tray app restarts its embedded server, other owners
//! switch in place with [`App::apply_api_credentials`](crate::app::App::apply_api_credentials)).

use crate::config::{Config, ConfigError, Settings, read_settings_file, settings_file_bytes, settings_path};
use crate::fsutil::write_private_atomic;
use std::collections::BTreeMap;
use std::path::Path;

/// Variables that settings.json may hold besides [`Settings`]; writing settings keeps them.
pub const API_CREDENTIAL_VARS: [&str; 2] = ["API_ID", "API_HASH"];

/// Writes settings.json (0600, atomic), keeping stored API credentials. An unreadable or
/// corrupt file is an error and stays untouched (overwriting it would lose the credentials).
pub fn write_settings_file(dir: &Path, s: &Settings) -> std::io::Result<()> {
    let mut vars = kept_vars(dir)?;
    vars.extend(s.to_vars());
    write_private_atomic(&settings_path(dir), &settings_file_bytes(&vars))
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
/// The running owner applies them itself (see `Control::settings_set`); this only stores them.
pub fn save_api_credentials(dir: &Path, api_id: i32, api_hash: &str) -> Result<(), ConfigError> {
    let (id, hash) = validate_api_credentials(dir, api_id, api_hash)?;
    let mut vars = read_settings_file(dir)?;
    vars.insert("API_ID".into(), id);
    vars.insert("API_HASH".into(), hash);
    write_private_atomic(&settings_path(dir), &settings_file_bytes(&vars))
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
    use std::path::PathBuf;

    fn base(dir: &Path) -> Config {
        let d = dir.to_string_lossy().into_owned();
        Config::from_lookup(|k| (k == "SESSION_DIR").then(|| d.clone())).unwrap()
    }

    #[test]
    fn api_credentials_survive_settings_writes_and_are_layered() {
        let dir = tempfile::tempdir().unwrap();
        let hash = "0123456789abcdef0123456789ABCDEF";
        save_api_credentials(dir.path(), 12345, hash).unwrap();
        let mut s = base(dir.path()).settings;
        s.disable_auth = true;
        write_settings_file(dir.path(), &s).unwrap();
        let stored = read_api_credentials(dir.path());
        assert_eq!(stored.api_id, Some(12345));
        assert_eq!(stored.api_hash.as_deref(), Some("0123456789abcdef0123456789abcdef"));
        assert!(!format!("{stored:?}").contains("0123456789abcdef"), "Debug hides the hash");
        let d = dir.path().to_string_lossy().into_owned();
        let c = Config::layered(|k| (k == "SESSION_DIR").then(|| d.clone())).unwrap();
        assert_eq!(c.startup.api_id, Some(12345));
        assert!(c.settings.disable_auth);
        assert!(c.env_fixed.is_empty(), "nothing came from the environment");
        // The environment still wins.
        let c = Config::layered(|k| match k {
            "SESSION_DIR" => Some(d.clone()),
            "API_ID" => Some("777".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.startup.api_id, Some(777));
    }

    #[test]
    fn file_roots_round_trip_through_settings_json() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = base(dir.path()).settings;
        let (a, b) = if cfg!(windows) { (r"C:\data\a", r"D:\srv\b") } else { ("/data/a", "/srv/b") };
        s.allowed_file_roots = vec![a.into(), b.into()];
        write_settings_file(dir.path(), &s).unwrap();
        let d = dir.path().to_string_lossy().into_owned();
        let c = Config::layered(|k| (k == "SESSION_DIR").then(|| d.clone())).unwrap();
        assert_eq!(c.settings.file_roots(), vec![PathBuf::from(a), PathBuf::from(b)]);
        // An empty list means no folder, not the default.
        s.allowed_file_roots.clear();
        write_settings_file(dir.path(), &s).unwrap();
        assert!(
            Config::layered(|k| (k == "SESSION_DIR").then(|| d.clone()))
                .unwrap()
                .settings
                .allowed_file_roots
                .is_empty()
        );
        s.allowed_file_roots = vec!["relative".into()];
        assert_eq!(s.validate().unwrap_err().var, "ALLOWED_FILE_ROOTS");
        if !cfg!(windows) {
            s.allowed_file_roots = vec!["/a:b".into()];
            assert_eq!(s.validate().unwrap_err().var, "ALLOWED_FILE_ROOTS");
        }
    }

    #[test]
    fn an_unreadable_settings_file_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        // Hand-edited, with a trailing comma: saving settings must not silently drop the credentials.
        let text = "{ \"API_ID\": \"12345\", \"API_HASH\": \"0123456789abcdef0123456789abcdef\", }";
        std::fs::write(settings_path(dir.path()), text).unwrap();
        let s = base(dir.path()).settings;
        assert!(write_settings_file(dir.path(), &s).is_err());
        assert_eq!(std::fs::read_to_string(settings_path(dir.path())).unwrap(), text);
    }

    #[test]
    fn an_unversioned_file_is_read_as_format_1_and_written_back_versioned() {
        let dir = tempfile::tempdir().unwrap();
        let text = "{ \"API_ID\": \"12345\", \"API_HASH\": \"0123456789abcdef0123456789abcdef\", \"PORT\": \"9001\" }";
        std::fs::write(settings_path(dir.path()), text).unwrap();
        let d = dir.path().to_string_lossy().into_owned();
        let c = Config::layered(|k| (k == "SESSION_DIR").then(|| d.clone())).unwrap();
        assert_eq!((c.startup.api_id, c.settings.port), (Some(12345), 9001));
        write_settings_file(dir.path(), &c.settings).unwrap();
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(settings_path(dir.path())).unwrap()).unwrap();
        assert_eq!(written["format_version"], 1);
        assert_eq!((written["API_ID"].as_str(), written["PORT"].as_str()), (Some("12345"), Some("9001")));
        // And it reads back the same.
        let again = Config::layered(|k| (k == "SESSION_DIR").then(|| d.clone())).unwrap();
        assert_eq!((again.startup.api_id, again.settings.port), (Some(12345), 9001));
    }

    #[test]
    fn a_file_from_a_newer_version_is_refused_by_name_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = settings_path(dir.path());
        let text = "{\"format_version\": 2, \"API_ID\": \"12345\", \"THEME\": {\"new\": \"shape\"}}";
        std::fs::write(&path, text).unwrap();
        let d = dir.path().to_string_lossy().into_owned();
        let e = Config::layered(|k| (k == "SESSION_DIR").then(|| d.clone())).unwrap_err();
        assert!(e.reason.contains(&path.display().to_string()), "{e}");
        assert!(e.reason.contains("newer version") && e.reason.contains("format 2"), "{e}");
        assert!(write_settings_file(dir.path(), &base(dir.path()).settings).is_err());
        assert!(save_api_credentials(dir.path(), 777, "0123456789abcdef0123456789abcdef").is_err());
        assert_eq!(read_api_credentials(dir.path()), StoredApiCredentials::default(), "nothing read from it");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "left byte for byte");
        // A version that is no number is corruption, also named and left alone.
        std::fs::write(&path, "{\"format_version\": \"one\"}").unwrap();
        let e = Config::layered(|k| (k == "SESSION_DIR").then(|| d.clone())).unwrap_err();
        assert!(e.reason.contains("is corrupt") && e.reason.contains("format_version"), "{e}");
    }

    #[test]
    fn invalid_api_credentials_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(save_api_credentials(dir.path(), 0, "0123456789abcdef0123456789abcdef").unwrap_err().var, "API_ID");
        assert_eq!(save_api_credentials(dir.path(), 5, "nothex").unwrap_err().var, "API_HASH");
        assert!(!settings_path(dir.path()).exists());
    }
}
