//! The MCP tools. Each submodule turns grammers results into the uniform
//! JSON schema of [`format`]; failures become [`ToolError`]s that the model
//! sees as MCP tool errors (`isError: true`) with a structured body.

pub mod args;
pub mod chat_ref;
pub mod chats;
pub mod files;
pub mod format;
pub mod media;
pub mod mtproto;
pub mod pager;
pub mod params;
pub mod read;
pub mod search;
pub mod write;

use crate::app::{App, Identity};
use crate::sessions::Lease;
use crate::telegram::TgError;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};
use std::sync::Arc;

/// What a tool call runs with: the app and the caller's identity.
pub struct ToolCtx {
    /// Shared state.
    pub app: Arc<App>,
    /// The session this call acts for.
    pub identity: Identity,
    /// The MCP client, when the call came over MCP (asked for its roots before local files are read).
    pub peer: Option<rmcp::Peer<rmcp::RoleServer>>,
}

impl ToolCtx {
    /// The connected Telegram client of this call's session.
    pub async fn client(&self) -> Result<Lease, ToolError> {
        Ok(self.app.sessions.client(&self.identity.session_id).await?)
    }
}

/// A successful tool result: JSON plus optional extra MCP content (e.g. media).
pub struct ToolOutput {
    /// The structured result.
    pub json: Value,
    /// Extra content blocks (images, audio, resources).
    pub extra: Vec<ContentBlock>,
}

impl ToolOutput {
    /// A plain JSON result.
    pub fn json(json: Value) -> Self {
        ToolOutput { json, extra: Vec::new() }
    }

    /// Converts to an MCP result with structured content.
    pub fn into_result(self) -> CallToolResult {
        let mut r = CallToolResult::structured(self.json);
        r.content.extend(self.extra);
        r
    }
}

/// A tool failure the model can act on.
#[derive(Debug, Clone)]
pub struct ToolError {
    /// Human-readable message.
    pub message: String,
    /// Telegram RPC error code (400, 401, 420...), if from Telegram.
    pub telegram_code: Option<i32>,
    /// Telegram error name, if from Telegram.
    pub telegram_error: Option<String>,
    /// Seconds to wait before retrying (FLOOD_WAIT).
    pub retry_after: Option<u32>,
    /// What the user or model should do next.
    pub action: Option<&'static str>,
}

impl ToolError {
    /// Bad input from the model.
    pub fn invalid(msg: impl Into<String>) -> Self {
        ToolError { message: msg.into(), telegram_code: None, telegram_error: None, retry_after: None, action: None }
    }

    /// An unexpected internal failure.
    pub fn internal(msg: impl Into<String>) -> Self {
        ToolError::invalid(msg)
    }

    /// The MCP result of this error for `tool`.
    pub fn into_result(self, tool: &str) -> CallToolResult {
        let mut body = json!({ "ok": false, "error": self.message, "tool": tool });
        if let Some(c) = self.telegram_code {
            body["telegram_code"] = json!(c);
        }
        if let Some(n) = &self.telegram_error {
            body["telegram_error"] = json!(n);
        }
        if let Some(r) = self.retry_after {
            body["retry_after"] = json!(r);
        }
        if let Some(a) = self.action {
            body["action"] = json!(a);
        }
        CallToolResult::structured_error(body)
    }
}

impl From<TgError> for ToolError {
    fn from(e: TgError) -> Self {
        let mut t = ToolError::invalid(e.to_string());
        t.telegram_code = e.telegram_code();
        match &e {
            TgError::FloodWait { retry_after } => {
                t.retry_after = Some(*retry_after);
                t.telegram_error = Some("FLOOD_WAIT".into());
                t.action = Some("retry_later");
            }
            TgError::Rpc { name, .. } => t.telegram_error = Some(name.clone()),
            TgError::NotAuthorized => {
                t.telegram_error = Some("AUTH_KEY_UNREGISTERED".into());
                t.action = Some("login");
            }
            TgError::Network(_) | TgError::Busy(_) => t.action = Some("retry"),
            _ => {}
        }
        t
    }
}

impl From<grammers_client::InvocationError> for ToolError {
    fn from(e: grammers_client::InvocationError) -> Self {
        TgError::from(e).into()
    }
}
