//! The one wrapper around grammers: opening a session file, connecting,
//! and mapping Telegram failures to [`TgError`]. Tools and login flows use
//! Telegram only through [`TgClient`].

use grammers_client::{Client, InvocationError};
use grammers_mtsender::{ConnectionParams, SenderPool};
use grammers_session::Session;
use grammers_session::storages::SqliteSession;
use grammers_session::types::DcOption;
use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6};
use std::path::Path;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// A Telegram failure, classified for users and for MCP tool errors.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TgError {
    /// The session has no logged-in account (log in with the app or `fast-mcp-telegram login`).
    #[error("this session is not logged in to Telegram; log in with the tray app or `fast-mcp-telegram login`")]
    NotAuthorized,
    /// Telegram asks to wait before retrying.
    #[error("Telegram rate limit: retry after {retry_after} s")]
    FloodWait {
        /// Seconds to wait.
        retry_after: u32,
    },
    /// Telegram answered with an RPC error.
    #[error("Telegram error {code} {name}")]
    Rpc {
        /// HTTP-like error code (400, 403, ...).
        code: i32,
        /// Error name, e.g. `PEER_ID_INVALID`.
        name: String,
    },
    /// The connection failed; the session is intact and the call can be retried.
    #[error("could not reach Telegram: {0}")]
    Network(String),
    /// The session file could not be read or written.
    #[error("session storage error: {0}")]
    Session(String),
    /// API_ID/API_HASH missing.
    #[error("{0}")]
    Config(String),
    /// Input the tool or flow rejected before calling Telegram.
    #[error("{0}")]
    Invalid(String),
    /// Something was asked for that does not exist.
    #[error("{0}")]
    NotFound(String),
}

impl TgError {
    /// The Telegram RPC error code, if this came from Telegram.
    pub fn telegram_code(&self) -> Option<i32> {
        match self {
            TgError::Rpc { code, .. } => Some(*code),
            TgError::FloodWait { .. } => Some(420),
            TgError::NotAuthorized => Some(401),
            _ => None,
        }
    }
}

impl From<InvocationError> for TgError {
    fn from(e: InvocationError) -> Self {
        match e {
            InvocationError::Rpc(rpc) => {
                let name = rpc.name.clone();
                if rpc.name.starts_with("FLOOD_WAIT") || rpc.name.starts_with("FLOOD_PREMIUM_WAIT") {
                    TgError::FloodWait { retry_after: rpc.value.unwrap_or(0) }
                } else if rpc.code == 401 && !rpc.name.starts_with("SESSION_PASSWORD_NEEDED") {
                    TgError::NotAuthorized
                } else {
                    TgError::Rpc { code: rpc.code, name }
                }
            }
            InvocationError::Io(e) => TgError::Network(e.to_string()),
            InvocationError::Transport(e) => TgError::Network(e.to_string()),
            InvocationError::Dropped(_) => TgError::Network("connection closed".into()),
            InvocationError::Session(e) => TgError::Session(e.to_string()),
            other => TgError::Network(other.to_string()),
        }
    }
}

/// A connected grammers client bound to one session file.
pub struct TgClient {
    client: Client,
    pool: JoinHandle<()>,
    updates: JoinHandle<()>,
}

impl std::fmt::Debug for TgClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TgClient")
    }
}

/// Connection settings shared by every client.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Telegram API id.
    pub api_id: i32,
    /// Address of a test data centre to seed into fresh sessions (tests only).
    pub dc_override: Option<SocketAddr>,
    /// Retry Telegram's FLOOD_WAIT/IO errors inside grammers (off: we surface them).
    pub auto_retry: bool,
}

impl TgClient {
    /// Opens (creating if needed) the SQLite session at `path` and starts its connection pool.
    /// The first network request happens lazily on the first call.
    pub async fn open(path: &Path, opts: &ConnectOptions) -> Result<TgClient, TgError> {
        let session = Arc::new(SqliteSession::open(path).await.map_err(|e| TgError::Session(e.to_string()))?);
        if let Some(addr) = opts.dc_override {
            seed_test_dc(&session, addr).await?;
        }
        let params = ConnectionParams {
            device_model: "fast-mcp-telegram".into(),
            app_version: env!("CARGO_PKG_VERSION").into(),
            retry_policy: if opts.auto_retry { Box::<grammers_mtsender::AutoSleep>::default() } else { Box::new(grammers_mtsender::NoRetries) },
            ..Default::default()
        };
        let SenderPool { runner, handle, mut updates } = SenderPool::with_configuration(session, opts.api_id, params);
        let client = Client::new(handle);
        let pool = tokio::spawn(runner.run());
        // Nobody consumes live updates yet; drain them so the pool never waits on a full channel.
        let updates = tokio::spawn(async move { while updates.recv().await.is_some() {} });
        Ok(TgClient { client, pool, updates })
    }

    /// The underlying grammers client.
    pub fn raw(&self) -> &Client {
        &self.client
    }

    /// Whether an account is logged in on this session (asks Telegram).
    pub async fn is_authorized(&self) -> Result<bool, TgError> {
        Ok(self.client.is_authorized().await?)
    }

    /// Closes the connection; the session file stays.
    pub fn disconnect(&self) {
        self.client.disconnect();
    }

    /// Whether the connection pool is still running.
    pub fn is_connected(&self) -> bool {
        !self.pool.is_finished()
    }
}

impl Drop for TgClient {
    fn drop(&mut self) {
        self.client.disconnect();
        self.updates.abort();
    }
}

/// Points a session that has no auth key yet at a test data centre, with a fresh random key.
async fn seed_test_dc(session: &SqliteSession, addr: SocketAddr) -> Result<(), TgError> {
    let home = session.home_dc_id().map_err(|e| TgError::Session(e.to_string()))?;
    let existing = session.dc_option(home).map_err(|e| TgError::Session(e.to_string()))?;
    if existing.is_some_and(|o| o.auth_key.is_some()) {
        return Ok(());
    }
    let SocketAddr::V4(v4) = addr else {
        return Err(TgError::Config("TELEGRAM_DC_ADDR must be an IPv4 address".into()));
    };
    let mut key = [0u8; 256];
    rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut key).map_err(|e| TgError::Session(e.to_string()))?;
    let opt = DcOption {
        id: 2,
        ipv4: SocketAddrV4::new(*v4.ip(), v4.port()),
        ipv6: SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0),
        auth_key: Some(key),
    };
    session.set_dc_option(&opt).await.map_err(|e| TgError::Session(e.to_string()))?;
    session.set_home_dc_id(2).await.map_err(|e| TgError::Session(e.to_string()))?;
    Ok(())
}
