//! Failures of control commands: a stable machine-readable code per kind, and their HTTP status.

use crate::config::ConfigError;
use crate::login::LoginError;
use crate::telegram::TgError;
use crate::token_index::IndexError;
use serde::Serialize;
use serde_json::{Value, json};

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
    /// Telegram refused the request with an RPC error.
    #[error("Telegram error {code} {name}")]
    Telegram {
        /// Telegram's error code (400, 403, …).
        code: i32,
        /// Telegram's error name, e.g. `PHONE_NUMBER_BANNED`.
        name: String,
    },
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
            ControlError::Telegram { .. } => "telegram_error",
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

    /// `{"error":{"message","code","retry_after"?,"telegram_code"?,"telegram_error"?}}`.
    pub fn to_json(&self) -> Value {
        let mut e = json!({ "message": self.to_string(), "code": self.code() });
        if let Some(s) = self.retry_after() {
            e["retry_after"] = json!(s);
        }
        if let ControlError::Telegram { code, name } = self {
            e["telegram_code"] = json!(code);
            e["telegram_error"] = json!(name);
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
            TgError::Rpc { code, name } => ControlError::Telegram { code, name },
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
            IndexError::InvalidLabel(_) | IndexError::InvalidPolicy(_) => ControlError::InvalidInput(e.to_string()),
            IndexError::Io { .. } | IndexError::Corrupt { .. } => ControlError::Internal(e.to_string()),
        }
    }
}

impl From<ConfigError> for ControlError {
    fn from(e: ConfigError) -> Self {
        ControlError::InvalidInput(e.to_string())
    }
}
