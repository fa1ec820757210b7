//! The one wrapper around grammers: opening a session file, connecting,
//! and mapping Telegram failures to [`TgError`]. Tools and login flows use
//! Telegram only through [`TgClient`].

use crate::live::LiveBuffer;
use crate::session_store::{FileSession, SealKey};
use grammers_client::tl;
use grammers_client::{Client, InvocationError};
use grammers_mtsender::{ConnectionParams, SenderPool};
use grammers_session::Session;
use grammers_session::types::{DcOption, PeerId, PeerInfo, PeerRef};
use std::collections::HashMap;
use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::task::{AbortHandle, JoinHandle};

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
    /// Every session slot is busy; the call can be retried shortly.
    #[error("{0}")]
    Busy(String),
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

/// How long a username or phone number resolved by Telegram is served from memory.
pub const RESOLVE_FRESH: Duration = Duration::from_secs(30 * 60);

/// Telegram errors that mean a cached peer reference was rejected (resolve it again).
pub const PEER_REJECTED: &[&str] =
    &["PEER_ID_INVALID", "CHANNEL_INVALID", "USER_ID_INVALID", "CHAT_ID_INVALID", "CHANNEL_PRIVATE"];

/// A connected grammers client bound to one session file.
pub struct TgClient {
    client: Client,
    session: Arc<FileSession>,
    me: tokio::sync::OnceCell<PeerRef>,
    login_tokens: tokio::sync::watch::Receiver<u64>,
    /// Counts folder changes seen on the update stream.
    folder_edits: tokio::sync::watch::Receiver<u64>,
    /// Wakes the update loop when a login completes (it then starts following updates).
    authorized: Arc<tokio::sync::Notify>,
    /// Lets the update loop of a session logged in at open start catching up ([`TgClient::follow_updates`]).
    follow: tokio::sync::watch::Sender<bool>,
    /// Usernames (lowercase) and `+phone`s resolved by Telegram, with when.
    resolved: Mutex<HashMap<String, (PeerRef, Instant)>>,
    pool_state: AbortHandle,
    pool: tokio::sync::Mutex<Option<JoinHandle<()>>>,
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
    /// The install key that seals session files (`None`: plain files, 0600; no keyring).
    pub seal: Option<SealKey>,
}

impl TgClient {
    /// Opens (creating, or migrating from the old SQLite format, if needed) the session at
    /// `path`, starts its connection pool and its update loop, which files new messages into
    /// `live` (see [`crate::live`]).
    /// The first network request happens lazily on the first call.
    pub async fn open(path: &Path, opts: &ConnectOptions, live: Arc<LiveBuffer>) -> Result<TgClient, TgError> {
        let session = FileSession::open(path, opts.seal.clone()).await.map_err(|e| TgError::Session(e.to_string()))?;
        if let Some(addr) = opts.dc_override {
            seed_test_dc(&session, addr).await?;
        }
        let params = connection_params(opts.auto_retry);
        let SenderPool { runner, handle, updates } =
            SenderPool::with_configuration(session.clone(), opts.api_id, params);
        let (thin, erased) = (handle.thin.clone(), handle.session.clone());
        let client = Client::new(handle);
        let pool = tokio::spawn(runner.run());
        let (seen, login_tokens) = tokio::sync::watch::channel(0u64);
        let (folder_edited, folder_edits) = tokio::sync::watch::channel(0u64);
        let authorized = Arc::new(tokio::sync::Notify::new());
        let (follow, follow_rx) = tokio::sync::watch::channel(false);
        let updates = tokio::spawn(crate::live::run(crate::live::Feed {
            raw: updates,
            handle: thin,
            erased,
            session: session.clone(),
            buffer: live,
            login_tokens: seen,
            folder_edits: folder_edited,
            authorized: authorized.clone(),
            follow: follow_rx,
            pool: pool.abort_handle(),
        }));
        Ok(TgClient {
            client,
            session,
            me: tokio::sync::OnceCell::new(),
            login_tokens,
            folder_edits,
            authorized,
            follow,
            resolved: Mutex::default(),
            pool_state: pool.abort_handle(),
            pool: tokio::sync::Mutex::new(Some(pool)),
            updates,
        })
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
        let _ = self.session.cache_peers(infos).await;
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
        if let Some(hit) = self.cached_resolution(s) {
            return Ok(hit);
        }
        if let Some(phone) = s.strip_prefix('+') {
            let req =
                tl::functions::contacts::ResolvePhone { phone: phone.chars().filter(char::is_ascii_digit).collect() };
            return match self.invoke(&req).await {
                Ok(tl::enums::contacts::ResolvedPeer::Peer(r)) => {
                    self.remember(&r.users, &r.chats).await;
                    let found = self
                        .known(PeerId::from(r.peer))
                        .await
                        .ok_or_else(|| TgError::NotFound(format!("{s} could not be resolved")))?;
                    self.cache_resolution(s, found);
                    Ok(found)
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
                let r = r.ok_or_else(|| TgError::NotFound(format!("@{name} could not be resolved")))?;
                self.cache_resolution(s, r);
                Ok(r)
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

    /// The cache key of a username or phone spelling (`None` for ids and `me`).
    fn resolution_key(spec: &str) -> Option<String> {
        match spec.strip_prefix('+') {
            Some(phone) => Some(format!("+{}", phone.chars().filter(char::is_ascii_digit).collect::<String>())),
            None => username_of(spec).map(|u| u.to_ascii_lowercase()),
        }
    }

    fn cached_resolution(&self, spec: &str) -> Option<PeerRef> {
        let key = Self::resolution_key(spec)?;
        let cache = self.resolved.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(&key).filter(|(_, at)| at.elapsed() < RESOLVE_FRESH).map(|(r, _)| *r)
    }

    fn cache_resolution(&self, spec: &str, peer: PeerRef) {
        if let Some(key) = Self::resolution_key(spec) {
            self.resolved.lock().unwrap_or_else(|p| p.into_inner()).insert(key, (peer, Instant::now()));
        }
    }

    /// Forgets every cached username/phone resolution (Telegram rejected a cached peer).
    pub fn forget_resolutions(&self) {
        self.resolved.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Walks up to `max` dialogs (main list and archive) to cache their access hashes.
    pub async fn learn_dialogs(&self, max: usize) -> Result<(), TgError> {
        let mut iter = self.client.iter_dialogs().limit(max);
        while iter.next().await?.is_some() {}
        Ok(())
    }

    /// How many changes to the account's chat folders the update stream reported (made in this
    /// or another app): what was read about folders before is stale when this moved on.
    pub fn folder_edits(&self) -> u64 {
        *self.folder_edits.borrow()
    }

    /// Follows [`TgClient::folder_edits`].
    pub fn watch_folder_edits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.folder_edits.clone()
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

    /// Tells the update loop that this session just logged in, so it starts following the
    /// account's updates from the state the login saved.
    pub fn logged_in(&self) {
        self.authorized.notify_one();
    }

    /// Lets the update loop catch up and follow the account's updates, if it waits for that (a
    /// session logged in at open waits, so that the call that opened it is not slowed by the
    /// catch-up; see [`crate::live`]). Called when a use of the client ends, and by whoever waits
    /// for live updates. Idempotent.
    pub fn follow_updates(&self) {
        self.follow.send_if_modified(|go| !std::mem::replace(go, true));
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
        !self.pool_state.is_finished()
    }

    /// How often the session file was written since this client opened it.
    pub fn storage_writes(&self) -> u64 {
        self.session.write_count()
    }

    /// Writes pending session changes now (normally batched).
    pub async fn flush_storage(&self) -> Result<(), TgError> {
        self.session.flush().await.map_err(|e| TgError::Session(e.to_string()))
    }

    /// Saves pending changes, then stops every later write of the session (it is being deleted).
    pub async fn discard_storage(&self) {
        if let Err(e) = self.session.flush().await {
            tracing::warn!("could not save the session before deleting it: {e}");
        }
        self.session.discard().await;
    }

    /// Closes the connection and waits until the pool has stopped (so no connection task is
    /// cancelled mid-way when the runtime ends). The session file stays.
    pub async fn shutdown(&self) {
        if let Err(e) = self.session.flush().await {
            tracing::warn!("could not save the session: {e}");
        }
        self.client.disconnect();
        let handle = self.pool.lock().await.take();
        if let Some(h) = handle {
            let abort = h.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), h).await.is_err() {
                tracing::warn!("a Telegram connection did not stop in time");
                abort.abort();
            }
        }
    }
}

/// Connection parameters, computed once per process without asking the OS through child
/// processes (grammers' defaults run `lsb_release` for every session).
fn connection_params(auto_retry: bool) -> ConnectionParams {
    struct Fixed {
        system_version: String,
        lang: String,
    }
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    let fixed = FIXED.get_or_init(|| Fixed { system_version: system_version(), lang: language() });
    ConnectionParams {
        device_model: "fast-mcp-telegram".into(),
        system_version: fixed.system_version.clone(),
        app_version: env!("CARGO_PKG_VERSION").into(),
        system_lang_code: fixed.lang.clone(),
        lang_code: fixed.lang.clone(),
        use_ipv6: false,
        retry_policy: if auto_retry {
            Box::<grammers_mtsender::AutoSleep>::default()
        } else {
            Box::new(grammers_mtsender::NoRetries)
        },
        updates_channel_capacity: std::num::NonZeroUsize::new(100).expect("non-zero"),
        __non_exhaustive: (),
    }
}

/// "Debian GNU/Linux 12 (bookworm)" from /etc/os-release on Linux, else the OS family name.
fn system_version() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string())));
    pretty.filter(|p| !p.is_empty()).unwrap_or_else(|| std::env::consts::OS.to_string())
}

/// The two-letter language of the user's locale (`LC_ALL`, `LC_MESSAGES`, `LANG`), default `en`.
fn language() -> String {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .and_then(|v| {
            let code: String =
                v.chars().take_while(|c| c.is_ascii_alphabetic()).collect::<String>().to_ascii_lowercase();
            (code.len() == 2 || code.len() == 3).then_some(code)
        })
        .unwrap_or_else(|| "en".into())
}

impl Drop for TgClient {
    fn drop(&mut self) {
        self.client.disconnect();
        self.updates.abort();
    }
}

/// Points a session that has no auth key yet at a test data centre, with a key the test DC
/// issues (the stand-in for the DH handshake; see `fake-tg-dc`), or a random one if it issues none.
async fn seed_test_dc(session: &FileSession, addr: SocketAddr) -> Result<(), TgError> {
    let home = session.home_dc_id().map_err(|_| TgError::Session("session unreadable".into()))?;
    let existing = session.dc_option(home).map_err(|_| TgError::Session("session unreadable".into()))?;
    if existing.is_some_and(|o| o.auth_key.is_some()) {
        return Ok(());
    }
    let SocketAddr::V4(v4) = addr else {
        return Err(TgError::Config("TELEGRAM_DC_ADDR must be an IPv4 address".into()));
    };
    let key = match issued_test_key(addr).await {
        Some(k) => k,
        None => {
            let mut key = [0u8; 256];
            rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut key)
                .map_err(|e| TgError::Session(e.to_string()))?;
            key
        }
    };
    let opt = DcOption {
        id: 2,
        ipv4: SocketAddrV4::new(*v4.ip(), v4.port()),
        ipv6: SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0),
        auth_key: Some(key),
    };
    let _ = session.set_dc_option(&opt).await;
    let _ = session.set_home_dc_id(2).await;
    Ok(())
}

/// Asks a test DC for an auth key (`FAKE-DC-ISSUE-KEY` → 512 hex digits).
async fn issued_test_key(addr: SocketAddr) -> Option<[u8; 256]> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ask = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
        s.write_all(b"FAKE-DC-ISSUE-KEY\n").await.ok()?;
        let mut hex = [0u8; 513];
        s.read_exact(&mut hex).await.ok()?;
        let text = std::str::from_utf8(&hex[..512]).ok()?;
        let bytes = hex::decode(text).ok()?;
        <[u8; 256]>::try_from(bytes.as_slice()).ok()
    };
    tokio::time::timeout(Duration::from_secs(5), ask).await.ok().flatten()
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
