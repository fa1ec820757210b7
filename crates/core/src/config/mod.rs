//! Configuration from the environment and `.env`, with names compatible with the
//! reference server. Every invalid value is reported with the variable's name.

mod settings;
mod vars;

pub use settings::{SETTING_VARS, Settings};
pub use vars::{SETTINGS_FORMAT, SETTINGS_FORMAT_KEY, read_settings_file, settings_file_bytes, settings_path};

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;
use vars::{err, expand_home, parse_domain, parse_num};

/// Application name used for the config dir and keyring service.
pub const APP_NAME: &str = "fast-mcp-telegram";

/// Which MCP transport the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// MCP over stdin/stdout (one local client, no token needed).
    Stdio,
    /// MCP streamable HTTP on a local port, bearer-token protected.
    Http,
}

/// A configuration error that names the offending variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid value for {var}: {reason}")]
pub struct ConfigError {
    /// The environment variable name.
    pub var: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

/// Fully validated configuration: what is fixed for the life of the process ([`Startup`]) and
/// the live settings it starts with ([`Settings`], changeable at runtime by the tray app and
/// `/setup`). The app keeps the two apart: `App::config` is the [`Startup`] part and
/// `App::settings()` the one live copy of the other, so nothing reads a stale setting.
#[derive(Debug, Clone)]
pub struct Config {
    /// Fixed at start.
    pub startup: Startup,
    /// The settings this run starts with.
    pub settings: Settings,
    /// Setting variables given by the environment (or `.env`): they win over `settings.json` at
    /// every start, so the UI shows them read-only and a change to them is refused.
    pub env_fixed: Vec<&'static str>,
    /// Whether `API_ID` or `API_HASH` came from the environment (or `.env`): they then win over
    /// credentials saved in `settings.json`, so the setup page cannot change them.
    pub api_from_env: bool,
}

/// The part of the configuration fixed for the life of the process.
#[derive(Debug, Clone)]
pub struct Startup {
    /// Telegram API id from my.telegram.org (`API_ID`); needed for any Telegram call.
    pub api_id: Option<i32>,
    /// Telegram API hash (`API_HASH`); needed to request login codes.
    pub api_hash: Option<String>,
    /// Transport (`SERVER_MODE` / `TRANSPORT`): `stdio` or `http`.
    pub transport: Transport,
    /// Bind address for HTTP (`HOST`, default 127.0.0.1).
    pub host: IpAddr,
    /// Directory holding the token index, settings and session files (`SESSION_DIR`).
    pub session_dir: PathBuf,
    /// Public host or origin for attachment links (`DOMAIN`); `None` when unset or a placeholder.
    pub domain: Option<url::Url>,
    /// Log filter (`LOG_LEVEL`), e.g. `info` or `debug`.
    pub log_level: String,
    /// Maximum number of simultaneously connected Telegram clients (`MAX_ACTIVE_SESSIONS`).
    pub max_active_sessions: usize,
    /// Telegram data centre address override for new sessions (`TELEGRAM_DC_ADDR`); test DCs only.
    pub dc_override: Option<SocketAddr>,
    /// Token used by stdio mode to pick its session (`FAST_MCP_TELEGRAM_TOKEN`; prefer the id below).
    pub stdio_token: Option<String>,
    /// Non-secret token id a stdio client acts as (`FAST_MCP_TELEGRAM_TOKEN_ID` or `--token-id`).
    pub stdio_token_id: Option<String>,
    /// How long a new session waits for a free slot when every client is busy (`SESSION_SLOT_WAIT_SECONDS`, 30).
    pub session_slot_wait: Duration,
    /// Idle time after which a connected client is closed (`SESSION_IDLE_SECONDS`, 900).
    pub session_idle: Duration,
    /// A background agent started for stdio clients exits after this long without clients (`AGENT_IDLE_EXIT_SECONDS`, 300).
    pub agent_idle_exit: Duration,
    /// A tool call that Telegram has not answered after this long fails with a retryable error
    /// and the connection is reopened (`TELEGRAM_CALL_TIMEOUT_SECONDS`, 60).
    pub telegram_call_timeout: Duration,
    /// How long a write waits for the user's approval (`APPROVAL_TIMEOUT_SECONDS`, 120).
    pub approval_timeout: Duration,
    /// Maximum HTTP request body size in bytes (`MAX_REQUEST_BODY_BYTES`).
    pub max_request_body_bytes: usize,
    /// Per-request timeout for HTTP tool calls (`REQUEST_TIMEOUT_SECONDS`).
    pub request_timeout: Duration,
}

/// Placeholder domains from the reference server's examples; they mean "not set".
const PLACEHOLDER_DOMAINS: &[&str] = &["your-domain.com", "your-server.com", "example.com"];

impl Config {
    /// Loads `.env` (if present in the working directory) and then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::layered(|k| std::env::var(k).ok())
    }

    /// `env` first, then `settings.json` in the resulting config dir (written by the tray app / setup page).
    pub fn layered(env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // An empty environment variable counts as unset, so it does not hide settings.json.
        let env = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let first = Self::from_lookup(env)?;
        let file = read_settings_file(&first.startup.session_dir)?;
        let mut config =
            if file.is_empty() { first } else { Self::from_lookup(|k| env(k).or_else(|| file.get(k).cloned()))? };
        config.env_fixed = SETTING_VARS.iter().copied().filter(|k| env(k).is_some()).collect();
        config.api_from_env = env("API_ID").is_some() || env("API_HASH").is_some();
        if env("SERVER_MODE").is_some_and(|m| m.eq_ignore_ascii_case("http-no-auth")) {
            config.env_fixed.push("DISABLE_AUTH");
        }
        Ok(config)
    }

    /// Builds a config from any variable lookup (used by tests and the GUI).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &'static str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let api_id = var("API_ID")
            .map(|v| {
                v.parse::<i32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| err("API_ID", "must be a positive integer from my.telegram.org"))
            })
            .transpose()?;
        let api_hash = var("API_HASH");
        if let Some(h) = &api_hash
            && !(h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(err("API_HASH", "must be the 32 hex characters from my.telegram.org"));
        }
        let transport =
            match var("SERVER_MODE").or_else(|| var("TRANSPORT")).as_deref().map(str::to_ascii_lowercase).as_deref() {
                None | Some("stdio") => Transport::Stdio,
                Some("http") | Some("http-auth") | Some("http-no-auth") => Transport::Http,
                Some(other) => {
                    return Err(err("SERVER_MODE", format!("unknown transport {other:?}; use stdio or http")));
                }
            };
        // The reference server's `http-no-auth` mode maps to our dev bypass.
        let legacy_no_auth = var("SERVER_MODE").is_some_and(|m| m.eq_ignore_ascii_case("http-no-auth"));
        let host = match var("HOST") {
            None => IpAddr::from([127, 0, 0, 1]),
            Some(h) if h.eq_ignore_ascii_case("localhost") => IpAddr::from([127, 0, 0, 1]),
            Some(h) => h.parse().map_err(|_| err("HOST", format!("{h:?} is not an IP address")))?,
        };
        let session_dir = match var("SESSION_DIR") {
            Some(p) => expand_home(&p),
            None => {
                default_config_dir().ok_or_else(|| err("SESSION_DIR", "no home directory found; set SESSION_DIR"))?
            }
        };
        let domain = match var("DOMAIN") {
            None => None,
            Some(d) if PLACEHOLDER_DOMAINS.contains(&d.to_ascii_lowercase().as_str()) => None,
            Some(d) => Some(parse_domain(&d)?),
        };
        let max_active_sessions = parse_num::<usize>(&var, "MAX_ACTIVE_SESSIONS", 10)?;
        if max_active_sessions == 0 {
            return Err(err("MAX_ACTIVE_SESSIONS", "must be at least 1"));
        }
        let log_level = var("LOG_LEVEL").unwrap_or_else(|| "info".into()).to_ascii_lowercase();
        if !["trace", "debug", "info", "warn", "warning", "error"].contains(&log_level.as_str()) {
            return Err(err("LOG_LEVEL", "use one of trace, debug, info, warn, error"));
        }
        let dc_override = var("TELEGRAM_DC_ADDR")
            .map(|v| v.parse::<SocketAddr>().map_err(|_| err("TELEGRAM_DC_ADDR", "must be ip:port")))
            .transpose()?;
        let max_request_body_bytes = parse_num::<usize>(&var, "MAX_REQUEST_BODY_BYTES", 4 * 1024 * 1024)?;
        let request_timeout = Duration::from_secs(parse_num::<u64>(&var, "REQUEST_TIMEOUT_SECONDS", 300)?);
        let session_slot_wait = parse_num::<u64>(&var, "SESSION_SLOT_WAIT_SECONDS", 30)?;
        if !(1..=600).contains(&session_slot_wait) {
            return Err(err("SESSION_SLOT_WAIT_SECONDS", "must be between 1 and 600"));
        }
        let session_idle = parse_num::<u64>(&var, "SESSION_IDLE_SECONDS", 900)?;
        if !(1..=604_800).contains(&session_idle) {
            return Err(err("SESSION_IDLE_SECONDS", "must be between 1 and 604800"));
        }
        let agent_idle_exit = parse_num::<u64>(&var, "AGENT_IDLE_EXIT_SECONDS", 300)?;
        if !(1..=604_800).contains(&agent_idle_exit) {
            return Err(err("AGENT_IDLE_EXIT_SECONDS", "must be between 1 and 604800"));
        }
        let telegram_call_timeout = parse_num::<u64>(&var, "TELEGRAM_CALL_TIMEOUT_SECONDS", 60)?;
        if !(1..=3600).contains(&telegram_call_timeout) {
            return Err(err("TELEGRAM_CALL_TIMEOUT_SECONDS", "must be between 1 and 3600"));
        }
        let approval_timeout = parse_num::<u64>(&var, "APPROVAL_TIMEOUT_SECONDS", 120)?;
        if !(1..=3600).contains(&approval_timeout) {
            return Err(err("APPROVAL_TIMEOUT_SECONDS", "must be between 1 and 3600"));
        }
        let stdio_token_id = var("FAST_MCP_TELEGRAM_TOKEN_ID");
        if let Some(id) = &stdio_token_id
            && !crate::token_index::is_token_id(id)
        {
            return Err(err(
                "FAST_MCP_TELEGRAM_TOKEN_ID",
                "must be a token id like tok_0123456789ab (see `token list`)",
            ));
        }
        let mut settings = Settings::from_vars(&var)?;
        settings.disable_auth |= legacy_no_auth;
        let startup = Startup {
            api_id,
            api_hash,
            transport,
            host,
            session_dir,
            domain,
            log_level: if log_level == "warning" { "warn".into() } else { log_level },
            max_active_sessions,
            dc_override,
            stdio_token: var("FAST_MCP_TELEGRAM_TOKEN"),
            stdio_token_id,
            session_slot_wait: Duration::from_secs(session_slot_wait),
            session_idle: Duration::from_secs(session_idle),
            agent_idle_exit: Duration::from_secs(agent_idle_exit),
            telegram_call_timeout: Duration::from_secs(telegram_call_timeout),
            approval_timeout: Duration::from_secs(approval_timeout),
            max_request_body_bytes,
            request_timeout,
        };
        Ok(Config { startup, settings, env_fixed: Vec::new(), api_from_env: false })
    }
}

impl Startup {
    /// The API id, or a clear error telling the user how to get one.
    pub fn require_api_id(&self) -> Result<i32, ConfigError> {
        self.api_id.ok_or_else(|| err("API_ID", "is not set; get one at https://my.telegram.org/apps"))
    }
}

/// The platform config dir (`~/.config/fast-mcp-telegram` on Linux).
pub fn default_config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", APP_NAME).map(|d| d.config_dir().to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_local_and_safe() {
        let c = cfg(&[("SESSION_DIR", "/tmp/x")]).unwrap();
        assert_eq!(c.startup.host, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(c.settings.port, 8000);
        assert_eq!(c.startup.transport, Transport::Stdio);
        assert!(!c.settings.disable_auth);
        assert!(c.settings.block_private_ips);
        assert!(!c.settings.allow_http_urls);
        assert_eq!(c.startup.max_active_sessions, 10);
        assert!(c.startup.domain.is_none());
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (k, v) in [
            ("PORT", "99999"),
            ("API_ID", "abc"),
            ("API_HASH", "short"),
            ("DISABLE_AUTH", "maybe"),
            ("SERVER_MODE", "carrier-pigeon"),
            ("HOST", "not-an-ip"),
            ("ATTACHMENT_TICKET_TTL_SECONDS", "5"),
            ("MAX_FILE_SIZE_MB", "0"),
            ("MAX_ACTIVE_SESSIONS", "0"),
            ("LOG_LEVEL", "loud"),
            ("TELEGRAM_DC_ADDR", "nowhere"),
            ("SESSION_SLOT_WAIT_SECONDS", "0"),
            ("SESSION_IDLE_SECONDS", "0"),
            ("AGENT_IDLE_EXIT_SECONDS", "0"),
            ("TELEGRAM_CALL_TIMEOUT_SECONDS", "0"),
            ("FAST_MCP_TELEGRAM_TOKEN_ID", "../../etc"),
            ("ALLOWED_FILE_ROOTS", "relative/dir"),
        ] {
            let e = cfg(&[("SESSION_DIR", "/tmp/x"), (k, v)]).unwrap_err();
            assert_eq!(e.var, k, "{k}={v} gave {e}");
            assert!(e.to_string().contains(k));
        }
    }

    #[test]
    fn domain_placeholders_are_ignored_and_hosts_get_https() {
        assert!(cfg(&[("SESSION_DIR", "/t"), ("DOMAIN", "your-domain.com")]).unwrap().startup.domain.is_none());
        let d = cfg(&[("SESSION_DIR", "/t"), ("DOMAIN", "tg.example.org")]).unwrap().startup.domain.unwrap();
        assert_eq!(d.as_str(), "https://tg.example.org/");
    }

    #[test]
    fn file_roots_default_to_home_and_accept_lists_and_none() {
        let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
        assert_eq!(cfg(&[("SESSION_DIR", "/t")]).unwrap().settings.file_roots(), home.into_iter().collect::<Vec<_>>());
        let (sep, a, b) = if cfg!(windows) { (";", r"C:\data", r"D:\srv\files") } else { (":", "/data", "/srv/files") };
        let c = cfg(&[("SESSION_DIR", "/t"), ("ALLOWED_FILE_ROOTS", &format!("{a}{sep}{b}{sep}"))]).unwrap();
        assert_eq!(c.settings.file_roots(), vec![PathBuf::from(a), PathBuf::from(b)]);
        assert!(
            cfg(&[("SESSION_DIR", "/t"), ("ALLOWED_FILE_ROOTS", "none")])
                .unwrap()
                .settings
                .allowed_file_roots
                .is_empty()
        );
    }

    #[test]
    fn legacy_modes_map_to_transport_and_auth() {
        let c = cfg(&[("SESSION_DIR", "/t"), ("SERVER_MODE", "http-no-auth")]).unwrap();
        assert_eq!(c.startup.transport, Transport::Http);
        assert!(c.settings.disable_auth);
        let c = cfg(&[("SESSION_DIR", "/t"), ("SERVER_MODE", "http-auth")]).unwrap();
        assert!(!c.settings.disable_auth);
    }

    #[test]
    fn settings_from_the_environment_are_fixed_and_win_over_settings_json() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().into_owned();
        let json = r#"{"DISABLE_AUTH": "true", "MAX_FILE_SIZE_MB": "7", "PORT": "9001"}"#;
        std::fs::write(settings_path(dir.path()), json).unwrap();
        let c = Config::layered(|k| match k {
            "SESSION_DIR" => Some(d.clone()),
            "DISABLE_AUTH" => Some("false".into()),
            "PORT" => Some("  ".into()),
            _ => None,
        })
        .unwrap();
        assert!(!c.settings.disable_auth, "the environment wins");
        assert_eq!((c.settings.max_file_size_mb, c.settings.port), (7, 9001), "settings.json fills the rest");
        assert_eq!(c.env_fixed, vec!["DISABLE_AUTH"], "an empty variable is unset, not fixed");
        let c = Config::layered(|k| match k {
            "SESSION_DIR" => Some(d.clone()),
            "SERVER_MODE" => Some("http-no-auth".into()),
            _ => None,
        })
        .unwrap();
        assert!(c.settings.disable_auth);
        assert_eq!(c.env_fixed, vec!["DISABLE_AUTH"], "the legacy no-auth mode fixes the bypass");
    }
}
