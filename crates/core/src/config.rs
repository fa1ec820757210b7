//! Configuration from the environment and `.env`, with names compatible with the
//! reference server. Every invalid value is reported with the variable's name.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// Fully validated runtime configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Telegram API id from my.telegram.org (`API_ID`); needed for any Telegram call.
    pub api_id: Option<i32>,
    /// Telegram API hash (`API_HASH`); needed to request login codes.
    pub api_hash: Option<String>,
    /// Transport (`SERVER_MODE` / `TRANSPORT`): `stdio` or `http`.
    pub transport: Transport,
    /// Bind address for HTTP (`HOST`, default 127.0.0.1).
    pub host: IpAddr,
    /// Port for HTTP (`PORT`, default 8000; 0 = pick a free port).
    pub port: u16,
    /// Directory holding the token index, settings and session files (`SESSION_DIR`).
    pub session_dir: PathBuf,
    /// Development bypass of bearer auth (`DISABLE_AUTH`).
    pub disable_auth: bool,
    /// Public host or origin for attachment links (`DOMAIN`); `None` when unset or a placeholder.
    pub domain: Option<url::Url>,
    /// Lifetime of attachment download tickets (`ATTACHMENT_TICKET_TTL_SECONDS`).
    pub attachment_ticket_ttl: Duration,
    /// Allow plain-http URLs for file downloads (`ALLOW_HTTP_URLS`).
    pub allow_http_urls: bool,
    /// Size cap for URL downloads and attachment streaming (`MAX_FILE_SIZE_MB`).
    pub max_file_size_mb: u64,
    /// Refuse URL downloads that resolve to private/loopback/metadata addresses (`BLOCK_PRIVATE_IPS`).
    pub block_private_ips: bool,
    /// Log filter (`LOG_LEVEL`), e.g. `info` or `debug`.
    pub log_level: String,
    /// Maximum number of simultaneously connected Telegram clients (`MAX_ACTIVE_SESSIONS`).
    pub max_active_sessions: usize,
    /// Let `invoke_mtproto` call methods classified dangerous (`ALLOW_DANGEROUS_MTPROTO`).
    pub allow_dangerous_mtproto: bool,
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
    /// Folders stdio clients may send local files from (`ALLOWED_FILE_ROOTS`, a path list with
    /// the platform's separator, `none` for no folder; default: the home folder). MCP roots
    /// offered by the client replace them; dot-folders and the config dir are never allowed.
    pub allowed_file_roots: Vec<PathBuf>,
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
        let first = Self::from_lookup(&env)?;
        let file = read_settings_file(&first.session_dir)?;
        if file.is_empty() {
            return Ok(first);
        }
        // An empty environment variable counts as unset, so it does not hide settings.json.
        Self::from_lookup(|k| env(k).filter(|v| !v.trim().is_empty()).or_else(|| file.get(k).cloned()))
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
        let port = parse_num::<u16>(&var, "PORT", 8000)?;
        let session_dir = match var("SESSION_DIR") {
            Some(p) => expand_home(&p),
            None => {
                default_config_dir().ok_or_else(|| err("SESSION_DIR", "no home directory found; set SESSION_DIR"))?
            }
        };
        let disable_auth = parse_bool(&var, "DISABLE_AUTH", false)? || legacy_no_auth;
        let domain = match var("DOMAIN") {
            None => None,
            Some(d) if PLACEHOLDER_DOMAINS.contains(&d.to_ascii_lowercase().as_str()) => None,
            Some(d) => Some(parse_domain(&d)?),
        };
        let ttl = parse_num::<u64>(&var, "ATTACHMENT_TICKET_TTL_SECONDS", 3600)?;
        if !(60..=604_800).contains(&ttl) {
            return Err(err("ATTACHMENT_TICKET_TTL_SECONDS", "must be between 60 and 604800"));
        }
        let max_file_size_mb = parse_num::<u64>(&var, "MAX_FILE_SIZE_MB", 50)?;
        if !(1..=4096).contains(&max_file_size_mb) {
            return Err(err("MAX_FILE_SIZE_MB", "must be between 1 and 4096"));
        }
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
        let stdio_token_id = var("FAST_MCP_TELEGRAM_TOKEN_ID");
        if let Some(id) = &stdio_token_id
            && !crate::token_index::is_token_id(id)
        {
            return Err(err(
                "FAST_MCP_TELEGRAM_TOKEN_ID",
                "must be a token id like tok_0123456789ab (see `token list`)",
            ));
        }
        let allowed_file_roots = parse_roots(var("ALLOWED_FILE_ROOTS"))?;
        Ok(Config {
            api_id,
            api_hash,
            transport,
            host,
            port,
            session_dir,
            disable_auth,
            domain,
            attachment_ticket_ttl: Duration::from_secs(ttl),
            allow_http_urls: parse_bool(&var, "ALLOW_HTTP_URLS", false)?,
            max_file_size_mb,
            block_private_ips: parse_bool(&var, "BLOCK_PRIVATE_IPS", true)?,
            log_level: if log_level == "warning" { "warn".into() } else { log_level },
            max_active_sessions,
            allow_dangerous_mtproto: parse_bool(&var, "ALLOW_DANGEROUS_MTPROTO", false)?,
            dc_override,
            stdio_token: var("FAST_MCP_TELEGRAM_TOKEN"),
            stdio_token_id,
            session_slot_wait: Duration::from_secs(session_slot_wait),
            session_idle: Duration::from_secs(session_idle),
            agent_idle_exit: Duration::from_secs(agent_idle_exit),
            telegram_call_timeout: Duration::from_secs(telegram_call_timeout),
            allowed_file_roots,
            max_request_body_bytes,
            request_timeout,
        })
    }

    /// Maximum download size in bytes.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_size_mb * 1024 * 1024
    }

    /// The API id, or a clear error telling the user how to get one.
    pub fn require_api_id(&self) -> Result<i32, ConfigError> {
        self.api_id.ok_or_else(|| err("API_ID", "is not set; get one at https://my.telegram.org/apps"))
    }
}

/// The platform config dir (`~/.config/fast-mcp-telegram` on Linux).
pub fn default_config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", APP_NAME).map(|d| d.config_dir().to_path_buf())
}

fn err(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError { var, reason: reason.into() }
}

fn parse_bool(
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

fn parse_num<T: std::str::FromStr>(
    var: &impl Fn(&'static str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| err(name, format!("{v:?} is not a valid number"))),
    }
}

fn parse_domain(d: &str) -> Result<url::Url, ConfigError> {
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
fn parse_roots(raw: Option<String>) -> Result<Vec<PathBuf>, ConfigError> {
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

fn expand_home(p: &str) -> PathBuf {
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
        assert_eq!(c.host, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(c.port, 8000);
        assert_eq!(c.transport, Transport::Stdio);
        assert!(!c.disable_auth);
        assert!(c.block_private_ips);
        assert!(!c.allow_http_urls);
        assert_eq!(c.max_active_sessions, 10);
        assert!(c.domain.is_none());
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
        assert!(cfg(&[("SESSION_DIR", "/t"), ("DOMAIN", "your-domain.com")]).unwrap().domain.is_none());
        let d = cfg(&[("SESSION_DIR", "/t"), ("DOMAIN", "tg.example.org")]).unwrap().domain.unwrap();
        assert_eq!(d.as_str(), "https://tg.example.org/");
    }

    #[test]
    fn file_roots_default_to_home_and_accept_lists_and_none() {
        let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
        assert_eq!(cfg(&[("SESSION_DIR", "/t")]).unwrap().allowed_file_roots, home.into_iter().collect::<Vec<_>>());
        let sep = if cfg!(windows) { ";" } else { ":" };
        let c = cfg(&[("SESSION_DIR", "/t"), ("ALLOWED_FILE_ROOTS", &format!("/data{sep}/srv/files{sep}"))]).unwrap();
        assert_eq!(c.allowed_file_roots, vec![PathBuf::from("/data"), PathBuf::from("/srv/files")]);
        assert!(cfg(&[("SESSION_DIR", "/t"), ("ALLOWED_FILE_ROOTS", "none")]).unwrap().allowed_file_roots.is_empty());
    }

    #[test]
    fn legacy_modes_map_to_transport_and_auth() {
        let c = cfg(&[("SESSION_DIR", "/t"), ("SERVER_MODE", "http-no-auth")]).unwrap();
        assert_eq!(c.transport, Transport::Http);
        assert!(c.disable_auth);
        let c = cfg(&[("SESSION_DIR", "/t"), ("SERVER_MODE", "http-auth")]).unwrap();
        assert!(!c.disable_auth);
    }
}
