//! Telegram session files and the LRU of connected clients.
//!
//! Each token selects a session id (`s_…`, never the token); the file is
//! `<config dir>/sessions/<id>.session`, created 0600 in a 0700 directory.
//! At most `MAX_ACTIVE_SESSIONS` clients stay connected; the least recently
//! used one is disconnected (its file is kept). Files are only deleted on an
//! explicit request, never because of a network error.

use crate::fsutil::{create_private_file, ensure_private_dir};
use crate::telegram::{ConnectOptions, TgClient, TgError};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Mutex;

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
}

struct Slot {
    client: Arc<TgClient>,
    last_access: i64,
    tick: u64,
}

struct State {
    slots: HashMap<String, Slot>,
    /// Last access of sessions that were evicted or closed (kept for /health).
    history: HashMap<String, i64>,
    tick: u64,
}

/// Owns the session directory and the connected clients.
pub struct Sessions {
    dir: PathBuf,
    max_active: usize,
    connect: Option<ConnectOptions>,
    state: Mutex<State>,
    /// Serialises opening per session so one file never gets two pools.
    opening: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl Sessions {
    /// Prepares `<config dir>/sessions` (0700). `connect` is `None` when API_ID is not configured.
    pub fn new(config_dir: &Path, max_active: usize, connect: Option<ConnectOptions>) -> std::io::Result<Self> {
        let dir = config_dir.join("sessions");
        ensure_private_dir(config_dir)?;
        ensure_private_dir(&dir)?;
        Ok(Sessions {
            dir,
            max_active: max_active.max(1),
            connect,
            state: Mutex::new(State { slots: HashMap::new(), history: HashMap::new(), tick: 0 }),
            opening: Mutex::new(HashMap::new()),
        })
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

    /// The connected client for a session, connecting (and evicting the LRU one) if needed.
    pub async fn client(&self, session_id: &str) -> Result<Arc<TgClient>, TgError> {
        let path = self.path(session_id)?;
        if let Some(c) = self.touch(session_id).await {
            return Ok(c);
        }
        let lock = self.opening.lock().await.entry(session_id.to_string()).or_default().clone();
        let _guard = lock.lock().await;
        if let Some(c) = self.touch(session_id).await {
            return Ok(c);
        }
        let opts = self
            .connect
            .as_ref()
            .ok_or_else(|| TgError::Config("API_ID is not set; get one at https://my.telegram.org/apps".into()))?;
        create_private_file(&path).map_err(|e| TgError::Session(format!("cannot create session file: {e}")))?;
        let client = Arc::new(TgClient::open(&path, opts).await?);
        let mut st = self.state.lock().await;
        st.tick += 1;
        let tick = st.tick;
        st.slots.insert(
            session_id.to_string(),
            Slot { client: client.clone(), last_access: crate::token_index::now(), tick },
        );
        while st.slots.len() > self.max_active {
            let victim = st.slots.iter().min_by_key(|(_, s)| s.tick).map(|(k, _)| k.clone()).expect("non-empty");
            if let Some(slot) = st.slots.remove(&victim) {
                tracing::info!(session = %victim, "disconnecting least recently used session");
                slot.client.disconnect();
                st.history.insert(victim, slot.last_access);
            }
        }
        Ok(client)
    }

    async fn touch(&self, session_id: &str) -> Option<Arc<TgClient>> {
        let mut st = self.state.lock().await;
        st.tick += 1;
        let tick = st.tick;
        let slot = st.slots.get_mut(session_id)?;
        if !slot.client.is_connected() {
            // The pool ended (e.g. the server closed it); reconnect on this call. The file stays.
            let old = st.slots.remove(session_id)?;
            st.history.insert(session_id.to_string(), old.last_access);
            return None;
        }
        slot.tick = tick;
        slot.last_access = crate::token_index::now();
        Some(slot.client.clone())
    }

    /// Disconnects a session's client (the file stays).
    pub async fn close(&self, session_id: &str) {
        let mut st = self.state.lock().await;
        if let Some(slot) = st.slots.remove(session_id) {
            slot.client.disconnect();
            st.history.insert(session_id.to_string(), slot.last_access);
        }
    }

    /// Disconnects and deletes a session file (explicit user request only).
    pub async fn delete(&self, session_id: &str) -> Result<bool, TgError> {
        let path = self.path(session_id)?;
        self.close(session_id).await;
        self.state.lock().await.history.remove(session_id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(TgError::Session(format!("cannot delete session file: {e}"))),
        }
    }

    /// Number of connected clients.
    pub async fn active_count(&self) -> usize {
        self.state.lock().await.slots.len()
    }

    /// Maximum number of connected clients.
    pub fn max_active(&self) -> usize {
        self.max_active
    }

    /// Activity of every session used since start, most recent first.
    pub async fn activity(&self) -> Vec<SessionActivity> {
        let st = self.state.lock().await;
        let mut out: Vec<SessionActivity> = st
            .slots
            .iter()
            .map(|(id, s)| SessionActivity {
                session_id: id.clone(),
                last_access: s.last_access,
                connected: s.client.is_connected(),
            })
            .chain(st.history.iter().filter(|(id, _)| !st.slots.contains_key(*id)).map(|(id, t)| SessionActivity {
                session_id: id.clone(),
                last_access: *t,
                connected: false,
            }))
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
        let s = Sessions::new(dir.path(), 2, None).unwrap();
        let e = s.client("s_abc").await.unwrap_err();
        assert!(e.to_string().contains("API_ID"));
        assert!(!s.exists("s_abc"));
    }
}
