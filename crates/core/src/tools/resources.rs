//! Chats as MCP resources (`telegram://chat/{id}`): the token's visible dialogs listed, one chat's recent messages read, under the same policy as the tools.

use super::chats::scan_dialogs;
use super::format;
use super::params::GetMessagesParams;
use super::{ToolCtx, ToolError, ToolOutput};
use serde_json::{Value, json};

/// Every chat resource's URI starts with this; the chat's Bot-API id follows.
pub const CHAT_URI_PREFIX: &str = "telegram://chat/";
/// The URI template of chat resources.
pub const CHAT_URI_TEMPLATE: &str = "telegram://chat/{chat_id}";
/// Messages a chat resource shows.
pub const RECENT_MESSAGES: u32 = 20;

/// The resource URI of a chat.
pub fn chat_uri(id: i64) -> String {
    format!("{CHAT_URI_PREFIX}{id}")
}

/// The chat id of a chat resource URI.
pub fn chat_of_uri(uri: &str) -> Result<i64, ToolError> {
    uri.strip_prefix(CHAT_URI_PREFIX).and_then(|id| id.parse::<i64>().ok()).filter(|id| *id != 0).ok_or_else(|| {
        ToolError::NotFound(format!("{uri} is not a chat resource (they look like {CHAT_URI_TEMPLATE})"))
    })
}

/// The chats the token may read, from the dialog list (main and archive), newest activity
/// first: `{"chats": [{"uri", "chat"}]}`.
pub async fn list_chats(ctx: ToolCtx) -> Result<ToolOutput, ToolError> {
    let client = ctx.client().await?;
    let chats: Vec<Value> = scan_dialogs(&client, None)
        .await?
        .into_iter()
        .filter(|d| ctx.permits(format::bot_id(&d.peer)))
        .map(|d| json!({"uri": chat_uri(format::bot_id(&d.peer)), "chat": d.entity}))
        .collect();
    Ok(ToolOutput::json(json!({ "chats": chats })))
}

/// A chat's newest messages, exactly as `get_messages` reads them (the same scope checks).
pub async fn read_chat(ctx: ToolCtx, id: i64) -> Result<ToolOutput, ToolError> {
    let p: GetMessagesParams = serde_json::from_value(json!({"chat_id": id, "limit": RECENT_MESSAGES}))
        .map_err(|e| ToolError::internal(e.to_string()))?;
    super::read::get_messages(ctx, p).await
}
