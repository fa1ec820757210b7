//! The operations behind the setup UI, shared by the tray app's IPC commands
//! and the HTTP setup API (`POST /api/{command}`): one place for status,
//! logins, tokens, settings and client configs, so both front doors behave
//! the same.
//!
//! Every command takes a JSON object and returns JSON ([`Control::call`]);
//! errors are a [`ControlError`] serialised as
//! `{"error":{"message","code","retry_after"?}}`. Token plaintexts appear only
//! in the answer that issues them (login done, create, rotate) and in
//! `token_reveal` / `client_configs`, which read them from the OS keyring.
//! Nothing here logs a token or a phone number.

use crate::app::App;
use crate::config::{Config, ConfigError};
use crate::login::{Account, LOGIN_TTL, LoginError, LoginStep};
use crate::sessions::SessionActivity;
use crate::settings::Settings;
use crate::telegram::TgError;
use crate::token_index::{IndexError, Issued, TokenRecord, new_id};
use crate::tokens::Token;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

/// Every command [`Control::call`] understands (the Tauri app registers one IPC command per name).
pub const COMMANDS: &[&str] = &[
    "status",
    "login_start_code",
    "login_submit_code",
    "login_submit_password",
    "login_start_qr",
    "login_poll_qr",
    "login_cancel",
    "tokens_list",
    "token_create",
    "token_reveal",
    "token_rotate",
    "token_revoke",
    "session_sign_out",
    "settings_get",
    "settings_set",
    "server_restart",
    "client_configs",
    "session_import",
    "backup_create",
    "backup_restore",
    "client_setup_list",
    "client_setup_add",
    "client_setup_remove",
];

/// Label of the token issued by a login when the user gave none.
pub const DEFAULT_LOGIN_LABEL: &str = "Telegram login";

/// Settings that only apply after the server restarts.
pub const RESTART_FIELDS: &[&str] = &["port", "api_id", "api_hash"];

/// Name of the headless binary that client configs start over stdio.
pub const CLI_BINARY: &str = "fast-mcp-telegram";

/// Placeholder put into stdio client configs when no token id is chosen.
pub const TOKEN_ID_PLACEHOLDER: &str = "<TOKEN-ID, e.g. tok_0123456789ab>";

/// Placeholder put into client configs when the token is not known.
pub const TOKEN_PLACEHOLDER: &str = "<PASTE-YOUR-TOKEN-HERE>";

/// A failed command, with a stable machine-readable code for the UI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// The arguments are missing, malformed or out of range.
    #[error("{0}")]
    InvalidInput(String),
    /// No command with this name.
    #[error("unknown command {0:?}")]
    UnknownCommand(String),
    /// A login step failed (wrong code or password, unknown flow, bad phone...).
    #[error(transparent)]
    Login(LoginError),
    /// Telegram asks to wait.
    #[error("Telegram asks to wait {retry_after} s before trying again")]
    FloodWait {
        /// Seconds to wait.
        retry_after: u32,
    },
    /// API_ID/API_HASH are not configured.
    #[error("{0}")]
    ApiCredentialsMissing(String),
    /// The session is not logged in.
    #[error("this session is not logged in to Telegram")]
    NotAuthorized,
    /// Telegram refused the request.
    #[error("{0}")]
    Telegram(String),
    /// Telegram could not be reached.
    #[error("{0}")]
    Network(String),
    /// No such token (or other object).
    #[error("{0}")]
    NotFound(String),
    /// There is no OS keyring, so token plaintexts cannot be shown again.
    #[error("no OS keyring is available: tokens are shown once only; rotate the token to get a new one")]
    KeyringUnavailable,
    /// The keyring has no plaintext for this token.
    #[error("token {0} is not in the OS keyring; rotate it to get a new one")]
    NotInKeyring(String),
    /// This host cannot restart its server (the headless server must be restarted by hand).
    #[error("restart the `fast-mcp-telegram serve` process to apply this change")]
    RestartUnsupported,
    /// A local failure (disk, keyring, …).
    #[error("{0}")]
    Internal(String),
}

impl ControlError {
    /// The stable code the UI switches on.
    pub fn code(&self) -> &'static str {
        match self {
            ControlError::InvalidInput(_) => "invalid_input",
            ControlError::UnknownCommand(_) => "unknown_command",
            ControlError::Login(e) => e.code(),
            ControlError::FloodWait { .. } => "flood_wait",
            ControlError::ApiCredentialsMissing(_) => "api_credentials_missing",
            ControlError::NotAuthorized => "not_authorized",
            ControlError::Telegram(_) => "telegram_error",
            ControlError::Network(_) => "network_error",
            ControlError::NotFound(_) => "not_found",
            ControlError::KeyringUnavailable => "keyring_unavailable",
            ControlError::NotInKeyring(_) => "not_in_keyring",
            ControlError::RestartUnsupported => "restart_unsupported",
            ControlError::Internal(_) => "internal",
        }
    }

    /// Seconds to wait, for `flood_wait`.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            ControlError::FloodWait { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// The HTTP status the setup API answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            ControlError::UnknownCommand(_) | ControlError::NotFound(_) | ControlError::NotInKeyring(_) => 404,
            ControlError::FloodWait { .. } => 429,
            ControlError::Network(_) => 502,
            ControlError::Internal(_) => 500,
            ControlError::KeyringUnavailable
            | ControlError::RestartUnsupported
            | ControlError::ApiCredentialsMissing(_) => 409,
            _ => 400,
        }
    }

    /// `{"error":{"message","code","retry_after"?}}`.
    pub fn to_json(&self) -> Value {
        let mut e = json!({ "message": self.to_string(), "code": self.code() });
        if let Some(s) = self.retry_after() {
            e["retry_after"] = json!(s);
        }
        json!({ "error": e })
    }
}

impl Serialize for ControlError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl From<TgError> for ControlError {
    fn from(e: TgError) -> Self {
        match e {
            TgError::FloodWait { retry_after } => ControlError::FloodWait { retry_after },
            TgError::NotAuthorized => ControlError::NotAuthorized,
            TgError::Config(m) => ControlError::ApiCredentialsMissing(m),
            TgError::Network(m) => ControlError::Network(format!("could not reach Telegram: {m}")),
            TgError::Busy(m) => ControlError::Network(m),
            TgError::Invalid(m) => ControlError::InvalidInput(m),
            TgError::NotFound(m) => ControlError::NotFound(m),
            TgError::Session(m) => ControlError::Internal(format!("session storage error: {m}")),
            e @ TgError::Rpc { .. } => ControlError::Telegram(e.to_string()),
        }
    }
}

impl From<LoginError> for ControlError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Telegram(t) => t.into(),
            other => ControlError::Login(other),
        }
    }
}

impl From<IndexError> for ControlError {
    fn from(e: IndexError) -> Self {
        match e {
            IndexError::NotFound(_) => ControlError::NotFound(e.to_string()),
            IndexError::InvalidLabel(_) => ControlError::InvalidInput(e.to_string()),
            IndexError::Io { .. } | IndexError::Corrupt { .. } => ControlError::Internal(e.to_string()),
        }
    }
}

impl From<ConfigError> for ControlError {
    fn from(e: ConfigError) -> Self {
        ControlError::InvalidInput(e.to_string())
    }
}

/// Which front door the UI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HostKind {
    /// The tray app's window (Tauri IPC).
    Tauri,
    /// The `/setup` page of the headless HTTP server.
    Http,
    /// A background agent (its only front door is the owner socket: the CLI and stdio clients).
    Agent,
}

/// The MCP HTTP server as the host reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServerState {
    /// Whether it is listening.
    pub running: bool,
    /// Where it listens.
    pub addr: Option<SocketAddr>,
    /// Why it is not running, if it failed.
    pub error: Option<String>,
}

impl ServerState {
    /// A server listening on `addr`.
    pub fn running(addr: SocketAddr) -> Self {
        ServerState { running: true, addr: Some(addr), error: None }
    }

    /// A server that failed to start.
    pub fn failed(error: impl Into<String>) -> Self {
        ServerState { running: false, addr: None, error: Some(error.into()) }
    }
}

/// A boxed future, for the reload hook.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Rebuilds the app from the configuration on disk and restarts the server (tray app only).
pub type Reloader = Arc<dyn Fn() -> BoxFuture<Result<(Arc<App>, ServerState), String>> + Send + Sync>;

struct PendingLogin {
    label: String,
    token_id: Option<String>,
    started: Instant,
}

/// The shared operations layer; one per front door.
pub struct Control {
    app: RwLock<Arc<App>>,
    server: RwLock<ServerState>,
    kind: HostKind,
    reloader: Option<Reloader>,
    pending: Mutex<HashMap<String, PendingLogin>>,
    /// One lock per login flow: its steps and its cancel run one at a time.
    login_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

// ---- request and answer types ----

/// `backup_create` arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupCreateArgs {
    /// Absolute path of the archive to write.
    pub path: PathBuf,
    /// Passphrase (8 characters or more).
    pub passphrase: String,
    /// Also store the token secrets from the OS keyring.
    #[serde(default)]
    pub include_secrets: bool,
}

/// `backup_restore` arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupRestoreArgs {
    /// Absolute path of the archive.
    pub path: PathBuf,
    /// Its passphrase.
    pub passphrase: String,
    /// Restore even over a state newer than the archive.
    #[serde(default)]
    pub force: bool,
}

/// `session_import` arguments: a Telethon session file of the Python server.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionImportArgs {
    /// Absolute path of the `.session` file.
    pub path: PathBuf,
    /// Label of the token (default "Imported from the Python server").
    #[serde(default)]
    pub label: Option<String>,
}

/// `login_start_code` arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartCodeArgs {
    /// Phone number in international format.
    pub phone: String,
    /// Label of the token to issue (default [`DEFAULT_LOGIN_LABEL`]).
    #[serde(default)]
    pub label: Option<String>,
    /// Log in the session of this existing token instead of a new session (no new token is issued).
    #[serde(default)]
    pub token_id: Option<String>,
}

/// `login_start_qr` arguments.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartQrArgs {
    /// Label of the token to issue (default [`DEFAULT_LOGIN_LABEL`]).
    #[serde(default)]
    pub label: Option<String>,
    /// Log in the session of this existing token instead of a new session.
    #[serde(default)]
    pub token_id: Option<String>,
}

/// `login_submit_code` arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitCodeArgs {
    /// The login flow.
    pub login_id: String,
    /// The code Telegram sent.
    pub code: String,
}

/// `login_submit_password` arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitPasswordArgs {
    /// The login flow.
    pub login_id: String,
    /// The 2FA password.
    pub password: String,
}

/// Arguments naming a login flow.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginIdArgs {
    /// The login flow.
    pub login_id: String,
}

/// `token_create` arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenCreateArgs {
    /// A label to recognise the token.
    pub label: String,
    /// Share the session (Telegram account) of this token instead of starting a new one.
    #[serde(default)]
    pub same_session_as: Option<String>,
}

/// Arguments naming a token.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenIdArgs {
    /// Token id (`tok_…`).
    pub id: String,
}

/// `token_revoke` arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRevokeArgs {
    /// Token id (`tok_…`).
    pub id: String,
    /// Also log the session out and delete it when no other token uses it.
    #[serde(default)]
    pub delete_session: bool,
}

/// `session_sign_out` arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignOutArgs {
    /// A token of the session to sign out; every token of that session is revoked.
    pub token_id: String,
}

/// `client_configs` arguments.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfigsArgs {
    /// Token whose plaintext (from the OS keyring) goes into the snippets.
    #[serde(default)]
    pub token_id: Option<String>,
    /// A token plaintext the UI already holds (must be a token this server issued).
    #[serde(default)]
    pub token: Option<String>,
}

/// A token as the UI lists it (no secret).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenInfo {
    /// Non-secret id.
    pub id: String,
    /// Label.
    pub label: String,
    /// The Telegram account of its session, once logged in.
    pub account: Option<String>,
    /// Session id.
    pub session_id: String,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last use, Unix seconds.
    pub last_used_at: Option<i64>,
}

impl From<TokenRecord> for TokenInfo {
    fn from(r: TokenRecord) -> Self {
        TokenInfo {
            id: r.id,
            label: r.label,
            account: r.account,
            session_id: r.session_id,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        }
    }
}

/// A token issued just now: the only answer that carries a fresh plaintext.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuedToken {
    /// The plaintext token (shown once unless the keyring keeps it).
    pub token: String,
    /// Its record.
    pub record: TokenInfo,
    /// Whether the OS keyring keeps it for later reveals.
    pub stored_in_keyring: bool,
}

impl From<Issued> for IssuedToken {
    fn from(i: Issued) -> Self {
        IssuedToken {
            token: i.token.expose().to_string(),
            record: i.record.into(),
            stored_in_keyring: i.stored_in_keyring,
        }
    }
}

/// The answer to a login step: the step, plus the issued token once done.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginOutcome {
    /// Where the flow stands (`next`: code, password, qr, done).
    #[serde(flatten)]
    pub step: LoginStep,
    /// On `done` for a new session: the token issued for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<IssuedToken>,
    /// On `done` for an existing token's session: that token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_token: Option<TokenInfo>,
}

/// One ready-to-paste client configuration.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ClientConfig {
    /// Stable id (`claude_desktop`, `cursor`, …).
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Where the snippet goes.
    pub location: &'static str,
    /// `json`, `toml` or `text`.
    pub format: &'static str,
    /// The snippet.
    pub text: String,
    /// Hints for the user.
    pub note: String,
}

/// `client_configs` answer.
#[derive(Debug, Clone, Serialize)]
pub struct ClientConfigs {
    /// The MCP endpoint.
    pub url: String,
    /// The token the snippets use, if one was selected.
    pub token_id: Option<String>,
    /// Whether the real token is inside the snippets (else a placeholder).
    pub token_included: bool,
    /// One per client.
    pub configs: Vec<ClientConfig>,
}

/// `status` answer.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Server version.
    pub version: &'static str,
    /// Which front door answers.
    pub host: HostKind,
    /// The MCP HTTP server.
    pub server: ServerState,
    /// MCP transport of that server.
    pub transport: &'static str,
    /// MCP endpoint URL, when running.
    pub mcp_url: Option<String>,
    /// Whether DISABLE_AUTH is on.
    pub auth_disabled: bool,
    /// Whether API_ID and API_HASH are configured for this run.
    pub api_credentials_configured: bool,
    /// Whether an OS keyring keeps token plaintexts.
    pub keyring_available: bool,
    /// How session files are stored: `encrypted` (key in the OS keyring) or `plain` (0600 only).
    pub at_rest: crate::session_store::AtRest,
    /// Session files of the Python server found in the config dir, not imported yet.
    pub importable_sessions: Vec<PathBuf>,
    /// Number of tokens.
    pub tokens: usize,
    /// Number of distinct sessions with a logged-in account.
    pub accounts: usize,
    /// Connected Telegram clients.
    pub active_sessions: usize,
    /// Maximum connected clients.
    pub max_sessions: usize,
    /// Recent session activity.
    pub sessions: Vec<SessionActivity>,
    /// Seconds since the app (re)started.
    pub uptime_seconds: u64,
    /// Saved settings that wait for a restart.
    pub restart_required: Vec<&'static str>,
    /// Whether `server_restart` works here.
    pub can_restart: bool,
}

impl Control {
    /// A control layer for `app`, reporting `server`.
    pub fn new(app: Arc<App>, kind: HostKind, server: ServerState) -> Self {
        Control {
            app: RwLock::new(app),
            server: RwLock::new(server),
            kind,
            reloader: None,
            pending: Mutex::new(HashMap::new()),
            login_locks: Mutex::default(),
        }
    }

    /// Lets this host rebuild its app and restart its server (the tray app).
    pub fn with_reloader(mut self, reloader: Reloader) -> Self {
        self.reloader = Some(reloader);
        self
    }

    /// The current app.
    pub fn app(&self) -> Arc<App> {
        self.app.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The server state last reported.
    pub fn server(&self) -> ServerState {
        self.server.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Records a new server state (after a (re)start).
    pub fn set_server(&self, state: ServerState) {
        *self.server.write().unwrap_or_else(|p| p.into_inner()) = state;
    }

    /// Which front door this is.
    pub fn kind(&self) -> HostKind {
        self.kind
    }

    /// Runs `command` with JSON `args` (`null` counts as `{}`).
    pub async fn call(&self, command: &str, args: Value) -> Result<Value, ControlError> {
        let args = if args.is_null() { json!({}) } else { args };
        match command {
            "status" => to_value(self.status().await),
            "login_start_code" => to_value(self.login_start_code(parse(args)?).await?),
            "login_submit_code" => to_value(self.login_submit_code(parse(args)?).await?),
            "login_submit_password" => to_value(self.login_submit_password(parse(args)?).await?),
            "login_start_qr" => to_value(self.login_start_qr(parse(args)?).await?),
            "login_poll_qr" => to_value(self.login_poll_qr(parse(args)?).await?),
            "login_cancel" => to_value(self.login_cancel(parse(args)?).await),
            "tokens_list" => to_value(self.tokens_list()?),
            "token_create" => to_value(self.token_create(parse(args)?).await?),
            "token_reveal" => to_value(self.token_reveal(parse(args)?).await?),
            "token_rotate" => to_value(self.token_rotate(parse(args)?).await?),
            "token_revoke" => to_value(self.token_revoke(parse(args)?).await?),
            "session_sign_out" => to_value(self.session_sign_out(parse(args)?).await?),
            "settings_get" => to_value(self.settings_get()),
            "settings_set" => to_value(self.settings_set(args).await?),
            "server_restart" => to_value(self.server_restart().await?),
            "client_configs" => to_value(self.client_configs(parse(args)?).await?),
            "session_import" => to_value(self.session_import(parse(args)?).await?),
            "backup_create" => to_value(self.backup_create(parse(args)?).await?),
            "backup_restore" => to_value(self.backup_restore(parse(args)?).await?),
            "client_setup_list" => to_value(crate::client_install::ops::list(self)?),
            "client_setup_add" => to_value(crate::client_install::ops::add(self, parse(args)?)?),
            "client_setup_remove" => to_value(crate::client_install::ops::remove(self, parse(args)?)?),
            other => Err(ControlError::UnknownCommand(other.chars().take(64).collect())),
        }
    }

    // ---- status ----

    /// Version, server, auth mode, credentials, sessions and token counts.
    pub async fn status(&self) -> Status {
        let app = self.app();
        let server = self.server();
        let tokens = app.tokens.list().unwrap_or_default();
        let mut accounts: Vec<&str> =
            tokens.iter().filter(|t| t.account.is_some()).map(|t| t.session_id.as_str()).collect();
        accounts.sort_unstable();
        accounts.dedup();
        Status {
            version: env!("CARGO_PKG_VERSION"),
            host: self.kind,
            mcp_url: server.addr.filter(|_| server.running).map(mcp_url),
            server,
            transport: "http",
            auth_disabled: app.settings().disable_auth,
            api_credentials_configured: app.config.api_id.is_some() && app.config.api_hash.is_some(),
            keyring_available: app.tokens.keystore().is_available(),
            at_rest: app.sessions.at_rest(),
            importable_sessions: crate::import::importable(&app),
            tokens: tokens.len(),
            accounts: accounts.len(),
            active_sessions: app.sessions.active_count(),
            max_sessions: app.sessions.max_active(),
            sessions: app.sessions.activity(),
            uptime_seconds: app.started.elapsed().as_secs(),
            restart_required: self.restart_required(&app),
            can_restart: self.reloader.is_some(),
        }
    }

    fn restart_required(&self, app: &App) -> Vec<&'static str> {
        let mut out = Vec::new();
        let port = app.settings().port;
        let running = self.server().addr.map(|a| a.port());
        if port != 0 && running.is_some_and(|p| p != port) {
            out.push("port");
        }
        let stored = crate::settings::read_api_credentials(&app.config.session_dir);
        if stored.api_id.is_some() && stored.api_id != app.config.api_id {
            out.push("api_id");
        }
        if stored.api_hash.is_some() && stored.api_hash != app.config.api_hash {
            out.push("api_hash");
        }
        out
    }

    // ---- logins ----

    /// Sends a login code to a phone (new session, or the session of `token_id`).
    pub async fn login_start_code(&self, a: StartCodeArgs) -> Result<LoginOutcome, ControlError> {
        let app = self.app();
        let (session_id, label) = self.login_target(&app, a.label, a.token_id.as_deref())?;
        let result = app.logins.start_code(&app.sessions, &session_id, &a.phone).await;
        self.after_start(&app, &session_id, label, a.token_id, result).await
    }

    /// Starts a QR login (new session, or the session of `token_id`).
    pub async fn login_start_qr(&self, a: StartQrArgs) -> Result<LoginOutcome, ControlError> {
        let app = self.app();
        let (session_id, label) = self.login_target(&app, a.label, a.token_id.as_deref())?;
        let result = app.logins.start_qr(&app.sessions, &session_id).await;
        self.after_start(&app, &session_id, label, a.token_id, result).await
    }

    /// Submits the code of a phone login.
    pub async fn login_submit_code(&self, a: SubmitCodeArgs) -> Result<LoginOutcome, ControlError> {
        let lock = self.login_lock(&a.login_id);
        let _one_at_a_time = lock.lock().await;
        let app = self.app();
        let r = app.logins.submit_code(&a.login_id, &a.code).await;
        self.after_step(&app, &a.login_id, r).await
    }

    /// Submits the 2FA password.
    pub async fn login_submit_password(&self, a: SubmitPasswordArgs) -> Result<LoginOutcome, ControlError> {
        let lock = self.login_lock(&a.login_id);
        let _one_at_a_time = lock.lock().await;
        let app = self.app();
        let r = app.logins.submit_password(&a.login_id, &a.password).await;
        self.after_step(&app, &a.login_id, r).await
    }

    /// Polls a QR login: a fresh code, the password step, or done.
    pub async fn login_poll_qr(&self, a: LoginIdArgs) -> Result<LoginOutcome, ControlError> {
        let lock = self.login_lock(&a.login_id);
        let _one_at_a_time = lock.lock().await;
        let app = self.app();
        let r = app.logins.poll_qr(&a.login_id).await;
        self.after_step(&app, &a.login_id, r).await
    }

    /// Abandons a login; a new session nobody uses is deleted. A step still running finishes
    /// first, so a session it has just logged in (and issued a token for) is never deleted.
    pub async fn login_cancel(&self, a: LoginIdArgs) -> Value {
        let lock = self.login_lock(&a.login_id);
        let _one_at_a_time = lock.lock().await;
        let app = self.app();
        let session = app.logins.session_of(&a.login_id).await;
        let cancelled = app.logins.cancel(&a.login_id).await;
        self.pending_lock().remove(&a.login_id);
        if let Some(s) = session
            && !app.tokens.session_in_use(&s).unwrap_or(true)
            && let Err(e) = app.sessions.delete(&s).await
        {
            tracing::warn!(session = %s, "could not delete an abandoned login session: {e}");
        }
        json!({ "cancelled": cancelled })
    }

    fn login_target(
        &self,
        app: &App,
        label: Option<String>,
        token_id: Option<&str>,
    ) -> Result<(String, String), ControlError> {
        let label =
            label.map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).unwrap_or_else(|| DEFAULT_LOGIN_LABEL.into());
        match token_id {
            Some(id) => Ok((app.tokens.get(id)?.session_id, label)),
            None => Ok((new_id("s_"), label)),
        }
    }

    async fn after_start(
        &self,
        app: &Arc<App>,
        session_id: &str,
        label: String,
        token_id: Option<String>,
        result: Result<LoginStep, LoginError>,
    ) -> Result<LoginOutcome, ControlError> {
        let step = match result {
            Ok(step) => step,
            Err(e) => {
                // A brand-new session that never got anywhere is not kept.
                if token_id.is_none() && !app.tokens.session_in_use(session_id).unwrap_or(true) {
                    let _ = app.sessions.delete(session_id).await;
                }
                return Err(e.into());
            }
        };
        if let Some(login_id) = login_id_of(&step) {
            let mut pending = self.pending_lock();
            pending.retain(|_, p| p.started.elapsed() < LOGIN_TTL);
            pending.insert(
                login_id.to_string(),
                PendingLogin { label: label.clone(), token_id: token_id.clone(), started: Instant::now() },
            );
        }
        self.finish(app, step, PendingLogin { label, token_id, started: Instant::now() }).await
    }

    async fn after_step(
        &self,
        app: &Arc<App>,
        login_id: &str,
        result: Result<LoginStep, LoginError>,
    ) -> Result<LoginOutcome, ControlError> {
        match result {
            Ok(step @ LoginStep::Done { .. }) => {
                let pending = self.pending_lock().remove(login_id).unwrap_or(PendingLogin {
                    label: DEFAULT_LOGIN_LABEL.into(),
                    token_id: None,
                    started: Instant::now(),
                });
                self.finish(app, step, pending).await
            }
            Ok(step) => Ok(LoginOutcome { step, issued: None, existing_token: None }),
            Err(e) => {
                if matches!(e, LoginError::UnknownLogin | LoginError::SignUpRequired) {
                    self.pending_lock().remove(login_id);
                }
                Err(e.into())
            }
        }
    }

    /// On `Done`: record the account and issue the token (for a new session).
    async fn finish(
        &self,
        app: &Arc<App>,
        step: LoginStep,
        pending: PendingLogin,
    ) -> Result<LoginOutcome, ControlError> {
        let LoginStep::Done { session_id, account } = &step else {
            return Ok(LoginOutcome { step, issued: None, existing_token: None });
        };
        let (session_id, label) = (session_id.clone(), account_label(account));
        match pending.token_id {
            Some(id) => {
                let a = app.clone();
                let sid = session_id.clone();
                blocking(move || a.tokens.set_account(&sid, Some(label))).await??;
                let existing = app.tokens.get(&id).ok().map(TokenInfo::from);
                Ok(LoginOutcome { step, issued: None, existing_token: existing })
            }
            None => {
                let a = app.clone();
                let token_label = pending.label;
                let issued = blocking(move || -> Result<Issued, IndexError> {
                    let mut issued = a.tokens.create_for_session(&token_label, &session_id)?;
                    a.tokens.set_account(&session_id, Some(label.clone()))?;
                    issued.record.account = Some(label);
                    Ok(issued)
                })
                .await??;
                Ok(LoginOutcome { step, issued: Some(issued.into()), existing_token: None })
            }
        }
    }

    /// The lock of one login flow (locks nobody holds or waits for are dropped on the way).
    fn login_lock(&self, login_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.login_locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.retain(|_, l| Arc::strong_count(l) > 1);
        locks.entry(login_id.to_string()).or_default().clone()
    }

    fn pending_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, PendingLogin>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    // ---- tokens ----

    /// All tokens (no secrets), oldest first.
    pub fn tokens_list(&self) -> Result<Vec<TokenInfo>, ControlError> {
        Ok(self.app().tokens.list()?.into_iter().map(TokenInfo::from).collect())
    }

    /// Issues a token: a new (not yet logged-in) session, or the session of `same_session_as`.
    pub async fn token_create(&self, a: TokenCreateArgs) -> Result<IssuedToken, ControlError> {
        let app = self.app();
        let issued = blocking(move || -> Result<Issued, IndexError> {
            match a.same_session_as {
                Some(other) => {
                    let src = app.tokens.get(&other)?;
                    let mut issued = app.tokens.create_for_session(&a.label, &src.session_id)?;
                    if src.account.is_some() {
                        app.tokens.set_account(&src.session_id, src.account.clone())?;
                        issued.record.account = src.account;
                    }
                    Ok(issued)
                }
                None => app.tokens.create(&a.label),
            }
        })
        .await??;
        Ok(issued.into())
    }

    /// A token's plaintext from the OS keyring.
    pub async fn token_reveal(&self, a: TokenIdArgs) -> Result<Value, ControlError> {
        let app = self.app();
        if !app.tokens.keystore().is_available() {
            app.tokens.get(&a.id)?;
            return Err(ControlError::KeyringUnavailable);
        }
        let id = a.id.clone();
        match blocking(move || app.tokens.reveal(&id)).await?? {
            Some(token) => Ok(json!({ "id": a.id, "token": token })),
            None => Err(ControlError::NotInKeyring(a.id)),
        }
    }

    /// A new secret for a token; the old one stops working at once.
    pub async fn token_rotate(&self, a: TokenIdArgs) -> Result<IssuedToken, ControlError> {
        let app = self.app();
        Ok(blocking(move || app.tokens.rotate(&a.id)).await??.into())
    }

    /// Revokes a token; with `delete_session`, also logs its session out and deletes it when unused.
    pub async fn token_revoke(&self, a: TokenRevokeArgs) -> Result<Value, ControlError> {
        let app = self.app();
        let a2 = app.clone();
        let id = a.id.clone();
        let rec = blocking(move || a2.tokens.revoke(&id)).await??;
        let mut session_deleted = false;
        let mut warning = None;
        if a.delete_session {
            if app.tokens.session_in_use(&rec.session_id)? {
                warning = Some("the session is still used by another token; it was kept".to_string());
            } else {
                if let Err(e) = crate::login::sign_out(&app.sessions, &rec.session_id).await {
                    warning = Some(format!("could not log out on Telegram ({e}); the local session file was deleted"));
                    app.sessions.delete(&rec.session_id).await.map_err(ControlError::from)?;
                }
                session_deleted = true;
            }
        }
        Ok(
            json!({ "revoked": rec.id, "session_id": rec.session_id, "session_deleted": session_deleted, "warning": warning }),
        )
    }

    /// Logs a token's session out on Telegram, deletes it and revokes every token of it.
    pub async fn session_sign_out(&self, a: SignOutArgs) -> Result<Value, ControlError> {
        let app = self.app();
        let rec = app.tokens.get(&a.token_id)?;
        crate::login::sign_out(&app.sessions, &rec.session_id).await?;
        let ids: Vec<String> =
            app.tokens.list()?.into_iter().filter(|r| r.session_id == rec.session_id).map(|r| r.id).collect();
        let a2 = app.clone();
        let revoked = blocking(move || -> Result<Vec<String>, IndexError> {
            ids.into_iter().map(|id| a2.tokens.revoke(&id).map(|r| r.id)).collect()
        })
        .await??;
        Ok(json!({ "signed_out": rec.session_id, "revoked": revoked }))
    }

    // ---- settings ----

    /// The live settings, which of them wait for a restart, and the credential state.
    pub fn settings_get(&self) -> Value {
        let app = self.app();
        let stored = crate::settings::read_api_credentials(&app.config.session_dir);
        json!({
            "settings": app.settings(),
            "restart_fields": RESTART_FIELDS,
            "restart_required": self.restart_required(&app),
            "running_port": self.server().addr.map(|a| a.port()),
            "can_restart": self.reloader.is_some(),
            "api": {
                "configured": app.config.api_id.is_some() && app.config.api_hash.is_some(),
                "api_id": app.config.api_id.or(stored.api_id),
                "api_hash_set": app.config.api_hash.is_some() || stored.api_hash.is_some(),
                "stored_in_settings": stored.api_id.is_some() && stored.api_hash.is_some(),
            },
        })
    }

    /// Changes any subset of the settings (and optionally stores `api_id` + `api_hash`).
    /// The tray app applies new credentials at once by restarting its server.
    pub async fn settings_set(&self, args: Value) -> Result<Value, ControlError> {
        let Value::Object(mut patch) = args else {
            return Err(ControlError::InvalidInput("settings_set expects an object".into()));
        };
        let api_id = patch.remove("api_id");
        let api_hash = patch.remove("api_hash");
        let app = self.app();
        let mut current = serde_json::to_value(app.settings()).map_err(|e| ControlError::Internal(e.to_string()))?;
        let obj = current.as_object_mut().expect("settings serialise to an object");
        for (k, v) in patch {
            if !obj.contains_key(&k) {
                return Err(ControlError::InvalidInput(format!(
                    "unknown setting {:?}",
                    k.chars().take(64).collect::<String>()
                )));
            }
            obj.insert(k, v);
        }
        let new: Settings = serde_json::from_value(current)
            .map_err(|e| ControlError::InvalidInput(format!("invalid settings: {e}")))?;
        let creds = match (api_id, api_hash) {
            (None, None) => None,
            (Some(id), Some(hash)) => {
                let id = match &id {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                }
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| {
                    ControlError::InvalidInput(
                        "invalid value for API_ID: must be a positive integer from my.telegram.org".into(),
                    )
                })?;
                let hash = hash
                    .as_str()
                    .ok_or_else(|| ControlError::InvalidInput("invalid value for API_HASH: must be a string".into()))?
                    .to_string();
                Some((id, hash))
            }
            _ => {
                return Err(ControlError::InvalidInput("give both api_id and api_hash".into()));
            }
        };
        if let Some((id, hash)) = &creds {
            // Validate before anything is written.
            crate::settings::validate_api_credentials(&app.config.session_dir, *id, hash)?;
        }
        let saved = app.update_settings(new)?;
        let mut applied = true;
        if let Some((id, hash)) = creds {
            crate::settings::save_api_credentials(&app.config.session_dir, id, &hash)?;
            applied = false;
            if self.reloader.is_some() {
                self.server_restart().await?;
                applied = true;
            }
        }
        let app = self.app();
        Ok(json!({
            "settings": saved,
            "restart_required": self.restart_required(&app),
            "api_credentials_applied": applied,
            "api_credentials_configured": app.config.api_id.is_some() && app.config.api_hash.is_some(),
        }))
    }

    /// Rebuilds the app from the saved configuration and restarts the MCP server (tray app only).
    pub async fn server_restart(&self) -> Result<ServerState, ControlError> {
        let reloader = self.reloader.clone().ok_or(ControlError::RestartUnsupported)?;
        let (app, server) = reloader().await.map_err(ControlError::Internal)?;
        *self.app.write().unwrap_or_else(|p| p.into_inner()) = app;
        self.pending_lock().clear();
        self.set_server(server.clone());
        Ok(server)
    }

    /// Imports a Telethon session file (the Python server's login) as a new session; a file
    /// named by a valid token keeps that token working, otherwise a new token is issued.
    pub async fn session_import(&self, a: SessionImportArgs) -> Result<Value, ControlError> {
        if !a.path.is_absolute() {
            return Err(ControlError::InvalidInput("give the session file's absolute path".into()));
        }
        let app = self.app();
        let label = a.label.unwrap_or_else(|| "Imported from the Python server".into());
        let imported = crate::import::import_telethon(&app, &a.path, &label)
            .await
            .map_err(|e| ControlError::InvalidInput(e.to_string()))?;
        let session_id = imported.record.session_id.clone();
        // Confirm the authorization with Telegram and show whose it is.
        let account = match app.sessions.client(&session_id).await {
            Ok(c) => match c.raw().get_me().await {
                Ok(user) => Some(account_label(&crate::login::account_of(&user))),
                Err(e) => return Err(TgError::from(e).into()),
            },
            Err(e) => return Err(e.into()),
        };
        app.tokens.set_account(&session_id, account.clone())?;
        let mut record = TokenInfo::from(imported.record);
        record.account = account;
        Ok(json!({ "record": record, "token": imported.new_token.map(|t| t.expose().to_string()) }))
    }

    /// Writes a passphrase-encrypted backup of the config dir.
    pub async fn backup_create(&self, a: BackupCreateArgs) -> Result<crate::backup::Summary, ControlError> {
        if !a.path.is_absolute() {
            return Err(ControlError::InvalidInput("give the archive's absolute path".into()));
        }
        let app = self.app();
        crate::backup::create(&app, &a.path, &a.passphrase, a.include_secrets)
            .await
            .map_err(|e| ControlError::InvalidInput(e.to_string()))
    }

    /// Restores a backup (refused over a newer state unless `force`).
    pub async fn backup_restore(&self, a: BackupRestoreArgs) -> Result<crate::backup::Summary, ControlError> {
        if !a.path.is_absolute() {
            return Err(ControlError::InvalidInput("give the archive's absolute path".into()));
        }
        let app = self.app();
        crate::backup::restore(&app, &a.path, &a.passphrase, a.force)
            .await
            .map_err(|e| ControlError::InvalidInput(e.to_string()))
    }

    // ---- client configs ----

    /// Ready-to-paste snippets for the common MCP clients.
    pub async fn client_configs(&self, a: ClientConfigsArgs) -> Result<ClientConfigs, ControlError> {
        let app = self.app();
        let (token_id, token) = match (a.token, a.token_id) {
            (Some(raw), _) => {
                let t = Token::parse(raw.trim()).map_err(|e| ControlError::InvalidInput(format!("token: {e}")))?;
                let rec = app
                    .tokens
                    .lookup(&t)
                    .map_err(|_| ControlError::Internal("the token index is unreadable".into()))?;
                let rec = rec.ok_or_else(|| {
                    ControlError::NotFound("this token was not issued by this server (or was revoked)".into())
                })?;
                (Some(rec.id), Some(t.expose().to_string()))
            }
            (None, Some(id)) => {
                app.tokens.get(&id)?;
                let a2 = app.clone();
                let id2 = id.clone();
                let secret = if app.tokens.keystore().is_available() {
                    blocking(move || a2.tokens.reveal(&id2)).await??.map(Some)
                } else {
                    None
                };
                (Some(id), secret.flatten())
            }
            (None, None) => (None, None),
        };
        let addr = self.server().addr.unwrap_or_else(|| SocketAddr::new(app.config.host, app.settings().port));
        let url = mcp_url(addr);
        let included = token.is_some();
        let configs = build_client_configs(
            &app.config,
            &url,
            token.as_deref().unwrap_or(TOKEN_PLACEHOLDER),
            token_id.as_deref(),
            &cli_binary_path(),
        );
        Ok(ClientConfigs { url, token_id, token_included: included, configs })
    }
}

/// `http://ADDR:PORT/v1/mcp` for the address the server listens on (127.0.0.1 for a wildcard bind).
pub fn mcp_url(addr: SocketAddr) -> String {
    let ip = if addr.ip().is_unspecified() { IpAddr::V4(Ipv4Addr::LOCALHOST) } else { addr.ip() };
    format!("http://{}/v1/mcp", SocketAddr::new(ip, addr.port()))
}

/// The account as shown next to its tokens.
fn account_label(a: &Account) -> String {
    match &a.phone_masked {
        Some(p) => format!("{} · {p}", a.label()),
        None => a.label(),
    }
}

fn login_id_of(step: &LoginStep) -> Option<&str> {
    match step {
        LoginStep::Code { login_id } | LoginStep::Password { login_id, .. } | LoginStep::Qr { login_id, .. } => {
            Some(login_id)
        }
        LoginStep::Done { .. } => None,
    }
}

fn parse<T: DeserializeOwned>(args: Value) -> Result<T, ControlError> {
    serde_json::from_value(args).map_err(|e| ControlError::InvalidInput(format!("invalid arguments: {e}")))
}

fn to_value<T: Serialize>(v: T) -> Result<Value, ControlError> {
    serde_json::to_value(v).map_err(|e| ControlError::Internal(e.to_string()))
}

/// Runs keyring/disk work off the async workers.
async fn blocking<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Result<R, ControlError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ControlError::Internal(format!("background task failed: {e}")))
}

/// The `fast-mcp-telegram` binary: next to the running executable, else on PATH, else the bare name.
pub fn cli_binary_path() -> String {
    let name = format!("{CLI_BINARY}{}", std::env::consts::EXE_SUFFIX);
    let beside = std::env::current_exe().ok().and_then(|p| p.parent().map(|d| d.join(&name))).filter(|p| p.is_file());
    let on_path = || {
        std::env::var_os("PATH")
            .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(&name)).find(|p| p.is_file()))
    };
    beside.or_else(on_path).map(|p: PathBuf| p.to_string_lossy().into_owned()).unwrap_or(name)
}

/// The snippets for `url` with `token` (or a placeholder) and the stdio binary at `binary`.
///
/// The stdio snippet names the token by its non-secret id: the stdio process relays to the
/// owner over an owner-only socket, so it needs neither the secret nor the API credentials.
pub fn build_client_configs(
    config: &Config,
    url: &str,
    token: &str,
    token_id: Option<&str>,
    binary: &str,
) -> Vec<ClientConfig> {
    let bearer = format!("Bearer {token}");
    let pretty = |v: Value| serde_json::to_string_pretty(&v).expect("json");
    let url_auth = url.replace("/v1/mcp", &format!("/v1/url_auth/{token}/mcp"));
    let toml_str = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    vec![
        ClientConfig {
            id: "claude_desktop",
            name: "Claude Desktop",
            location: "claude_desktop_config.json (Settings → Developer → Edit Config)",
            format: "json",
            text: pretty(json!({ "mcpServers": { crate::client_install::SERVER_NAME:
                crate::client_install::StdioEntry::new(config, binary, token_id.unwrap_or(TOKEN_ID_PLACEHOLDER)).to_json(),
            }})),
            note: "Claude Desktop starts a small relay over stdio that talks to this app (or starts a background agent when the app is not running); the config holds only the token's id, no secret. Quit Claude Desktop from its tray icon and start it again after editing.".into(),
        },
        ClientConfig {
            id: "claude_code",
            name: "Claude Code",
            location: "terminal",
            format: "text",
            text: format!("claude mcp add --transport http telegram {url} --header \"Authorization: {bearer}\""),
            note: "Adds the server for the current project (add --scope user for all projects). The token ends up in your shell history; clear it if that matters.".into(),
        },
        ClientConfig {
            id: "cursor",
            name: "Cursor",
            location: "~/.cursor/mcp.json (or .cursor/mcp.json in a project)",
            format: "json",
            text: pretty(json!({ "mcpServers": { "telegram": { "url": url, "headers": { "Authorization": bearer } } } })),
            note: "Merge into the existing mcpServers object.".into(),
        },
        ClientConfig {
            id: "vscode",
            name: "VS Code",
            location: ".vscode/mcp.json (or the user mcp.json: “MCP: Open User Configuration”)",
            format: "json",
            text: pretty(json!({
                "inputs": [{ "type": "promptString", "id": "telegram-token", "description": "fast-mcp-telegram token", "password": true }],
                "servers": { "telegram": { "type": "http", "url": url, "headers": { "Authorization": "Bearer ${input:telegram-token}" } } },
            })),
            note: "VS Code asks for the token once (masked) and keeps it in its secret storage: paste the token when prompted.".into(),
        },
        ClientConfig {
            id: "windsurf",
            name: "Windsurf",
            location: "~/.codeium/windsurf/mcp_config.json",
            format: "json",
            text: pretty(json!({ "mcpServers": { "telegram": { "serverUrl": url, "headers": { "Authorization": bearer } } } })),
            note: "Windsurf uses serverUrl (not url).".into(),
        },
        ClientConfig {
            id: "codex",
            name: "Codex",
            location: "~/.codex/config.toml",
            format: "toml",
            text: format!(
                "[mcp_servers.telegram]\nurl = {}\nbearer_token_env_var = \"FAST_MCP_TELEGRAM_TOKEN\"\n\n# Set the variable where Codex starts:\n#   export FAST_MCP_TELEGRAM_TOKEN={}\n# Or, instead of bearer_token_env_var, send the header directly:\n# http_headers = {{ \"Authorization\" = {} }}\n",
                toml_str(url),
                shell_quote(token),
                toml_str(&bearer)
            ),
            note: "Codex reads the token from the environment variable named by bearer_token_env_var.".into(),
        },
        ClientConfig {
            id: "http",
            name: "Other (HTTP)",
            location: "any MCP client with streamable HTTP",
            format: "text",
            text: format!("URL:    {url}\nHeader: Authorization: {bearer}\n"),
            note: "Streamable HTTP on localhost. Every request needs the bearer token.".into(),
        },
        ClientConfig {
            id: "url_auth",
            name: "Other (token in URL)",
            location: "clients that cannot send headers",
            format: "text",
            text: format!("{url_auth}\n"),
            note: "The token is part of this URL: treat the whole URL as a password.".into(),
        },
    ]
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::KeyStore;
    use std::collections::HashMap as Map;

    const HASH: &str = "0123456789abcdef0123456789abcdef";

    fn app_with(dir: &std::path::Path, extra: &[(&str, &str)], ks: KeyStore) -> Arc<App> {
        let mut vars: Map<String, String> = Map::new();
        vars.insert("SESSION_DIR".into(), dir.to_string_lossy().into_owned());
        vars.insert("SERVER_MODE".into(), "http".into());
        for (k, v) in extra {
            vars.insert(k.to_string(), v.to_string());
        }
        App::new(Config::layered(|k| vars.get(k).cloned()).unwrap(), ks).unwrap()
    }

    fn control(app: Arc<App>) -> Control {
        Control::new(app, HostKind::Http, ServerState::running("127.0.0.1:4567".parse().unwrap()))
    }

    async fn err(c: &Control, cmd: &str, args: Value) -> ControlError {
        c.call(cmd, args).await.unwrap_err()
    }

    #[test]
    fn mcp_url_follows_the_bound_address() {
        assert_eq!(mcp_url("[::1]:8123".parse().unwrap()), "http://[::1]:8123/v1/mcp");
        assert_eq!(mcp_url("0.0.0.0:8000".parse().unwrap()), "http://127.0.0.1:8000/v1/mcp");
        assert_eq!(mcp_url("127.0.0.1:9".parse().unwrap()), "http://127.0.0.1:9/v1/mcp");
    }

    #[test]
    fn errors_serialise_with_code_and_retry_after() {
        let e = ControlError::FloodWait { retry_after: 42 };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["error"]["code"], "flood_wait");
        assert_eq!(v["error"]["retry_after"], 42);
        assert_eq!(e.http_status(), 429);
        let v = ControlError::Login(LoginError::InvalidPassword).to_json();
        assert_eq!(v["error"]["code"], "invalid_password");
        assert!(v["error"].get("retry_after").is_none());
        assert_ne!(
            ControlError::Login(LoginError::InvalidCode).code(),
            ControlError::Login(LoginError::InvalidPassword).code()
        );
        assert_eq!(
            ControlError::from(LoginError::Telegram(TgError::FloodWait { retry_after: 7 })).retry_after(),
            Some(7)
        );
        assert_eq!(ControlError::from(TgError::Config("x".into())).code(), "api_credentials_missing");
    }

    #[tokio::test]
    async fn token_lifecycle_without_telegram() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with(dir.path(), &[], crate::keystore::mock());
        let c = control(app.clone());
        let st = c.call("status", Value::Null).await.unwrap();
        assert_eq!(st["tokens"], 0);
        assert_eq!(st["api_credentials_configured"], false);
        assert_eq!(st["host"], "http");

        let issued = c.call("token_create", json!({"label": "Cursor"})).await.unwrap();
        let tok = issued["token"].as_str().unwrap().to_string();
        let id = issued["record"]["id"].as_str().unwrap().to_string();
        assert_eq!(issued["stored_in_keyring"], true);
        assert!(issued["record"].get("digest").is_none(), "digests stay inside");
        let second = c.call("token_create", json!({"label": "Codex", "same_session_as": id})).await.unwrap();
        assert_eq!(second["record"]["session_id"], issued["record"]["session_id"]);

        let shown = c.call("token_reveal", json!({"id": id})).await.unwrap();
        assert_eq!(shown["token"], tok.as_str());
        let list = c.call("tokens_list", json!({})).await.unwrap();
        assert_eq!(list.as_array().unwrap().len(), 2);
        assert!(!serde_json::to_string(&list).unwrap().contains(&tok));

        let rotated = c.call("token_rotate", json!({"id": id})).await.unwrap();
        let new_tok = rotated["token"].as_str().unwrap();
        assert_ne!(new_tok, tok);
        assert!(app.tokens.authenticate(&Token::parse(&tok).unwrap()).is_err());
        assert!(app.tokens.authenticate(&Token::parse(new_tok).unwrap()).is_ok());

        // Configs: with the keyring copy, with a presented token, and refusing a foreign one.
        let cfg = c.call("client_configs", json!({"token_id": id})).await.unwrap();
        assert_eq!(cfg["token_included"], true);
        assert_eq!(cfg["url"], "http://127.0.0.1:4567/v1/mcp");
        let cursor = cfg["configs"].as_array().unwrap().iter().find(|c| c["id"] == "cursor").unwrap();
        assert!(cursor["text"].as_str().unwrap().contains(new_tok));
        let cfg = c.call("client_configs", json!({"token": new_tok})).await.unwrap();
        assert_eq!(cfg["token_id"], id.as_str());
        let e = err(&c, "client_configs", json!({"token": Token::generate().expose()})).await;
        assert_eq!(e.code(), "not_found");

        let r = c.call("token_revoke", json!({"id": id, "delete_session": true})).await.unwrap();
        assert_eq!(r["session_deleted"], false, "the second token still uses the session");
        assert_eq!(err(&c, "token_reveal", json!({"id": id})).await.code(), "not_found");
        assert_eq!(err(&c, "token_create", json!({"label": "  "})).await.code(), "invalid_input");
        assert_eq!(err(&c, "token_rotate", json!({"idd": "x"})).await.code(), "invalid_input");
        assert_eq!(err(&c, "nope", json!({})).await.code(), "unknown_command");
        // Logins need API credentials.
        assert_eq!(err(&c, "login_start_code", json!({"phone": "+15550001"})).await.code(), "api_credentials_missing");
        assert_eq!(err(&c, "login_start_code", json!({"phone": "12"})).await.code(), "invalid_phone");
    }

    #[tokio::test]
    async fn without_keyring_reveal_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let c = control(app_with(dir.path(), &[], KeyStore::none()));
        let issued = c.call("token_create", json!({"label": "x"})).await.unwrap();
        assert_eq!(issued["stored_in_keyring"], false);
        let e = err(&c, "token_reveal", json!({"id": issued["record"]["id"]})).await;
        assert_eq!(e.code(), "keyring_unavailable");
        let cfg = c.call("client_configs", json!({"token_id": issued["record"]["id"]})).await.unwrap();
        assert_eq!(cfg["token_included"], false);
        assert!(cfg["configs"][2]["text"].as_str().unwrap().contains(TOKEN_PLACEHOLDER));
    }

    #[tokio::test]
    async fn settings_partial_update_restart_flags_and_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let c = control(app_with(dir.path(), &[("PORT", "4567")], KeyStore::none()));
        let r = c.call("settings_set", json!({"disable_auth": true, "port": 4999})).await.unwrap();
        assert_eq!(r["settings"]["disable_auth"], true);
        assert_eq!(r["restart_required"], json!(["port"]));
        assert!(c.app().settings().disable_auth);
        assert_eq!(c.call("status", json!({})).await.unwrap()["auth_disabled"], true);
        assert_eq!(err(&c, "settings_set", json!({"max_file_size_mb": 0})).await.code(), "invalid_input");
        assert_eq!(err(&c, "settings_set", json!({"bogus": 1})).await.code(), "invalid_input");
        assert_eq!(err(&c, "settings_set", json!({"api_id": 5})).await.code(), "invalid_input");
        let e = err(&c, "settings_set", json!({"api_id": 5, "api_hash": "zz"})).await;
        assert!(e.to_string().contains("API_HASH"), "{e}");
        assert_eq!(c.app().settings().max_file_size_mb, 50, "refused changes change nothing");

        // Headless: credentials are saved for the next start, not applied.
        let r = c.call("settings_set", json!({"api_id": "12345", "api_hash": HASH})).await.unwrap();
        assert_eq!(r["api_credentials_applied"], false);
        assert_eq!(r["restart_required"], json!(["port", "api_id", "api_hash"]));
        let g = c.call("settings_get", json!({})).await.unwrap();
        assert_eq!(g["api"]["api_hash_set"], true);
        assert!(!g.to_string().contains(HASH), "the hash is never sent back");
        assert_eq!(err(&c, "server_restart", json!({})).await.code(), "restart_unsupported");
        // A restarted server picks them up (and keeps the other settings).
        let app2 = app_with(dir.path(), &[], KeyStore::none());
        assert_eq!(app2.config.api_id, Some(12345));
        assert!(app2.settings().disable_auth);
    }

    #[tokio::test]
    async fn reloader_applies_credentials_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_path_buf();
        let reloader: Reloader = Arc::new(move || {
            let d = d.clone();
            Box::pin(async move {
                Ok((app_with(&d, &[], KeyStore::none()), ServerState::running("127.0.0.1:4568".parse().unwrap())))
            })
        });
        let c = Control::new(app_with(dir.path(), &[], KeyStore::none()), HostKind::Tauri, ServerState::default())
            .with_reloader(reloader);
        let r = c.call("settings_set", json!({"api_id": 777, "api_hash": HASH})).await.unwrap();
        assert_eq!(r["api_credentials_applied"], true);
        assert_eq!(r["api_credentials_configured"], true);
        let st = c.call("status", json!({})).await.unwrap();
        assert_eq!(st["api_credentials_configured"], true);
        assert_eq!(st["server"]["addr"], "127.0.0.1:4568");
        assert_eq!(st["host"], "tauri");
    }

    #[test]
    fn client_config_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().into_owned();
        let cfg = Config::from_lookup(|k| match k {
            "SESSION_DIR" => Some(d.clone()),
            "API_ID" => Some("5".into()),
            "API_HASH" => Some(HASH.into()),
            _ => None,
        })
        .unwrap();
        let tok = "T".repeat(43);
        let all = build_client_configs(
            &cfg,
            "http://127.0.0.1:8000/v1/mcp",
            &tok,
            Some("tok_0123456789ab"),
            "/opt/bin/fast-mcp-telegram",
        );
        let by = |id: &str| all.iter().find(|c| c.id == id).unwrap().clone();
        let json_of = |id: &str| serde_json::from_str::<Value>(&by(id).text).unwrap();
        let claude = json_of("claude_desktop");
        let t = &claude["mcpServers"]["telegram"];
        assert_eq!(t["command"], "/opt/bin/fast-mcp-telegram");
        assert_eq!(t["args"], json!(["serve", "--transport", "stdio", "--token-id", "tok_0123456789ab"]));
        assert_eq!(t["env"]["SESSION_DIR"], d.as_str());
        assert!(!by("claude_desktop").text.contains(&tok), "the stdio config holds no secret");
        assert!(!by("claude_desktop").text.contains(HASH), "nor the API hash");
        assert_eq!(json_of("cursor")["mcpServers"]["telegram"]["headers"]["Authorization"], format!("Bearer {tok}"));
        let vs = json_of("vscode");
        assert_eq!(vs["servers"]["telegram"]["type"], "http");
        assert_eq!(vs["inputs"][0]["password"], true);
        assert!(!by("vscode").text.contains(&tok), "VS Code prompts for the token");
        assert_eq!(json_of("windsurf")["mcpServers"]["telegram"]["serverUrl"], "http://127.0.0.1:8000/v1/mcp");
        let codex = by("codex").text;
        assert!(
            codex.starts_with("[mcp_servers.telegram]\nurl = \"http://127.0.0.1:8000/v1/mcp\"\nbearer_token_env_var")
        );
        assert!(by("url_auth").text.contains(&format!("/v1/url_auth/{tok}/mcp")));
    }

    /// Logins against the fake data centre.
    mod fake_dc {
        use super::*;

        async fn dc_app(ks: KeyStore) -> (fake_tg_dc::FakeDc, tempfile::TempDir, Control) {
            let dc = fake_tg_dc::FakeDc::start(fake_tg_dc::World::demo()).await.unwrap();
            let dir = tempfile::tempdir().unwrap();
            dc.watch_session_dir(dir.path().join("sessions"));
            let addr = dc.addr().to_string();
            let app = app_with(dir.path(), &[("API_ID", "12345"), ("API_HASH", HASH), ("TELEGRAM_DC_ADDR", &addr)], ks);
            (dc, dir, control(app))
        }

        #[tokio::test]
        async fn code_login_issues_a_token_for_a_new_session() {
            let (_dc, _dir, c) = dc_app(crate::keystore::mock()).await;
            let s = c.call("login_start_code", json!({"phone": "+15550001", "label": "Claude"})).await.unwrap();
            assert_eq!(s["next"], "code");
            let login_id = s["login_id"].as_str().unwrap().to_string();
            assert_eq!(
                err(&c, "login_submit_code", json!({"login_id": login_id, "code": "99999"})).await.code(),
                "invalid_code"
            );
            let done = c.call("login_submit_code", json!({"login_id": login_id, "code": "12345"})).await.unwrap();
            assert_eq!(done["next"], "done");
            assert_eq!(done["issued"]["record"]["label"], "Claude");
            assert!(done["issued"]["record"]["account"].as_str().unwrap().contains("Alice"));
            assert!(!done.to_string().contains("5550001"), "the phone number is masked");
            let tok = Token::parse(done["issued"]["token"].as_str().unwrap()).unwrap();
            let app = c.app();
            let rec = app.tokens.authenticate(&tok).unwrap();
            assert_eq!(rec.session_id, done["session_id"].as_str().unwrap());
            assert!(app.sessions.client(&rec.session_id).await.unwrap().is_authorized().await.unwrap());

            // Sign out: the session is gone and every token of it is revoked.
            let r = c.call("session_sign_out", json!({"token_id": rec.id})).await.unwrap();
            assert_eq!(r["revoked"], json!([rec.id]));
            assert!(!app.sessions.exists(&rec.session_id));
            assert!(app.tokens.authenticate(&tok).is_err());
        }

        #[tokio::test]
        async fn two_factor_login_with_a_wrong_password_first() {
            let (_dc, _dir, c) = dc_app(KeyStore::none()).await;
            let s = c.call("login_start_code", json!({"phone": "+1 555 0002"})).await.unwrap();
            let login_id = s["login_id"].as_str().unwrap().to_string();
            let p = c.call("login_submit_code", json!({"login_id": login_id, "code": "22222"})).await.unwrap();
            assert_eq!(p["next"], "password");
            assert_eq!(p["hint"], "pet name");
            let e = err(&c, "login_submit_password", json!({"login_id": login_id, "password": "wrong"})).await;
            assert_eq!(e.code(), "invalid_password");
            let done =
                c.call("login_submit_password", json!({"login_id": login_id, "password": "hunter2"})).await.unwrap();
            assert_eq!(done["next"], "done");
            assert_eq!(done["issued"]["record"]["label"], DEFAULT_LOGIN_LABEL);
            assert_eq!(
                err(&c, "login_submit_password", json!({"login_id": login_id, "password": "hunter2"})).await.code(),
                "unknown_login"
            );
        }

        #[tokio::test]
        async fn qr_login_and_relogin_of_an_existing_token() {
            use base64::Engine;
            let (dc, _dir, c) = dc_app(KeyStore::none()).await;
            let created = c.call("token_create", json!({"label": "Later"})).await.unwrap();
            let tid = created["record"]["id"].as_str().unwrap().to_string();
            let q = c.call("login_start_qr", json!({"token_id": tid})).await.unwrap();
            assert_eq!(q["next"], "qr");
            let login_id = q["login_id"].as_str().unwrap().to_string();
            let again = c.call("login_poll_qr", json!({"login_id": login_id})).await.unwrap();
            assert_eq!(again["next"], "qr", "not scanned yet");
            // Each poll exports a fresh token (the DC keeps only the newest): scan the current one.
            let url = again["url"].as_str().unwrap();
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(url.strip_prefix("tg://login?token=").unwrap())
                .unwrap();
            assert!(dc.scan_qr(&raw, "+15550001"));
            let done = c.call("login_poll_qr", json!({"login_id": login_id})).await.unwrap();
            assert_eq!(done["next"], "done");
            assert!(done.get("issued").is_none(), "re-login of an existing token issues none");
            assert_eq!(done["existing_token"]["id"], tid.as_str());
            assert!(done["existing_token"]["account"].as_str().unwrap().contains("Alice"));
        }

        #[tokio::test]
        async fn qr_login_of_a_2fa_account_asks_for_the_password_after_the_scan() {
            use base64::Engine;
            let (dc, _dir, c) = dc_app(KeyStore::none()).await;
            let q = c.call("login_start_qr", json!({"label": "QR"})).await.unwrap();
            let login_id = q["login_id"].as_str().unwrap().to_string();
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(q["url"].as_str().unwrap().strip_prefix("tg://login?token=").unwrap())
                .unwrap();
            assert!(dc.scan_qr(&raw, "+15550002"));
            let p = c.call("login_poll_qr", json!({"login_id": login_id})).await.unwrap();
            assert_eq!(p["next"], "password");
            assert_eq!(p["hint"], "pet name");
            let done =
                c.call("login_submit_password", json!({"login_id": login_id, "password": "hunter2"})).await.unwrap();
            assert_eq!(done["next"], "done");
            assert_eq!(done["issued"]["record"]["label"], "QR");
            assert!(done["issued"]["record"]["account"].as_str().unwrap().contains("Bob"));
        }

        #[tokio::test]
        async fn cancel_during_a_step_waits_for_it_and_keeps_the_session_it_logged_in() {
            let (_dc, _dir, c) = dc_app(KeyStore::none()).await;
            let s = c.call("login_start_code", json!({"phone": "+15550001"})).await.unwrap();
            let login_id = s["login_id"].as_str().unwrap().to_string();
            let app = c.app();
            let sid = app.logins.session_of(&login_id).await.unwrap();
            // "Back" clicked while the code is being checked: the cancel must not delete the
            // session under the running step (which then issues a token for a deleted session).
            let (done, cancelled) = tokio::join!(
                c.call("login_submit_code", json!({"login_id": login_id, "code": "12345"})),
                c.call("login_cancel", json!({"login_id": login_id})),
            );
            let done = done.unwrap();
            assert_eq!(done["next"], "done");
            assert_eq!(cancelled.unwrap()["cancelled"], false, "the login had already finished");
            assert!(app.sessions.exists(&sid), "the logged-in session is kept");
            let tok = Token::parse(done["issued"]["token"].as_str().unwrap()).unwrap();
            let rec = app.tokens.authenticate(&tok).unwrap();
            assert_eq!(rec.session_id, sid);
            assert!(app.sessions.client(&sid).await.unwrap().is_authorized().await.unwrap());
        }

        #[tokio::test]
        async fn cancel_deletes_the_unused_new_session() {
            let (_dc, _dir, c) = dc_app(KeyStore::none()).await;
            let s = c.call("login_start_code", json!({"phone": "+15550001"})).await.unwrap();
            let login_id = s["login_id"].as_str().unwrap().to_string();
            let app = c.app();
            let sid = app.logins.session_of(&login_id).await.unwrap();
            assert!(app.sessions.exists(&sid));
            let r = c.call("login_cancel", json!({"login_id": login_id})).await.unwrap();
            assert_eq!(r["cancelled"], true);
            assert!(!app.sessions.exists(&sid));
        }
    }
}
