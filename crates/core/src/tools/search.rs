//! `search_messages_globally`.
use super::{ToolCtx, ToolError, ToolOutput, params::SearchGloballyParams};

/// Runs a global search.
pub async fn search_globally(_ctx: ToolCtx, _p: SearchGloballyParams) -> Result<ToolOutput, ToolError> {
    Err(ToolError::invalid("not implemented yet"))
}
