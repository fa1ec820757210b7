//! Shared application state: configuration, token index, sessions.

use crate::config::{Config, Transport};
use crate::keystore::KeyStore;
use crate::sessions::Sessions;
use crate::telegram::ConnectOptions;
use crate::token_index::TokenIndex;
use std::sync::Arc;
use std::time::Instant;

/// Who a request acts for: the session selected by its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Non-secret session id.
    pub session_id: String,
    /// Non-secret id of the token used, if any (none for stdio/dev mode).
    pub token_id: Option<String>,
    /// Transport the request came over (local file paths are allowed only on stdio).
    pub transport: Transport,
}

/// Everything the server needs, shared by the transports and tools.
pub struct App {
    /// Validated configuration.
    pub config: Config,
    /// Token digests → sessions.
    pub tokens: TokenIndex,
    /// Session files and connected clients.
    pub sessions: Sessions,
    /// When the server started.
    pub started: Instant,
}

/// Errors while building the app.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Token index problem.
    #[error(transparent)]
    Index(#[from] crate::token_index::IndexError),
    /// Session dir problem.
    #[error("session directory: {0}")]
    Io(#[from] std::io::Error),
}

impl App {
    /// Builds the shared state from a config and a keyring.
    pub fn new(config: Config, keystore: KeyStore) -> Result<Arc<App>, AppError> {
        let tokens = TokenIndex::open(&config.session_dir, keystore)?;
        let connect = config.api_id.map(|api_id| ConnectOptions { api_id, dc_override: config.dc_override, auto_retry: false });
        let sessions = Sessions::new(&config.session_dir, config.max_active_sessions, connect)?;
        Ok(Arc::new(App { config, tokens, sessions, started: Instant::now() }))
    }
}
