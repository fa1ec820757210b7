//! Local file paths for uploads: stdio mode only, and never the app's own
//! config dir (token index, settings, session files).

use super::{ToolCtx, ToolError};
use std::path::PathBuf;

/// Validates a local path for upload and returns its canonical form.
pub fn local_file(ctx: &ToolCtx, raw: &str, max_bytes: u64) -> Result<PathBuf, ToolError> {
    let path = PathBuf::from(raw);
    if !path.is_absolute() {
        return Err(ToolError::invalid(format!("{raw}: use an absolute path")));
    }
    let canon = path.canonicalize().map_err(|e| ToolError::invalid(format!("{raw}: {e}")))?;
    let config = ctx.app.config.session_dir.canonicalize().unwrap_or_else(|_| ctx.app.config.session_dir.clone());
    if canon.starts_with(&config) || canon.extension().is_some_and(|e| e == "session") {
        return Err(ToolError::invalid(format!(
            "{raw}: files of the app's config dir (tokens, settings, sessions) cannot be sent"
        )));
    }
    let meta = std::fs::metadata(&canon).map_err(|e| ToolError::invalid(format!("{raw}: {e}")))?;
    if !meta.is_file() {
        return Err(ToolError::invalid(format!("{raw} is not a regular file")));
    }
    if meta.len() > max_bytes {
        return Err(ToolError::invalid(format!(
            "{raw} is {} bytes, over the {max_bytes} byte limit (MAX_FILE_SIZE_MB)",
            meta.len()
        )));
    }
    Ok(canon)
}
