//! `find_chats`, `get_chat_info`.
use super::{ToolCtx, ToolError, ToolOutput, params::*};

/// Finds chats.
pub async fn find_chats(_ctx: ToolCtx, _p: FindChatsParams) -> Result<ToolOutput, ToolError> {
    Err(ToolError::invalid("not implemented yet"))
}
/// Chat details.
pub async fn get_chat_info(ctx: ToolCtx, _p: GetChatInfoParams) -> Result<ToolOutput, ToolError> {
    let c = ctx.client().await?;
    let me = c.raw().get_me().await?;
    Ok(ToolOutput::json(serde_json::json!({"id": me.id().bare_id()})))
}
