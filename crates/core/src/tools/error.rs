//! The one error type of the tools: what went wrong, in a shape the model and HTTP clients can act on.

use crate::telegram::TgError;
use serde_json::{Map, Value, json};

/// `action` of an error the caller can retry after a short wait.
pub const ACTION_RETRY: &str = "retry";
/// `action` of a rate limit: wait `retry_after` seconds.
pub const ACTION_RETRY_LATER: &str = "retry_later";
/// `action` of a session that is not logged in to Telegram.
pub const ACTION_LOGIN: &str = "login";
/// `action` of a feature Telegram keeps for Premium accounts (the user would have to subscribe).
pub const ACTION_NEEDS_PREMIUM: &str = "needs_telegram_premium";
/// `action` of a call refused because the client's token was revoked or rotated.
pub const ACTION_RECONFIGURE_CLIENT: &str = "reconfigure_client";

/// A tool failure the model can act on. Its JSON shape is [`ToolError::body`]; HTTP maps it once
/// (`impl IntoResponse` in `transport::http::responses`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    /// Bad input from the model (HTTP 400).
    #[error("{0}")]
    Invalid(String),
    /// The chat, message or file asked for does not exist or is not visible (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// Telegram answered with an RPC error (HTTP 429 for rate limits, else 502).
    #[error("{message}")]
    Telegram {
        /// Human-readable message.
        message: String,
        /// Telegram's error code (400, 403, 420…).
        code: i32,
        /// Telegram's error name (`PEER_ID_INVALID`; `FLOOD_WAIT` for every rate limit).
        name: String,
        /// Seconds to wait before retrying, for rate limits.
        retry_after: Option<u32>,
    },
    /// The session has no logged-in Telegram account (HTTP 401).
    #[error("{0}")]
    NotLoggedIn(String),
    /// Telegram could not be reached; the call can be retried (HTTP 502).
    #[error("{0}")]
    Unavailable(String),
    /// A write held back by this server's pacing (the token's write limits, or a FLOOD_WAIT
    /// Telegram gave the account); retry after `retry_after` seconds (HTTP 429).
    #[error("{message}")]
    RateLimited {
        /// Human-readable message.
        message: String,
        /// Seconds to wait.
        retry_after: u32,
    },
    /// Every session slot is busy; the call can be retried shortly (HTTP 503).
    #[error("{0}")]
    Busy(String),
    /// Refused by policy, whatever the input (HTTP 403); `action` says what would lift the refusal.
    #[error("{message}")]
    Forbidden {
        /// Human-readable message.
        message: String,
        /// What the user or model should do next.
        action: &'static str,
    },
    /// Telegram offers this only to Premium accounts, and this account has none (HTTP 403).
    #[error("{0}")]
    PremiumRequired(String),
    /// A failure of this server, not of the input or of Telegram (HTTP 500).
    #[error("{0}")]
    Internal(String),
}

impl ToolError {
    /// Bad input from the model.
    pub fn invalid(msg: impl Into<String>) -> Self {
        ToolError::Invalid(msg.into())
    }

    /// An unexpected internal failure.
    pub fn internal(msg: impl Into<String>) -> Self {
        ToolError::Internal(msg.into())
    }

    /// A policy refusal with the `action` that would lift it.
    pub fn forbidden(msg: impl Into<String>, action: &'static str) -> Self {
        ToolError::Forbidden { message: msg.into(), action }
    }

    /// The Telegram error name, if Telegram refused the call.
    pub fn telegram_name(&self) -> Option<&str> {
        match self {
            ToolError::Telegram { name, .. } => Some(name),
            ToolError::NotLoggedIn(_) => Some("AUTH_KEY_UNREGISTERED"),
            ToolError::PremiumRequired(_) => Some("PREMIUM_ACCOUNT_REQUIRED"),
            _ => None,
        }
    }

    /// The Telegram error code, if Telegram refused the call.
    pub fn telegram_code(&self) -> Option<i32> {
        match self {
            ToolError::Telegram { code, .. } => Some(*code),
            ToolError::NotLoggedIn(_) => Some(401),
            ToolError::PremiumRequired(_) => Some(403),
            _ => None,
        }
    }

    /// Seconds to wait before retrying, for rate limits.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            ToolError::Telegram { retry_after, .. } => *retry_after,
            ToolError::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// What the user or model should do next, if anything specific.
    pub fn action(&self) -> Option<&'static str> {
        match self {
            ToolError::Telegram { retry_after: Some(_), .. } | ToolError::RateLimited { .. } => {
                Some(ACTION_RETRY_LATER)
            }
            ToolError::NotLoggedIn(_) => Some(ACTION_LOGIN),
            ToolError::Unavailable(_) | ToolError::Busy(_) => Some(ACTION_RETRY),
            ToolError::Forbidden { action, .. } => Some(action),
            ToolError::PremiumRequired(_) => Some(ACTION_NEEDS_PREMIUM),
            _ => None,
        }
    }

    /// A stable name of the kind of error (`invalid`, `forbidden`, `telegram`, …), for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            ToolError::Invalid(_) => "invalid",
            ToolError::NotFound(_) => "not_found",
            ToolError::Telegram { .. } => "telegram",
            ToolError::NotLoggedIn(_) => "not_logged_in",
            ToolError::Unavailable(_) => "unavailable",
            ToolError::Busy(_) => "busy",
            ToolError::RateLimited { .. } => "rate_limited",
            ToolError::Forbidden { .. } => "forbidden",
            ToolError::PremiumRequired(_) => "premium_required",
            ToolError::Internal(_) => "internal",
        }
    }

    /// The same error with `prefix` before its message.
    pub fn context(self, prefix: &str) -> Self {
        let p = |m: String| format!("{prefix}{m}");
        match self {
            ToolError::Invalid(m) => ToolError::Invalid(p(m)),
            ToolError::NotFound(m) => ToolError::NotFound(p(m)),
            ToolError::Telegram { message, code, name, retry_after } => {
                ToolError::Telegram { message: p(message), code, name, retry_after }
            }
            ToolError::NotLoggedIn(m) => ToolError::NotLoggedIn(p(m)),
            ToolError::Unavailable(m) => ToolError::Unavailable(p(m)),
            ToolError::Busy(m) => ToolError::Busy(p(m)),
            ToolError::RateLimited { message, retry_after } => {
                ToolError::RateLimited { message: p(message), retry_after }
            }
            ToolError::Forbidden { message, action } => ToolError::Forbidden { message: p(message), action },
            ToolError::PremiumRequired(m) => ToolError::PremiumRequired(p(m)),
            ToolError::Internal(m) => ToolError::Internal(p(m)),
        }
    }

    /// The one JSON shape of an error: `{"ok": false, "error", "telegram_code"?, "telegram_error"?,
    /// "retry_after"?, "action"?}` (MCP results add `"tool"`).
    pub fn body(&self) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("ok".into(), json!(false));
        body.insert("error".into(), json!(self.to_string()));
        if let Some(c) = self.telegram_code() {
            body.insert("telegram_code".into(), json!(c));
        }
        if let Some(n) = self.telegram_name() {
            body.insert("telegram_error".into(), json!(n));
        }
        if let Some(r) = self.retry_after() {
            body.insert("retry_after".into(), json!(r));
        }
        if let Some(a) = self.action() {
            body.insert("action".into(), json!(a));
        }
        body
    }

    /// The MCP result of this error for `tool` (`isError: true`, the body as structured content).
    pub fn into_result(self, tool: &str) -> rmcp::model::CallToolResult {
        let mut body = self.body();
        body.insert("tool".into(), json!(tool));
        rmcp::model::CallToolResult::structured_error(Value::Object(body))
    }
}

impl From<TgError> for ToolError {
    fn from(e: TgError) -> Self {
        let message = e.to_string();
        match e {
            TgError::FloodWait { retry_after } => {
                ToolError::Telegram { message, code: 420, name: "FLOOD_WAIT".into(), retry_after: Some(retry_after) }
            }
            TgError::Rpc { code, name } => ToolError::Telegram { message, code, name, retry_after: None },
            TgError::NotAuthorized => ToolError::NotLoggedIn(message),
            TgError::Network(_) => ToolError::Unavailable(message),
            TgError::Busy(_) => ToolError::Busy(message),
            TgError::Invalid(_) => ToolError::Invalid(message),
            TgError::NotFound(_) => ToolError::NotFound(message),
            TgError::Session(_) | TgError::Config(_) => ToolError::Internal(message),
        }
    }
}

impl From<grammers_client::InvocationError> for ToolError {
    fn from(e: grammers_client::InvocationError) -> Self {
        TgError::from(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_errors_keep_code_name_and_wait() {
        let e = ToolError::from(TgError::FloodWait { retry_after: 7 });
        assert_eq!(
            Value::Object(e.body()),
            json!({"ok": false, "error": "Telegram rate limit: retry after 7 s", "telegram_code": 420,
                   "telegram_error": "FLOOD_WAIT", "retry_after": 7, "action": "retry_later"})
        );
        let e = ToolError::from(TgError::Rpc { code: 400, name: "PEER_ID_INVALID".into() });
        assert_eq!((e.telegram_code(), e.telegram_name(), e.action()), (Some(400), Some("PEER_ID_INVALID"), None));
        let e = ToolError::from(TgError::NotAuthorized);
        assert_eq!(
            (e.telegram_code(), e.telegram_name(), e.action()),
            (Some(401), Some("AUTH_KEY_UNREGISTERED"), Some("login"))
        );
    }

    #[test]
    fn internal_is_not_invalid_and_context_keeps_the_kind() {
        assert_ne!(ToolError::internal("x"), ToolError::invalid("x"));
        let e = ToolError::from(TgError::Network("down".into())).context("users.getFullUser: ");
        assert!(matches!(&e, ToolError::Unavailable(m) if m.starts_with("users.getFullUser: could not reach")));
        assert_eq!(e.action(), Some(ACTION_RETRY));
        let r = ToolError::forbidden("no", "x").into_result("t");
        assert_eq!(r.structured_content.unwrap()["tool"], "t");
    }
}
