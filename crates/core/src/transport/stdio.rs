//! MCP over stdin/stdout for local clients (Claude Desktop etc.).

use crate::app::{App, Identity};
use crate::config::Transport;
use crate::mcp::TelegramMcp;
use crate::sessions::DEFAULT_SESSION_ID;
use crate::tokens::Token;
use std::sync::Arc;

/// The identity stdio mode acts as: the session of `FAST_MCP_TELEGRAM_TOKEN`, else the default session.
pub fn stdio_identity(app: &App) -> anyhow::Result<Identity> {
    match &app.config.stdio_token {
        None => Ok(Identity { session_id: DEFAULT_SESSION_ID.into(), token_id: None, transport: Transport::Stdio }),
        Some(raw) => {
            let token = Token::parse(raw).map_err(|e| anyhow::anyhow!("FAST_MCP_TELEGRAM_TOKEN: {e}"))?;
            let rec = app.tokens.authenticate(&token).map_err(|e| anyhow::anyhow!("FAST_MCP_TELEGRAM_TOKEN: {e}"))?;
            Ok(Identity { session_id: rec.session_id, token_id: Some(rec.id), transport: Transport::Stdio })
        }
    }
}

/// Serves MCP on stdin/stdout until the client disconnects.
pub async fn serve_stdio(app: Arc<App>) -> anyhow::Result<()> {
    let identity = stdio_identity(&app)?;
    tracing::info!(session = %identity.session_id, "serving MCP on stdio");
    let server = rmcp::serve_server(TelegramMcp::new(app, Some(identity)), rmcp::transport::stdio()).await?;
    server.waiting().await?;
    Ok(())
}
