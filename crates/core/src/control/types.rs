//! The arguments and typed answers of the control commands (what the UI, the CLI and the owner socket read).

use crate::config::Settings;
use crate::login::LoginStep;
use crate::policy::Policy;
use crate::sessions::SessionActivity;
use crate::token_index::{Issued, TokenRecord};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// What the token may do (default: read and write in every chat but the sensitive ones).
    #[serde(default)]
    pub policy: Option<Policy>,
}

/// `chats_pick` arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatsPickArgs {
    /// Whose account to list.
    pub token_id: String,
    /// Name, @username or phone to look for (2 characters or more); none: recent dialogs.
    #[serde(default)]
    pub query: Option<String>,
}

/// `message_delete` arguments: a message an assistant sent, to delete for everyone.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageDeleteArgs {
    /// The token whose account sent it.
    pub token_id: String,
    /// The chat (Bot API id).
    pub chat_id: i64,
    /// The message.
    pub message_id: i32,
}

/// `approval_decide` arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalDecideArgs {
    /// The pending write (`apr_…`).
    pub id: String,
    /// Send it (true) or not (false).
    pub approve: bool,
    /// With `approve`: also approve every later write of this token to this chat.
    #[serde(default)]
    pub always: bool,
}

/// `token_set_policy` arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenPolicyArgs {
    /// Token id (`tok_…`).
    pub id: String,
    /// The token's new policy (takes effect with its clients' next call).
    pub policy: Policy,
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
    /// What it may do.
    pub policy: Policy,
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
            policy: r.policy,
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
    /// On `done`: tokens of another session already logged in to the same account (the UI
    /// offers `session_merge` so that one Telegram session serves them all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub same_account: Vec<TokenInfo>,
}

/// `session_merge` arguments: the session of `token_id` is a second login of the account that
/// `into_token_id`'s session holds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionMergeArgs {
    /// A token of the duplicate session (it and its siblings move).
    pub token_id: String,
    /// A token of the session to keep.
    pub into_token_id: String,
}

/// `session_merge` answer.
#[derive(Debug, Clone, Serialize)]
pub struct SessionMerged {
    /// The session kept.
    pub kept: String,
    /// The duplicate session, signed out of Telegram and deleted.
    pub signed_out: String,
    /// The tokens that now use the kept session.
    pub moved: Vec<String>,
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
    /// Writes waiting for the user's approval.
    pub pending_approvals: usize,
    /// Label and account of the token requests without a token act as (the development bypass).
    pub dev_acts_as: Option<String>,
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
/// `settings_set` arguments: any subset of the settings, plus optionally `api_id` and `api_hash` together.
pub type SettingsPatch = serde_json::Value;

/// `login_cancel` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cancelled {
    /// Whether a flow was pending under this id.
    pub cancelled: bool,
}

/// `token_reveal` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevealedToken {
    /// The token's id.
    pub id: String,
    /// Its secret, from the OS keyring.
    pub token: String,
}

/// `token_revoke` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revoked {
    /// The revoked token's id.
    pub revoked: String,
    /// Its session.
    pub session_id: String,
    /// Whether the session was logged out and deleted (asked with `delete_session`).
    pub session_deleted: bool,
    /// What did not go as asked (a session kept because another token uses it, a failed Telegram logout).
    pub warning: Option<String>,
}

/// `session_sign_out` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedOut {
    /// The session logged out and deleted.
    pub signed_out: String,
    /// The ids of the tokens revoked with it.
    pub revoked: Vec<String>,
}

/// The API credentials as `settings_get` reports them (never the hash itself).
#[derive(Debug, Clone, Serialize)]
pub struct ApiCredentialsState {
    /// Whether the running app has both.
    pub configured: bool,
    /// The API id in use, else the saved one.
    pub api_id: Option<i32>,
    /// Whether a hash is in use or saved.
    pub api_hash_set: bool,
    /// Whether both are saved in settings.json.
    pub stored_in_settings: bool,
}

/// `settings_get` answer.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsView {
    /// The live settings.
    pub settings: Settings,
    /// Settings that only apply after a restart.
    pub restart_fields: &'static [&'static str],
    /// Variables (`DISABLE_AUTH`, …) the environment or `.env` sets: they win at every start, so
    /// the UI shows their fields read-only and `settings_set` refuses to change them. A field's
    /// name is its variable in lower case.
    pub env_fixed: Vec<&'static str>,
    /// Saved settings that wait for a restart.
    pub restart_required: Vec<&'static str>,
    /// The port the server listens on.
    pub running_port: Option<u16>,
    /// Whether `server_restart` works here.
    pub can_restart: bool,
    /// The API credentials.
    pub api: ApiCredentialsState,
}

/// `settings_set` answer.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsSaved {
    /// The settings now in force and saved.
    pub settings: Settings,
    /// Saved settings that wait for a restart.
    pub restart_required: Vec<&'static str>,
    /// Whether new API credentials are in use already (the tray app restarts its server at once).
    pub api_credentials_applied: bool,
    /// Whether the running app has both API credentials.
    pub api_credentials_configured: bool,
}

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

/// `session_import` answer: the imported token, and its plaintext when a new one was issued.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedSession {
    /// The token now bound to the imported session.
    pub record: TokenInfo,
    /// The new token's plaintext (absent when the file was named by a token that stays valid).
    pub token: Option<String>,
}
