//! The MCP tools. Each submodule turns grammers results into the uniform
//! JSON schema of [`format`]; failures become [`ToolError`]s that the model
//! sees as MCP tool errors (`isError: true`) with a structured body.

pub mod args;
pub mod chat_ref;
pub mod chats;
mod error;
pub mod files;
pub mod format;
pub mod media;
pub mod mtproto;
pub mod pager;
pub mod params;
pub mod read;
pub mod results;
pub mod search;
pub mod write;

pub use error::{ACTION_LOGIN, ACTION_RECONFIGURE_CLIENT, ACTION_RETRY, ACTION_RETRY_LATER, ToolError};

use crate::app::{App, Identity};
use crate::sessions::Lease;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::Value;
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
