//! `invoke_mtproto`.
use super::{ToolCtx, ToolError, ToolOutput, params::InvokeMtprotoParams};

/// Invokes a raw method.
pub async fn invoke(_ctx: ToolCtx, _p: InvokeMtprotoParams) -> Result<ToolOutput, ToolError> {
    Err(ToolError::invalid("not implemented yet"))
}
