//! `get_messages`.
use super::{ToolCtx, ToolError, ToolOutput, params::GetMessagesParams};

/// Reads messages of one chat.
pub async fn get_messages(_ctx: ToolCtx, _p: GetMessagesParams) -> Result<ToolOutput, ToolError> {
    Err(ToolError::invalid("not implemented yet"))
}
