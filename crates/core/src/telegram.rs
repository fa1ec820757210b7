//! The one wrapper around grammers: opening a session file, connecting,
//! and mapping Telegram failures to [`TgError`]. Tools and login flows use
//! Telegram only through [`TgClient`].

use grammers_client::tl;
use grammers_client::{Client, InvocationError};
use grammers_mtsender::{ConnectionParams, SenderPool};
use grammers_session::Session;
use grammers_session::storages::SqliteSession;
use grammers_session::types::{DcOption, PeerId, PeerInfo, PeerRef};
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
    session: Arc<SqliteSession>,
    me: tokio::sync::OnceCell<PeerRef>,
    login_tokens: tokio::sync::watch::Receiver<u64>,
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
            retry_policy: if opts.auto_retry {
                Box::<grammers_mtsender::AutoSleep>::default()
            } else {
                Box::new(grammers_mtsender::NoRetries)
            },
            ..Default::default()
        };
        let SenderPool { runner, handle, mut updates } =
            SenderPool::with_configuration(session.clone(), opts.api_id, params);
        let client = Client::new(handle);
        let pool = tokio::spawn(runner.run());
        // Live updates are not consumed by the tools; drain them so the pool never waits on a
        // full channel, and note `updateLoginToken` (a QR code was scanned).
        let (seen, login_tokens) = tokio::sync::watch::channel(0u64);
        let updates = tokio::spawn(async move {
            while let Some(u) = updates.recv().await {
                if is_login_token_update(&u) {
                    seen.send_modify(|n| *n += 1);
                }
            }
        });
        Ok(TgClient { client, session, me: tokio::sync::OnceCell::new(), login_tokens, pool, updates })
    }

    /// The underlying grammers client.
    pub fn raw(&self) -> &Client {
        &self.client
    }

    /// Invokes a raw TL request, mapping failures to [`TgError`].
    pub async fn invoke<R: tl::RemoteCall>(&self, req: &R) -> Result<R::Return, TgError> {
        Ok(self.client.invoke(req).await?)
    }

    /// Remembers the access hashes of users and chats seen in a raw result, so later calls can name them by id.
    pub async fn remember(&self, users: &[tl::enums::User], chats: &[tl::enums::Chat]) {
        let infos: Vec<PeerInfo> = users.iter().map(PeerInfo::from).chain(chats.iter().map(PeerInfo::from)).collect();
        if infos.is_empty() {
            return;
        }
        if let Err(e) = self.session.cache_peers(infos).await {
            tracing::warn!("could not cache peers in the session: {e}");
        }
    }

    /// A known peer reference by id (from the session's cache).
    pub async fn known(&self, id: PeerId) -> Option<PeerRef> {
        self.session.peer_ref(id).await.ok().flatten()
    }

    /// The logged-in user's own peer reference (with its real id, unlike `inputPeerSelf`).
    pub async fn me(&self) -> Result<PeerRef, TgError> {
        if let Some(r) = self.me.get() {
            return Ok(*r);
        }
        let user = self.client.get_me().await?;
        let r = user
            .to_ref()
            .await
            .map_err(|e| TgError::Session(e.to_string()))?
            .ok_or_else(|| TgError::NotFound("own user not found".into()))?;
        let _ = self.me.set(r);
        Ok(r)
    }

    /// What the session knows about a peer (e.g. whether a channel is a broadcast).
    pub async fn info(&self, id: PeerId) -> Option<PeerInfo> {
        self.session.peer(id).await.ok().flatten()
    }

    /// Resolves a chat reference as the tools accept it: `me`, `@username`, `username`,
    /// `t.me/username` links, `+phone`, or a numeric id (users positive, basic groups
    /// negative, channels/supergroups `-100…`).
    pub async fn resolve(&self, spec: &str) -> Result<PeerRef, TgError> {
        let s = spec.trim();
        if s.is_empty() {
            return Err(TgError::Invalid("chat_id must not be empty".into()));
        }
        if s.eq_ignore_ascii_case("me") || s.eq_ignore_ascii_case("self") {
            return self.me().await;
        }
        if let Some(phone) = s.strip_prefix('+') {
            let req =
                tl::functions::contacts::ResolvePhone { phone: phone.chars().filter(char::is_ascii_digit).collect() };
            return match self.invoke(&req).await {
                Ok(tl::enums::contacts::ResolvedPeer::Peer(r)) => {
                    self.remember(&r.users, &r.chats).await;
                    self.known(PeerId::from(r.peer))
                        .await
                        .ok_or_else(|| TgError::NotFound(format!("{s} could not be resolved")))
                }
                Err(TgError::Rpc { name, .. })
                    if name.starts_with("PHONE_NOT_OCCUPIED") || name.starts_with("PHONE_NUMBER_INVALID") =>
                {
                    Err(TgError::NotFound("no Telegram user with this phone number is visible to you".into()))
                }
                Err(e) => Err(e),
            };
        }
        if let Ok(n) = s.parse::<i64>() {
            let id = PeerId::from_bot_api_dialog_id(n)
                .ok_or_else(|| TgError::Invalid(format!("{n} is not a valid chat id")))?;
            if let Some(r) = self.known(id).await {
                return Ok(r);
            }
            // Not cached yet: learn access hashes from the dialog list, then try again.
            self.learn_dialogs(400).await?;
            return self.known(id).await.ok_or_else(|| {
                TgError::NotFound(format!(
                    "chat {n} is not known to this account; use @username or find it with find_chats first"
                ))
            });
        }
        let name = username_of(s)
            .ok_or_else(|| TgError::Invalid(format!("{s:?} is not a chat id, @username or t.me link")))?;
        match self.client.resolve_username(&name).await {
            Ok(Some(peer)) => {
                let r = peer.to_ref().await.map_err(|e| TgError::Session(e.to_string()))?;
                r.ok_or_else(|| TgError::NotFound(format!("@{name} could not be resolved")))
            }
            Ok(None) => Err(TgError::NotFound(format!("no chat with username @{name}"))),
            Err(e) => match TgError::from(e) {
                TgError::Rpc { name: n, .. } if n.starts_with("USERNAME_INVALID") => {
                    Err(TgError::NotFound(format!("no chat with username @{name}")))
                }
                other => Err(other),
            },
        }
    }

    /// Walks up to `max` dialogs (main list and archive) to cache their access hashes.
    pub async fn learn_dialogs(&self, max: usize) -> Result<(), TgError> {
        let mut iter = self.client.iter_dialogs().limit(max);
        while iter.next().await?.is_some() {}
        Ok(())
    }

    /// How many `updateLoginToken` updates arrived (each means a QR code was accepted).
    pub fn login_token_updates(&self) -> u64 {
        *self.login_tokens.borrow()
    }

    /// Waits until more than `seen` `updateLoginToken` updates arrived, or `timeout` passes.
    pub async fn wait_login_token_update(&self, seen: u64, timeout: std::time::Duration) -> bool {
        let mut rx = self.login_tokens.clone();
        tokio::time::timeout(timeout, rx.wait_for(|n| *n > seen)).await.is_ok_and(|r| r.is_ok())
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

fn is_login_token_update(u: &grammers_session::updates::UpdatesLike) -> bool {
    use grammers_session::updates::UpdatesLike;
    let is = |x: &tl::enums::Update| matches!(x, tl::enums::Update::LoginToken);
    match u {
        UpdatesLike::Updates(tl::enums::Updates::UpdateShort(s)) => is(&s.update),
        UpdatesLike::Updates(tl::enums::Updates::Updates(s)) => s.updates.iter().any(is),
        UpdatesLike::Updates(tl::enums::Updates::Combined(s)) => s.updates.iter().any(is),
        _ => false,
    }
}

/// Extracts a username from `@name`, `name`, `t.me/name`, `https://t.me/name/123`; `None` if it is not one.
pub fn username_of(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")).unwrap_or(s);
    let s = s.strip_prefix("t.me/").or_else(|| s.strip_prefix("telegram.me/")).unwrap_or(s);
    let s = s.strip_prefix('@').unwrap_or(s);
    let name = s.split(['/', '?']).next().unwrap_or("");
    let valid = (4..=32).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    valid.then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_from_all_spellings() {
        for s in
            ["@durov_x", "durov_x", "t.me/durov_x", "https://t.me/durov_x/12", "http://telegram.me/durov_x?start=1"]
        {
            assert_eq!(username_of(s).as_deref(), Some("durov_x"), "{s}");
        }
        for s in ["", "@ab", "1abc", "bad name", "../../etc", "a-b-c-d"] {
            assert_eq!(username_of(s), None, "{s}");
        }
    }
}
