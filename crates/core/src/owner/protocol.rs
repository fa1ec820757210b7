//! The owner socket's protocol: newline-delimited JSON. A client's first line is a [`Hello`];
//! the owner answers with a [`HelloReply`]. After that, an `mcp` connection carries MCP
//! JSON-RPC exactly as stdio does, and a `control` connection carries [`ControlRequest`] /
//! [`ControlReply`] lines (the operations of the tray app and `/setup`).

use super::lock::OwnerInfo;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::PathBuf;

/// Version of this protocol; an owner refuses a hello with another.
pub const PROTOCOL_VERSION: u32 = 1;

/// Longest line either side accepts (a hello, a control request or reply).
pub const MAX_LINE: usize = 8 * 1024 * 1024;

/// What a connection is for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Purpose {
    /// MCP for a stdio client, acting as a token (by non-secret id, or by secret for old configs).
    Mcp {
        /// Token id (`tok_…`); the socket is owner-only, so the id is enough.
        #[serde(default)]
        token_id: Option<String>,
        /// Secret token (older client configs); checked like a bearer token.
        #[serde(default)]
        token: Option<String>,
    },
    /// Control commands (tokens, logins, settings, status) and owner commands.
    Control,
}

/// The first line of every connection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Hello {
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// Version of the connecting binary.
    pub client_version: String,
    /// What the connection is for.
    #[serde(flatten)]
    pub purpose: Purpose,
    /// Working directory of the client (relative local file paths resolve against it).
    #[serde(default)]
    pub cwd: Option<PathBuf>,
}

/// An error as it crosses the socket: a stable code and a message for people.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct WireError {
    /// Machine-readable code, e.g. `token_revoked`, `not_found`, `invalid_code`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// Seconds to wait before retrying, when the owner knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
}

impl WireError {
    /// An error with `code` and `message`.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        WireError { code: code.into(), message: message.into(), retry_after: None }
    }
}

/// The owner's answer to a [`Hello`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HelloReply {
    /// Whether the connection was accepted.
    pub ok: bool,
    /// Who answered.
    pub owner: OwnerInfo,
    /// Why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<WireError>,
}

/// One control request line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ControlRequest {
    /// Command name (see `control::COMMANDS`, plus `owner_status` and `owner_shutdown`).
    pub command: String,
    /// Arguments object.
    #[serde(default)]
    pub args: Value,
}

/// One control reply line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlReply {
    /// The command's result.
    Ok(Value),
    /// The command's error.
    Error(WireError),
}
