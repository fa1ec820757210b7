//! `send_message`, `edit_message`, `send_message_to_phone`.
use super::{ToolCtx, ToolError, ToolOutput, params::*};

/// Sends a message.
pub async fn send_message(_ctx: ToolCtx, _p: SendMessageParams) -> Result<ToolOutput, ToolError> {
    Err(ToolError::invalid("not implemented yet"))
}
/// Edits a message.
pub async fn edit_message(_ctx: ToolCtx, _p: EditMessageParams) -> Result<ToolOutput, ToolError> {
    Err(ToolError::invalid("not implemented yet"))
}
/// Sends to a phone number.
pub async fn send_to_phone(_ctx: ToolCtx, _p: SendToPhoneParams) -> Result<ToolOutput, ToolError> {
    Err(ToolError::invalid("not implemented yet"))
}
