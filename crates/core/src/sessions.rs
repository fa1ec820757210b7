//! Telegram session files and the pool of connected clients.
//!
//! Each token selects a session id (`s_…`, never the token); the file is
//! `<config dir>/sessions/<id>.session`, created 0600 in a 0700 directory.
//! Files are only deleted on an explicit request, never because of a network error.
//!
//! The pool keeps at most `MAX_ACTIVE_SESSIONS` clients connected. Every use of a client
//! holds a [`Lease`]; a client with a lease (a call in flight, a login step, an attachment
//! stream) is never disconnected to make room. When the pool is full, the least recently
//! used *idle* client is closed; when none is idle, the caller waits up to
//! `SESSION_SLOT_WAIT_SECONDS` for a slot and then gets [`TgError::Busy`], which is
//! retryable. Idle clients are closed after `SESSION_IDLE_SECONDS` even under the limit.

use crate::fsutil::ensure_private_dir;
use crate::live::LiveBuffer;
use crate::session_store::AtRest;
use crate::telegram::{ConnectOptions, TgClient, TgError};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Session id used by stdio mode when no token is configured.
pub const DEFAULT_SESSION_ID: &str = "default";

/// Non-secret activity of one known session, for `/health` and the UI.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SessionActivity {
    /// Non-secret session id.
    pub session_id: String,
    /// Last use, Unix seconds.
    pub last_access: i64,
    /// Whether a client is connected right now.
    pub connected: bool,
    /// Calls, login steps and streams using the client right now.
    pub in_flight: usize,
    /// `connected`, `offline` (the last call found the link broken or stalled; the next call
    /// reconnects) or `idle` (no connection open).
    pub state: &'static str,
    /// Last call Telegram answered, Unix seconds.
    pub last_ok: Option<i64>,
    /// The last connection failure, if it is newer than the last answer.
    pub last_error: Option<String>,
}

/// What the pool knows about a session's link.
#[derive(Debug, Clone, Default)]
struct LinkHealth {
    last_ok: Option<i64>,
    last_error: Option<(i64, String)>,
    /// Order of the last answer and the last failure (wall-clock seconds cannot tell them apart).
    ok_seq: u64,
    error_seq: u64,
}

impl LinkHealth {
    fn failing(&self) -> bool {
        self.error_seq > self.ok_seq
    }
}

/// Pool limits (from the configuration).
#[derive(Debug, Clone, Copy)]
pub struct PoolLimits {
    /// Clients kept connected at most (`MAX_ACTIVE_SESSIONS`).
    pub max_active: usize,
    /// How long a new session waits for a free slot before [`TgError::Busy`] (`SESSION_SLOT_WAIT_SECONDS`).
    pub slot_wait: Duration,
    /// Idle time after which a client is closed (`SESSION_IDLE_SECONDS`).
    pub idle_close: Duration,
}

impl PoolLimits {
    /// Limits with the default wait (30 s) and idle time (15 min).
    pub fn new(max_active: usize) -> Self {
        PoolLimits {
            max_active: max_active.max(1),
            slot_wait: Duration::from_secs(30),
            idle_close: Duration::from_secs(900),
        }
    }
}

/// The pool's counters, for `/health` and the tray app.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct PoolStats {
    /// Connected clients.
    pub active: usize,
    /// Connected clients with at least one lease.
    pub busy: usize,
    /// Callers waiting for a free slot.
    pub waiting: usize,
    /// The limit (`MAX_ACTIVE_SESSIONS`).
    pub max_active: usize,
}

struct Slot {
    client: Arc<TgClient>,
    last_access: i64,
    last_used: Instant,
    tick: u64,
    in_flight: usize,
}

#[derive(Default)]
struct State {
    slots: HashMap<String, Slot>,
    /// Slots promised to sessions that are being opened right now.
    opening: usize,
    waiting: usize,
    /// Last access of sessions that were evicted or closed (kept for /health).
    history: HashMap<String, i64>,
    /// Link health by session (kept across reconnects).
    health: HashMap<String, LinkHealth>,
    tick: u64,
}

struct Pool {
    limits: PoolLimits,
    state: Mutex<State>,
    /// Signalled whenever a lease ends or a slot is freed.
    freed: tokio::sync::Notify,
    /// Bumped when a client connects or closes, or a link's health flips (what status shows).
    changes: crate::changes::Signal,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A client in use. While any lease of a session exists, its client is never evicted.
pub struct Lease {
    client: Arc<TgClient>,
    session_id: String,
    pool: Arc<Pool>,
}

impl std::ops::Deref for Lease {
    type Target = TgClient;
    fn deref(&self) -> &TgClient {
        &self.client
    }
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lease({})", self.session_id)
    }
}

impl Clone for Lease {
    /// Another lease on the same client (for concurrent requests of one call).
    fn clone(&self) -> Self {
        let mut st = self.pool.lock();
        if let Some(slot) = st.slots.get_mut(&self.session_id)
            && Arc::ptr_eq(&slot.client, &self.client)
        {
            slot.in_flight += 1;
        }
        Lease { client: self.client.clone(), session_id: self.session_id.clone(), pool: self.pool.clone() }
    }
}

impl Drop for Lease {
    /// Ends this use of the client; the first use to end also lets its update loop catch up.
    fn drop(&mut self) {
        self.client.follow_updates();
        let mut st = self.pool.lock();
        if let Some(slot) = st.slots.get_mut(&self.session_id)
            && Arc::ptr_eq(&slot.client, &self.client)
        {
            slot.in_flight = slot.in_flight.saturating_sub(1);
            slot.last_used = Instant::now();
        }
        drop(st);
        self.pool.freed.notify_waiters();
    }
}

/// Owns the session directory and the connected clients.
pub struct Sessions {
    dir: PathBuf,
    at_rest: AtRest,
    seal: Option<crate::session_store::SealKey>,
    /// How new clients connect; `None` until API_ID is known (it can arrive while running).
    connect: Mutex<Option<ConnectOptions>>,
    pool: Arc<Pool>,
    /// Serialises opening per session so one file never gets two pools.
    opening: tokio::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Each session's new-message buffer, kept across reconnects for the life of the process.
    live: Mutex<HashMap<String, Arc<LiveBuffer>>>,
}

impl Sessions {
    /// Prepares `<config dir>/sessions` (0700). `connect` is `None` when API_ID is not configured;
    /// `seal` is the install key from the keyring (`None`: session files stay plain, 0600).
    pub fn new(
        config_dir: &Path,
        limits: PoolLimits,
        connect: Option<ConnectOptions>,
        seal: Option<crate::session_store::SealKey>,
    ) -> std::io::Result<Self> {
        let at_rest = if seal.is_some() { AtRest::Encrypted } else { AtRest::Plain };
        let dir = config_dir.join("sessions");
        ensure_private_dir(config_dir)?;
        ensure_private_dir(&dir)?;
        let pool = Arc::new(Pool {
            limits,
            state: Mutex::new(State::default()),
            freed: tokio::sync::Notify::new(),
            changes: Default::default(),
        });
        Ok(Sessions {
            dir,
            at_rest,
            seal,
            connect: Mutex::new(connect),
            pool,
            opening: Default::default(),
            live: Mutex::default(),
        })
    }

    /// How session files are protected at rest.
    pub fn at_rest(&self) -> AtRest {
        self.at_rest
    }

    /// The key new session files are sealed with (none without a keyring).
    pub fn seal_key(&self) -> Option<crate::session_store::SealKey> {
        self.connect_options().and_then(|c| c.seal).or_else(|| self.seal.clone())
    }

    fn connect_options(&self) -> Option<ConnectOptions> {
        self.connect.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// New API credentials entered while running: clients opened from now on use `api_id`;
    /// idle connected clients are closed so they reconnect with it (busy ones finish first).
    pub fn set_api_id(&self, api_id: i32, dc_override: Option<std::net::SocketAddr>) {
        let mut connect = self.connect.lock().unwrap_or_else(|p| p.into_inner());
        *connect = Some(match connect.take() {
            Some(c) => ConnectOptions { api_id, ..c },
            None => ConnectOptions { api_id, dc_override, auto_retry: false, seal: self.seal.clone() },
        });
        drop(connect);
        self.close_idle();
    }

    /// The directory holding the session files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of a session id (ids are validated so they can never escape the directory).
    pub fn path(&self, session_id: &str) -> Result<PathBuf, TgError> {
        validate_session_id(session_id)?;
        Ok(self.dir.join(format!("{session_id}.session")))
    }

    /// Whether a session file exists.
    pub fn exists(&self, session_id: &str) -> bool {
        self.path(session_id).is_ok_and(|p| p.exists())
    }

    /// A lease on the connected client of a session, connecting it if needed (closing the least
    /// recently used idle client when the pool is full, or waiting for one to become idle).
    pub async fn client(&self, session_id: &str) -> Result<Lease, TgError> {
        let path = self.path(session_id)?;
        if let Some(l) = self.lease(session_id) {
            return Ok(l);
        }
        let lock = self.opening.lock().await.entry(session_id.to_string()).or_default().clone();
        let _guard = lock.lock().await;
        if let Some(l) = self.lease(session_id) {
            return Ok(l);
        }
        let opts = self
            .connect_options()
            .ok_or_else(|| TgError::Config("API_ID is not set; get one at https://my.telegram.org/apps".into()))?;
        self.reserve_slot().await?;
        let opened = TgClient::open(&path, &opts, self.live(session_id)).await;
        let mut st = self.pool.lock();
        st.opening -= 1;
        let client = match opened {
            Ok(c) => Arc::new(c),
            Err(e) => {
                drop(st);
                self.pool.freed.notify_waiters();
                return Err(e);
            }
        };
        st.tick += 1;
        let tick = st.tick;
        let slot = Slot {
            client: client.clone(),
            last_access: crate::clock::now(),
            last_used: Instant::now(),
            tick,
            in_flight: 1,
        };
        st.slots.insert(session_id.to_string(), slot);
        drop(st);
        self.pool.changes.bump();
        Ok(Lease { client, session_id: session_id.to_string(), pool: self.pool.clone() })
    }

    /// The new messages of a session that arrived while its client was connected (see
    /// [`crate::live`]); the buffer exists from the first use and outlives reconnects.
    pub(crate) fn live(&self, session_id: &str) -> Arc<LiveBuffer> {
        self.live.lock().unwrap_or_else(|p| p.into_inner()).entry(session_id.to_string()).or_default().clone()
    }

    /// A lease on an already connected client, if there is one.
    fn lease(&self, session_id: &str) -> Option<Lease> {
        let mut st = self.pool.lock();
        st.tick += 1;
        let tick = st.tick;
        let slot = st.slots.get_mut(session_id)?;
        if !slot.client.is_connected() {
            // The pool ended (e.g. the server closed it); reconnect on this call. The file stays.
            let old = st.slots.remove(session_id)?;
            st.history.insert(session_id.to_string(), old.last_access);
            if old.in_flight == 0 {
                old.client.disconnect();
            }
            self.pool.changes.bump();
            return None;
        }
        slot.tick = tick;
        slot.last_access = crate::clock::now();
        slot.in_flight += 1;
        Some(Lease { client: slot.client.clone(), session_id: session_id.to_string(), pool: self.pool.clone() })
    }

    /// Makes room for one more client: a free slot, else the least recently used idle client
    /// is closed, else waits (bounded) for a lease to end.
    async fn reserve_slot(&self) -> Result<(), TgError> {
        let deadline = tokio::time::Instant::now() + self.pool.limits.slot_wait;
        loop {
            let freed = self.pool.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            {
                let mut st = self.pool.lock();
                if st.slots.len() + st.opening < self.pool.limits.max_active {
                    st.opening += 1;
                    return Ok(());
                }
                let victim = st
                    .slots
                    .iter()
                    .filter(|(_, s)| s.in_flight == 0)
                    .min_by_key(|(_, s)| s.tick)
                    .map(|(k, _)| k.clone());
                if let Some(victim) = victim {
                    let slot = st.slots.remove(&victim).expect("victim exists");
                    tracing::info!(session = %victim, "closing the least recently used idle session to make room");
                    st.history.insert(victim, slot.last_access);
                    st.opening += 1;
                    drop(st);
                    slot.client.disconnect();
                    self.pool.changes.bump();
                    return Ok(());
                }
                st.waiting += 1;
            }
            let timed_out = tokio::time::timeout_at(deadline, freed).await.is_err();
            self.pool.lock().waiting -= 1;
            if timed_out {
                let max = self.pool.limits.max_active;
                tracing::warn!(max, "every session slot is busy; a new session waited too long");
                return Err(TgError::Busy(format!(
                    "all {max} Telegram session slots are busy with calls in flight; retry shortly (or raise MAX_ACTIVE_SESSIONS)"
                )));
            }
        }
    }

    /// When the next connected client falls idle, if none of them is used before then (one that
    /// is busy counts from now: its lease ending moves the time later, never earlier). `None`
    /// while nobody is connected: then only a client connecting (see [`Sessions::subscribe`])
    /// makes a time.
    pub fn next_idle_close(&self) -> Option<Instant> {
        let limit = self.pool.limits.idle_close;
        let now = Instant::now();
        let st = self.pool.lock();
        st.slots.values().map(|s| if s.in_flight > 0 { now + limit } else { s.last_used + limit }).min()
    }

    /// Closes clients idle for longer than the idle limit; returns how many were closed.
    pub fn close_idle(&self) -> usize {
        let limit = self.pool.limits.idle_close;
        let mut st = self.pool.lock();
        let idle: Vec<String> = st
            .slots
            .iter()
            .filter(|(_, s)| s.in_flight == 0 && s.last_used.elapsed() >= limit)
            .map(|(k, _)| k.clone())
            .collect();
        let mut closed = Vec::new();
        for id in &idle {
            if let Some(slot) = st.slots.remove(id) {
                st.history.insert(id.clone(), slot.last_access);
                closed.push(slot.client);
            }
        }
        drop(st);
        for c in &closed {
            tracing::debug!("closing an idle session");
            c.disconnect();
        }
        if !closed.is_empty() {
            self.pool.freed.notify_waiters();
            self.pool.changes.bump();
        }
        closed.len()
    }

    /// Removes a session's slot from the pool (remembering its last access for /health).
    fn take_slot(&self, session_id: &str) -> Option<Slot> {
        let mut st = self.pool.lock();
        let slot = st.slots.remove(session_id)?;
        st.history.insert(session_id.to_string(), slot.last_access);
        drop(st);
        self.pool.changes.bump();
        Some(slot)
    }

    /// Disconnects a session's client (the file stays). Leases still held see their calls fail.
    pub async fn close(&self, session_id: &str) {
        if let Some(slot) = self.take_slot(session_id) {
            slot.client.shutdown().await;
            self.pool.freed.notify_waiters();
        }
    }

    /// Closes every client and waits for their connections to end (at shutdown).
    pub async fn shutdown(&self) {
        let clients: Vec<Arc<TgClient>> = {
            let mut st = self.pool.lock();
            let drained: Vec<(String, Slot)> = st.slots.drain().collect();
            drained
                .into_iter()
                .map(|(id, s)| {
                    st.history.insert(id, s.last_access);
                    s.client
                })
                .collect()
        };
        self.pool.changes.bump();
        futures::future::join_all(clients.iter().map(|c| c.shutdown())).await;
    }

    /// Saves every connected client's pending session changes.
    pub async fn flush_all(&self) {
        let clients: Vec<Arc<TgClient>> = self.pool.lock().slots.values().map(|s| s.client.clone()).collect();
        for c in clients {
            if let Err(e) = c.flush_storage().await {
                tracing::warn!("could not save a session: {e}");
            }
        }
    }

    /// Disconnects and deletes a session file (explicit user request only); a copy goes to the
    /// rolling local backups first, so a mistake can be undone.
    pub async fn delete(&self, session_id: &str) -> Result<bool, TgError> {
        let path = self.path(session_id)?;
        if let Some(slot) = self.take_slot(session_id) {
            // Whoever still holds the client (its update loop, a call in flight) must not write
            // the file back once it is gone.
            slot.client.discard_storage().await;
            slot.client.shutdown().await;
            self.pool.freed.notify_waiters();
        }
        crate::backup::keep_local_copy(&self.dir, session_id);
        self.pool.lock().history.remove(session_id);
        self.live.lock().unwrap_or_else(|p| p.into_inner()).remove(session_id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(TgError::Session(format!("cannot delete session file: {e}"))),
        }
    }

    /// Records that Telegram answered a call of this session.
    pub fn note_ok(&self, session_id: &str) {
        let mut st = self.pool.lock();
        st.tick += 1;
        let seq = st.tick;
        let h = st.health.entry(session_id.to_string()).or_default();
        let was_failing = h.failing() || h.last_ok.is_none();
        h.last_ok = Some(crate::clock::now());
        h.ok_seq = seq;
        drop(st);
        if was_failing {
            self.pool.changes.bump();
        }
    }

    /// Records a connection failure of this session (shown by /health until the next answer).
    pub fn note_failure(&self, session_id: &str, error: &str) {
        let mut st = self.pool.lock();
        st.tick += 1;
        let seq = st.tick;
        let h = st.health.entry(session_id.to_string()).or_default();
        let was_failing = h.failing();
        h.last_error = Some((crate::clock::now(), error.chars().take(200).collect()));
        h.error_seq = seq;
        drop(st);
        if !was_failing {
            self.pool.changes.bump();
        }
    }

    /// A call of this session got no answer in time: its client is closed (in the background,
    /// without waiting for the dead link) so the next call opens a fresh connection.
    pub fn stalled(&self, session_id: &str) {
        self.note_failure(session_id, "Telegram stopped answering (stalled connection)");
        if let Some(slot) = self.take_slot(session_id) {
            self.pool.freed.notify_waiters();
            tokio::spawn(async move { slot.client.shutdown().await });
        }
    }

    /// Forgets a connected client's cached username/phone resolutions (Telegram rejected one).
    pub fn forget_resolutions(&self, session_id: &str) {
        if let Some(slot) = self.pool.lock().slots.get(session_id) {
            slot.client.forget_resolutions();
        }
    }

    /// A receiver that changes when a client connects or closes or a link's health flips.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.pool.changes.subscribe()
    }

    /// Number of connected clients.
    pub fn active_count(&self) -> usize {
        self.pool.lock().slots.len()
    }

    /// Maximum number of connected clients.
    pub fn max_active(&self) -> usize {
        self.pool.limits.max_active
    }

    /// Connected, busy and waiting counts.
    pub fn stats(&self) -> PoolStats {
        let st = self.pool.lock();
        PoolStats {
            active: st.slots.len(),
            busy: st.slots.values().filter(|s| s.in_flight > 0).count(),
            waiting: st.waiting,
            max_active: self.pool.limits.max_active,
        }
    }

    /// Activity of every session used since start, most recent first.
    pub fn activity(&self) -> Vec<SessionActivity> {
        let st = self.pool.lock();
        let mut out: Vec<SessionActivity> = st
            .slots
            .iter()
            .map(|(id, s)| (id, s.last_access, s.client.is_connected(), s.in_flight))
            .chain(st.history.iter().filter(|(id, _)| !st.slots.contains_key(*id)).map(|(id, t)| (id, *t, false, 0)))
            .map(|(id, last_access, connected, in_flight)| {
                let health = st.health.get(id).cloned().unwrap_or_default();
                let state = match (health.failing(), connected) {
                    (true, _) => "offline",
                    (false, true) => "connected",
                    (false, false) => "idle",
                };
                SessionActivity {
                    session_id: id.clone(),
                    last_access,
                    connected: connected && !health.failing(),
                    in_flight,
                    state,
                    last_ok: health.last_ok,
                    last_error: health.failing().then(|| health.last_error.map(|(_, e)| e)).flatten(),
                }
            })
            .collect();
        out.sort_by(|a, b| b.last_access.cmp(&a.last_access).then(a.session_id.cmp(&b.session_id)));
        out
    }
}

/// Session ids are short lowercase `[a-z0-9_]` strings; anything else is refused.
pub fn validate_session_id(id: &str) -> Result<(), TgError> {
    if !id.is_empty() && id.len() <= 40 && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(())
    } else {
        Err(TgError::Invalid("invalid session id".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_cannot_escape_the_directory() {
        for bad in ["../x", "a/b", "", "A", "x.session", "..", &"a".repeat(41)] {
            assert!(validate_session_id(bad).is_err(), "{bad:?}");
        }
        validate_session_id("s_0123456789ab").unwrap();
        validate_session_id(DEFAULT_SESSION_ID).unwrap();
    }

    #[tokio::test]
    async fn without_api_id_a_clear_error_and_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let s = Sessions::new(dir.path(), PoolLimits::new(2), None, None).unwrap();
        let e = s.client("s_abc").await.unwrap_err();
        assert!(e.to_string().contains("API_ID"));
        assert!(!s.exists("s_abc"));
    }
}
