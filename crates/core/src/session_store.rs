//! Our grammers session storage: the whole session (auth keys, DC options, peer cache, update
//! state) lives in memory and is written as one file, atomically, encrypted with
//! XChaCha20-Poly1305 under a per-install key kept in the OS keyring (or plain, mode 0600, where
//! there is no keyring).
//!
//! Writes are few: a change that matters for the login (home DC, an auth key) is written at
//! once; the peer cache and update state are written in batches (a second after the last change,
//! and on shutdown), and only when something really changed, so a read-only tool call costs no
//! disk I/O. Files of the old format (grammers' SQLite store) are migrated on open, keeping the
//! login and a backup of the old file.
//!
//! File layout: `FMTS1\n` + JSON (plain), or `FMTSE1` + 24-byte nonce + ciphertext (encrypted,
//! the session file's name as associated data, so files cannot be swapped between sessions).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use grammers_session::types::{ChannelState, DcOption, PeerId, PeerInfo, UpdateState, UpdatesState};
use grammers_session::{BoxFuture, Session};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

const PLAIN_MAGIC: &[u8] = b"FMTS1\n";
const SEALED_MAGIC: &[u8] = b"FMTSE1";
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
/// Format version of the session data inside the file.
const FORMAT_VERSION: u32 = 1;
/// How long the peer cache and update state may stay unwritten after the last change.
const BATCH_DELAY: Duration = Duration::from_secs(1);

/// How a session file is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AtRest {
    /// Owner-only mode (0600) only: there is no OS keyring to keep a key in.
    Plain,
    /// Encrypted with the install key from the OS keyring.
    Encrypted,
}

/// The 256-bit install key that seals session files.
#[derive(Clone)]
pub struct SealKey([u8; 32]);

impl SealKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(b: [u8; 32]) -> Self {
        SealKey(b)
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let mut b = [0u8; 32];
        rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut b)
            .expect("the OS random number generator failed");
        SealKey(b)
    }

    /// The key bytes (to store them in the keyring).
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Drop for SealKey {
    fn drop(&mut self) {
        // Best effort: do not leave the key in freed memory.
        self.0.iter_mut().for_each(|b| unsafe { std::ptr::write_volatile(b, 0) });
    }
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(…)")
    }
}

/// Failures of the session store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading or writing the file failed.
    #[error("session file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is encrypted and this process has no key (no keyring, or another one).
    #[error(
        "session file {0} is encrypted, and the key is not in this machine's keyring (a copied file cannot be opened; restore a backup or log in again)"
    )]
    NoKey(PathBuf),
    /// Decryption failed: wrong key or a damaged file.
    #[error("session file {0} cannot be decrypted (wrong key or damaged file); it was left untouched")]
    Undecryptable(PathBuf),
    /// The file is not a session file we know.
    #[error("session file {path} is damaged ({msg}); it was left untouched")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
}

/// What the file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    version: u32,
    home_dc: i32,
    dc_options: Vec<DcOption>,
    #[serde(default)]
    peers: Vec<PeerInfo>,
    #[serde(default)]
    updates: UpdatesState,
}

struct Data {
    home_dc: i32,
    dc_options: HashMap<i32, DcOption>,
    peers: HashMap<PeerId, PeerInfo>,
    updates: UpdatesState,
    /// Something changed since the last write.
    dirty: bool,
}

impl Default for Data {
    fn default() -> Self {
        let d = grammers_session::SessionData::default();
        Data {
            home_dc: d.home_dc,
            dc_options: d.dc_options,
            peers: HashMap::new(),
            updates: d.updates_state,
            dirty: false,
        }
    }
}

impl Data {
    fn to_stored(&self) -> Stored {
        let mut dc_options: Vec<DcOption> = self.dc_options.values().cloned().collect();
        dc_options.sort_by_key(|o| o.id);
        Stored {
            version: FORMAT_VERSION,
            home_dc: self.home_dc,
            dc_options,
            peers: self.peers.values().cloned().collect(),
            updates: self.updates.clone(),
        }
    }

    fn from_stored(s: Stored) -> Data {
        Data {
            home_dc: s.home_dc,
            dc_options: s.dc_options.into_iter().map(|o| (o.id, o)).collect(),
            peers: s.peers.into_iter().map(|p| (p.id(), p)).collect(),
            updates: s.updates,
            dirty: false,
        }
    }
}

/// A session file kept in memory and written atomically.
pub struct FileSession {
    path: PathBuf,
    key: Option<SealKey>,
    data: Mutex<Data>,
    /// Serialises writes so an older snapshot never replaces a newer one.
    write_lock: tokio::sync::Mutex<()>,
    /// Wakes the batch writer (which ends when this session is dropped).
    changed: tokio::sync::mpsc::Sender<()>,
    /// Counts writes (tests and benchmarks check that reads cause none).
    writes: std::sync::atomic::AtomicU64,
    /// Set when the session is being deleted: nothing is written any more.
    discarded: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for FileSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileSession({})", self.path.display())
    }
}

impl FileSession {
    /// Opens (creating if missing, migrating the old SQLite format) the session at `path`,
    /// sealed with `key` when given. Starts the batch writer (needs a Tokio runtime).
    pub async fn open(path: &Path, key: Option<SealKey>) -> Result<Arc<FileSession>, StoreError> {
        let io = |source| StoreError::Io { path: path.to_path_buf(), source };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(e)),
        };
        let (data, migrate) = if bytes.is_empty() {
            (Data::default(), true)
        } else if bytes.starts_with(SQLITE_MAGIC) {
            (migrate_sqlite(path).await?, true)
        } else {
            let data = Data::from_stored(decode(path, &bytes, key.as_ref())?);
            // A plain file is sealed as soon as a key exists.
            (data, bytes.starts_with(PLAIN_MAGIC) && key.is_some())
        };
        let (changed, mut wakeups) = tokio::sync::mpsc::channel(1);
        let session = Arc::new(FileSession {
            path: path.to_path_buf(),
            key,
            data: Mutex::new(data),
            write_lock: tokio::sync::Mutex::new(()),
            changed,
            writes: Default::default(),
            discarded: Default::default(),
        });
        if migrate {
            session.lock().dirty = true;
            session.flush().await?;
        }
        let weak = Arc::downgrade(&session);
        tokio::spawn(async move {
            while wakeups.recv().await.is_some() {
                tokio::time::sleep(BATCH_DELAY).await;
                let Some(s) = weak.upgrade() else { return };
                if let Err(e) = s.flush().await {
                    tracing::warn!("could not save the session: {e}");
                }
            }
        });
        Ok(session)
    }

    /// How this file is protected.
    #[cfg(test)]
    pub fn at_rest(&self) -> AtRest {
        if self.key.is_some() { AtRest::Encrypted } else { AtRest::Plain }
    }

    /// How many times the file was written since it was opened.
    pub fn write_count(&self) -> u64 {
        self.writes.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops every later write (a flush, the batch writer, the write on drop), so a session being
    /// deleted is not written back after its file is gone by whoever still holds it (the update
    /// loop, a call in flight). Waits for a write under way to end.
    pub async fn discard(&self) {
        let _w = self.write_lock.lock().await;
        self.discarded.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn is_discarded(&self) -> bool {
        self.discarded.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Writes the session now if anything changed.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let _w = self.write_lock.lock().await;
        if self.is_discarded() {
            return Ok(());
        }
        let stored = {
            let mut d = self.lock();
            if !d.dirty {
                return Ok(());
            }
            d.dirty = false;
            d.to_stored()
        };
        let bytes = encode(&self.path, &stored, self.key.as_ref());
        let path = self.path.clone();
        let r = tokio::task::spawn_blocking(move || crate::fsutil::write_private_atomic(&path, &bytes))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        if let Err(source) = r {
            self.lock().dirty = true;
            return Err(StoreError::Io { path: self.path.clone(), source });
        }
        self.writes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Marks a batched change (written by the batch writer).
    fn later(&self) {
        let _ = self.changed.try_send(());
    }
}

impl Drop for FileSession {
    /// Writes a pending batch (cached peers, update state) before the session goes away.
    fn drop(&mut self) {
        let d = self.lock();
        if d.dirty && !self.is_discarded() {
            let bytes = encode(&self.path, &d.to_stored(), self.key.as_ref());
            if let Err(e) = crate::fsutil::write_private_atomic(&self.path, &bytes) {
                tracing::warn!("could not save the session on close: {e}");
            }
        }
    }
}

/// Serialises (and seals, with a key) the session for `path`.
fn encode(path: &Path, stored: &Stored, key: Option<&SealKey>) -> Vec<u8> {
    let json = serde_json::to_vec(stored).expect("session data serializes");
    match key {
        None => [PLAIN_MAGIC, &json].concat(),
        Some(k) => {
            let mut nonce = [0u8; 24];
            rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut nonce)
                .expect("the OS random number generator failed");
            let cipher = XChaCha20Poly1305::new(k.0.as_slice().into());
            let aad = associated_data(path);
            let sealed =
                cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: &json, aad: &aad }).expect("encryption");
            [SEALED_MAGIC, &nonce, &sealed].concat()
        }
    }
}

/// Reads a file of our format.
fn decode(path: &Path, bytes: &[u8], key: Option<&SealKey>) -> Result<Stored, StoreError> {
    let corrupt = |msg: String| StoreError::Corrupt { path: path.to_path_buf(), msg };
    let json = if let Some(rest) = bytes.strip_prefix(PLAIN_MAGIC) {
        rest.to_vec()
    } else if let Some(rest) = bytes.strip_prefix(SEALED_MAGIC) {
        let key = key.ok_or_else(|| StoreError::NoKey(path.to_path_buf()))?;
        if rest.len() < 24 + 16 {
            return Err(corrupt("too short".into()));
        }
        let (nonce, sealed) = rest.split_at(24);
        let cipher = XChaCha20Poly1305::new(key.0.as_slice().into());
        let aad = associated_data(path);
        cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: &aad })
            .map_err(|_| StoreError::Undecryptable(path.to_path_buf()))?
    } else {
        return Err(corrupt("not a fast-mcp-telegram session file".into()));
    };
    let stored: Stored = serde_json::from_slice(&json).map_err(|e| corrupt(e.to_string()))?;
    if stored.version > FORMAT_VERSION {
        return Err(corrupt(format!("written by a newer version (format {})", stored.version)));
    }
    Ok(stored)
}

/// The session data of the file at `path` as plain JSON (for backups).
pub fn read_json(path: &Path, key: Option<&SealKey>) -> Result<Vec<u8>, StoreError> {
    let bytes = std::fs::read(path).map_err(|source| StoreError::Io { path: path.to_path_buf(), source })?;
    if bytes.starts_with(SQLITE_MAGIC) {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            msg: "still in the old format; start the server once to migrate it".into(),
        });
    }
    let stored = decode(path, &bytes, key)?;
    Ok(serde_json::to_vec(&stored).expect("session data serializes"))
}

/// Writes session data given as plain JSON (from a backup) to `path`, sealed with `key`.
pub fn write_json(path: &Path, json: &[u8], key: Option<&SealKey>) -> Result<(), StoreError> {
    let stored: Stored = serde_json::from_slice(json).map_err(|e| StoreError::Corrupt {
        path: path.to_path_buf(),
        msg: format!("session data in the backup: {e}"),
    })?;
    crate::fsutil::write_private_atomic(path, &encode(path, &stored, key))
        .map_err(|source| StoreError::Io { path: path.to_path_buf(), source })
}

fn associated_data(path: &Path) -> Vec<u8> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    [SEALED_MAGIC, name.as_bytes()].concat()
}

/// Reads an old grammers SQLite session (auth keys, home DC, update state) and keeps the old
/// file next to it as `<name>.sqlite-backup`. Cached peers are not carried over (they are
/// learned again from the dialog list).
async fn migrate_sqlite(path: &Path) -> Result<Data, StoreError> {
    let io = |source| StoreError::Io { path: path.to_path_buf(), source };
    let old = grammers_session::storages::SqliteSession::open(path)
        .await
        .map_err(|e| StoreError::Corrupt { path: path.to_path_buf(), msg: format!("old session format: {e}") })?;
    let mut data = Data::default();
    data.home_dc = old.home_dc_id().unwrap_or(data.home_dc);
    for id in 1..=5 {
        if let Ok(Some(o)) = old.dc_option(id) {
            data.dc_options.insert(id, o);
        }
    }
    if let Ok(u) = old.updates_state().await {
        data.updates = u;
    }
    drop(old);
    let mut backup = path.as_os_str().to_owned();
    backup.push(".sqlite-backup");
    std::fs::copy(path, &backup).map_err(io)?;
    crate::fsutil::restrict_file(Path::new(&backup)).map_err(io)?;
    tracing::info!(file = %path.display(), "migrated a session to the new format (the old file is kept as .sqlite-backup)");
    Ok(data)
}

/// `Session` errors are never fatal to grammers; they are logged where they happen.
#[derive(Debug)]
pub struct Never;

impl std::fmt::Display for Never {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("session storage error")
    }
}

impl std::error::Error for Never {}

impl Session for FileSession {
    type Error = Never;

    fn home_dc_id(&self) -> Result<i32, Never> {
        Ok(self.lock().home_dc)
    }

    fn set_home_dc_id(&self, dc_id: i32) -> BoxFuture<'_, Result<(), Never>> {
        Box::pin(async move {
            let changed = {
                let mut d = self.lock();
                let changed = d.home_dc != dc_id;
                d.home_dc = dc_id;
                d.dirty |= changed;
                changed
            };
            if changed && let Err(e) = self.flush().await {
                tracing::error!("could not save the session's home DC: {e}");
            }
            Ok(())
        })
    }

    fn dc_option(&self, dc_id: i32) -> Result<Option<DcOption>, Never> {
        Ok(self.lock().dc_options.get(&dc_id).cloned())
    }

    fn set_dc_option(&self, dc_option: &DcOption) -> BoxFuture<'_, Result<(), Never>> {
        let dc_option = dc_option.clone();
        Box::pin(async move {
            let (changed, key_changed) = {
                let mut d = self.lock();
                let old = d.dc_options.insert(dc_option.id, dc_option.clone());
                let key_changed = old.as_ref().map(|o| o.auth_key) != Some(dc_option.auth_key);
                let changed = old.as_ref() != Some(&dc_option);
                d.dirty |= changed;
                (changed, key_changed)
            };
            // An auth key is the login itself: never leave it unwritten.
            if key_changed {
                if let Err(e) = self.flush().await {
                    tracing::error!("could not save the session's auth key: {e}");
                }
            } else if changed {
                self.later();
            }
            Ok(())
        })
    }

    /// `PeerId::self_user()` names the logged-in user, as in grammers' own stores (its update
    /// receiver asks for it to know whether the session is logged in).
    fn peer(&self, peer: PeerId) -> BoxFuture<'_, Result<Option<PeerInfo>, Never>> {
        Box::pin(async move {
            let d = self.lock();
            if peer == PeerId::self_user() {
                return Ok(d.peers.values().find(|p| matches!(p, PeerInfo::User { is_self: Some(true), .. })).cloned());
            }
            Ok(d.peers.get(&peer).cloned())
        })
    }

    fn cache_peer(&self, peer: PeerInfo) -> BoxFuture<'_, Result<(), Never>> {
        Box::pin(async move {
            if merge_peer(&mut self.lock(), peer) {
                self.later();
            }
            Ok(())
        })
    }

    fn cache_peers(&self, peers: Vec<PeerInfo>) -> BoxFuture<'_, Result<(), Never>> {
        Box::pin(async move {
            let mut changed = false;
            {
                let mut d = self.lock();
                for p in peers {
                    changed |= merge_peer(&mut d, p);
                }
            }
            if changed {
                self.later();
            }
            Ok(())
        })
    }

    fn updates_state(&self) -> BoxFuture<'_, Result<UpdatesState, Never>> {
        Box::pin(async move { Ok(self.lock().updates.clone()) })
    }

    fn set_update_state(&self, update: UpdateState) -> BoxFuture<'_, Result<(), Never>> {
        Box::pin(async move {
            let changed = {
                let mut d = self.lock();
                let before = d.updates.clone();
                match update {
                    UpdateState::All(all) => d.updates = all,
                    UpdateState::Primary { pts, date, seq } => {
                        d.updates.pts = pts;
                        d.updates.date = date;
                        d.updates.seq = seq;
                    }
                    UpdateState::Secondary { qts } => d.updates.qts = qts,
                    UpdateState::Channel { id, pts } => {
                        d.updates.channels.retain(|c| c.id != id);
                        d.updates.channels.push(ChannelState { id, pts });
                    }
                }
                let changed = d.updates != before;
                d.dirty |= changed;
                changed
            };
            if changed {
                self.later();
            }
            Ok(())
        })
    }
}

/// Adds or extends a cached peer; whether anything changed.
fn merge_peer(d: &mut Data, peer: PeerInfo) -> bool {
    let id = peer.id();
    let changed = match d.peers.get_mut(&id) {
        Some(existing) => {
            let before = existing.clone();
            existing.extend_info(&peer);
            *existing != before
        }
        None => {
            d.peers.insert(id, peer);
            true
        }
    };
    d.dirty |= changed;
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, SocketAddrV4, SocketAddrV6};

    fn dc(key: u8) -> DcOption {
        DcOption {
            id: 2,
            ipv4: SocketAddrV4::new(Ipv4Addr::LOCALHOST, 4430),
            ipv6: SocketAddrV6::new(Ipv4Addr::LOCALHOST.to_ipv6_mapped(), 4430, 0, 0),
            auth_key: Some([key; 256]),
        }
    }

    #[tokio::test]
    async fn an_encrypted_session_reopens_with_its_key_and_not_without() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s_abc.session");
        let key = SealKey::generate();
        let s = FileSession::open(&path, Some(key.clone())).await.unwrap();
        s.set_dc_option(&dc(7)).await.unwrap();
        s.set_home_dc_id(2).await.unwrap();
        drop(s);
        let raw = std::fs::read(&path).unwrap();
        assert!(raw.starts_with(SEALED_MAGIC));
        assert!(!raw.windows(8).any(|w| w == [7u8; 8]), "the auth key is not in the file in clear");

        let again = FileSession::open(&path, Some(key)).await.unwrap();
        assert_eq!(again.dc_option(2).unwrap().unwrap().auth_key, Some([7; 256]));
        assert_eq!(again.home_dc_id().unwrap(), 2);
        assert_eq!(again.at_rest(), AtRest::Encrypted);
        drop(again);

        // A copy elsewhere, without the key (or with another), is useless, and stays untouched.
        let copy = dir.path().join("copy");
        std::fs::create_dir(&copy).unwrap();
        let copied = copy.join("s_abc.session");
        std::fs::copy(&path, &copied).unwrap();
        assert!(matches!(FileSession::open(&copied, None).await, Err(StoreError::NoKey(_))));
        assert!(matches!(
            FileSession::open(&copied, Some(SealKey::generate())).await,
            Err(StoreError::Undecryptable(_))
        ));
        assert_eq!(std::fs::read(&copied).unwrap(), raw);
        // Nor can it be swapped in for another session's file.
        let swapped = dir.path().join("s_other.session");
        std::fs::copy(&path, &swapped).unwrap();
        let key2 = SealKey::from_bytes(*SealKey::generate().bytes());
        assert!(FileSession::open(&swapped, Some(key2)).await.is_err());
    }

    #[tokio::test]
    async fn a_discarded_session_is_never_written_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s_gone.session");
        let s = FileSession::open(&path, None).await.unwrap();
        s.set_dc_option(&dc(3)).await.unwrap();
        let peer = PeerInfo::User { id: 7, auth: None, bot: Some(false), is_self: Some(false) };
        // A batched change is pending (the batch writer is woken, the session is dirty) ...
        s.cache_peers(vec![peer]).await.unwrap();
        assert!(s.lock().dirty);
        // ... when the session is deleted: neither a flush nor the drop brings the file back.
        s.discard().await;
        std::fs::remove_file(&path).unwrap();
        s.flush().await.unwrap();
        drop(s);
        assert!(!path.exists(), "the deleted session was written back");
    }

    #[tokio::test]
    async fn reads_and_repeated_peers_write_nothing_and_changes_are_batched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s_x.session");
        let s = FileSession::open(&path, None).await.unwrap();
        s.set_dc_option(&dc(1)).await.unwrap();
        let after_login = s.write_count();
        let peer = PeerInfo::User {
            id: 42,
            auth: Some(grammers_session::types::PeerAuth::from_hash(99)),
            bot: Some(false),
            is_self: Some(false),
        };
        s.cache_peer(peer.clone()).await.unwrap();
        s.flush().await.unwrap();
        let with_peer = s.write_count();
        assert_eq!(with_peer, after_login + 1);
        for _ in 0..50 {
            s.cache_peers(vec![peer.clone()]).await.unwrap();
            s.peer(PeerId::user_unchecked(42)).await.unwrap();
            s.dc_option(2).unwrap();
        }
        s.flush().await.unwrap();
        assert_eq!(s.write_count(), with_peer, "nothing new: nothing written");
        drop(s);
        let again = FileSession::open(&path, None).await.unwrap();
        assert!(again.peer(PeerId::user_unchecked(42)).await.unwrap().is_some(), "the peer cache persists");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_plain_file_is_owner_only_and_sealed_once_a_key_exists() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s_p.session");
        let s = FileSession::open(&path, None).await.unwrap();
        s.set_dc_option(&dc(3)).await.unwrap();
        drop(s);
        assert!(std::fs::read(&path).unwrap().starts_with(PLAIN_MAGIC));
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let key = SealKey::generate();
        let s = FileSession::open(&path, Some(key)).await.unwrap();
        assert!(std::fs::read(&path).unwrap().starts_with(SEALED_MAGIC));
        assert_eq!(s.dc_option(2).unwrap().unwrap().auth_key, Some([3; 256]));
    }
}
