//! The token index: which token digest selects which Telegram session.
//!
//! Stored as `tokens.json` in the config dir (0600, replaced atomically). It
//! holds only digests and non-secret ids; plaintexts go to the OS keyring.
//! The file is re-read when another process changed it, and every
//! read-modify-write holds an exclusive OS lock on `tokens.lock`, so two
//! processes can never lose each other's updates. Last-use times are kept in
//! memory and written to `last_used.json` in batches ([`TokenIndex::flush_last_used`]),
//! never on the request path.

use crate::fsutil::{ensure_private_dir, write_private_atomic};
use crate::keystore::KeyStore;
use crate::policy::Policy;
use crate::tokens::{Token, TokenDigest, TokenError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

/// How often (at most) a token's last use is written to disk.
pub const LAST_USED_PERSIST_SECS: i64 = 60;

/// One issued token, as the index remembers it (no secret inside).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenRecord {
    /// Non-secret id (`tok_` + 12 hex chars), safe to show and log.
    pub id: String,
    /// User-chosen label, e.g. "Claude Desktop".
    pub label: String,
    /// SHA-256 of the token.
    pub digest: TokenDigest,
    /// Id of the Telegram session this token selects.
    pub session_id: String,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last successful use, Unix seconds (persisted on the next index write).
    #[serde(default)]
    pub last_used_at: Option<i64>,
    /// Display name of the Telegram account logged in on the session, if known.
    #[serde(default)]
    pub account: Option<String>,
    /// What the token may do (records written before policies existed keep full access).
    #[serde(default = "Policy::legacy")]
    pub policy: Policy,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct IndexFile {
    version: u32,
    tokens: Vec<TokenRecord>,
}

/// Errors from the token index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The id names no token.
    #[error("no token with id {0:?}")]
    NotFound(String),
    /// A policy that cannot be stored.
    #[error("invalid token policy: {0}")]
    InvalidPolicy(String),
    /// The label is empty, too long or has control characters.
    #[error("invalid label: {0}")]
    InvalidLabel(&'static str),
    /// Reading or writing the index failed.
    #[error("token index {path}: {source}")]
    Io {
        /// The index path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The index file is corrupt; it is left untouched.
    #[error("token index {path} is corrupt ({msg}); fix or move it away")]
    Corrupt {
        /// The index path.
        path: PathBuf,
        /// Parser message.
        msg: String,
    },
}

/// A newly issued token: shown to the user once (and kept in the keyring if there is one).
#[derive(Debug)]
pub struct Issued {
    /// The record now in the index.
    pub record: TokenRecord,
    /// The plaintext token.
    pub token: Token,
    /// Whether the plaintext was saved in the OS keyring.
    pub stored_in_keyring: bool,
}

struct Cache {
    index: IndexFile,
    /// Identity of the file last read; atomic replacement always changes it.
    stamp: Option<FileStamp>,
}

/// mtime + length + inode of the index file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp(Option<SystemTime>, u64, u64);

impl FileStamp {
    fn of(m: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        let ino = std::os::unix::fs::MetadataExt::ino(m);
        #[cfg(not(unix))]
        let ino = 0;
        FileStamp(m.modified().ok(), m.len(), ino)
    }
}

/// Last-use times seen by this process, not yet written.
#[derive(Default)]
struct Seen {
    times: std::collections::BTreeMap<String, i64>,
    dirty: bool,
}

/// The token index of one config dir.
pub struct TokenIndex {
    path: PathBuf,
    keystore: KeyStore,
    cache: Mutex<Cache>,
    seen: Mutex<Seen>,
    /// Notified when a use is noted while nothing was waiting to be written (the owner writes the
    /// batch a little later; an idle owner has no timer for it).
    noted: std::sync::Arc<tokio::sync::Notify>,
    /// Bumped after every change this process made (revocations reach open connections through it).
    changes: tokio::sync::watch::Sender<u64>,
}

impl Drop for TokenIndex {
    /// Wakes the owner's last-use writer, which then finds its app gone and ends.
    fn drop(&mut self) {
        self.noted.notify_one();
    }
}

impl TokenIndex {
    /// Opens (or prepares) `<dir>/tokens.json`.
    pub fn open(dir: &Path, keystore: KeyStore) -> Result<Self, IndexError> {
        let path = dir.join("tokens.json");
        ensure_private_dir(dir).map_err(|source| IndexError::Io { path: dir.to_path_buf(), source })?;
        let ti = TokenIndex {
            path,
            keystore,
            cache: Mutex::new(Cache { index: IndexFile::default(), stamp: None }),
            seen: Mutex::default(),
            noted: Default::default(),
            changes: tokio::sync::watch::Sender::new(0),
        };
        ti.with_fresh(|_| Ok(()))?;
        Ok(ti)
    }

    /// The keyring used for plaintexts.
    pub fn keystore(&self) -> &KeyStore {
        &self.keystore
    }

    /// Issues a new token with a new session.
    pub fn create(&self, label: &str) -> Result<Issued, IndexError> {
        self.create_for_session(label, &new_id("s_"))
    }

    /// Issues a new token for an existing session id (e.g. a second client on the same account).
    pub fn create_for_session(&self, label: &str, session_id: &str) -> Result<Issued, IndexError> {
        let token = Token::generate();
        let (record, stored_in_keyring) = self.add(label, session_id, &token, Policy::default())?;
        Ok(Issued { record, token, stored_in_keyring })
    }

    /// Registers a token issued elsewhere (e.g. by the Python server, whose session files are
    /// named by their token) for `session_id`, so clients holding it keep working.
    pub fn register_existing(&self, label: &str, session_id: &str, token: &Token) -> Result<TokenRecord, IndexError> {
        // The Python server's tokens could do anything: keep what its clients relied on.
        Ok(self.add(label, session_id, token, Policy::legacy())?.0)
    }

    /// Adds a record for `token` on `session_id` and keeps the secret in the keyring if there
    /// is one; returns the record and whether the keyring has it.
    fn add(
        &self,
        label: &str,
        session_id: &str,
        token: &Token,
        policy: Policy,
    ) -> Result<(TokenRecord, bool), IndexError> {
        let label = validate_label(label)?;
        let record = TokenRecord {
            id: new_id("tok_"),
            label,
            digest: token.digest(),
            session_id: session_id.to_string(),
            created_at: crate::clock::now(),
            last_used_at: None,
            account: None,
            policy,
        };
        self.mutate(|idx| {
            idx.tokens.push(record.clone());
            Ok(())
        })?;
        let stored = self.store_secret(&record.id, token);
        Ok((record, stored))
    }

    /// Replaces a token's secret: the old token stops working at once, the session stays.
    pub fn rotate(&self, id: &str) -> Result<Issued, IndexError> {
        let token = Token::generate();
        let record = self.mutate(|idx| {
            let r = idx.tokens.iter_mut().find(|r| r.id == id).ok_or_else(|| IndexError::NotFound(id.into()))?;
            r.digest = token.digest();
            r.last_used_at = None;
            Ok(r.clone())
        })?;
        let stored_in_keyring = self.store_secret(&record.id, &token);
        Ok(Issued { record, token, stored_in_keyring })
    }

    /// Removes a token. Returns the record; the caller decides about the session file.
    pub fn revoke(&self, id: &str) -> Result<TokenRecord, IndexError> {
        let rec = self.mutate(|idx| {
            let pos = idx.tokens.iter().position(|r| r.id == id).ok_or_else(|| IndexError::NotFound(id.into()))?;
            Ok(idx.tokens.remove(pos))
        })?;
        if let Err(e) = self.keystore.delete(&rec.id)
            && self.keystore.is_available()
        {
            tracing::warn!(token_id = %rec.id, "could not delete token from the OS keyring: {e}");
        }
        Ok(rec)
    }

    /// Renames a token.
    pub fn relabel(&self, id: &str, label: &str) -> Result<TokenRecord, IndexError> {
        let label = validate_label(label)?;
        self.mutate(|idx| {
            let r = idx.tokens.iter_mut().find(|r| r.id == id).ok_or_else(|| IndexError::NotFound(id.into()))?;
            r.label = label;
            Ok(r.clone())
        })
    }

    /// Records the Telegram account shown for every token of a session.
    pub fn set_account(&self, session_id: &str, account: Option<String>) -> Result<(), IndexError> {
        self.mutate(|idx| {
            for r in idx.tokens.iter_mut().filter(|r| r.session_id == session_id) {
                r.account = account.clone();
            }
            Ok(())
        })
    }

    /// Moves every token of session `from` to session `to` (the same account logged in twice);
    /// returns the ids moved. The caller signs `from` out.
    pub fn move_session(&self, from: &str, to: &str) -> Result<Vec<String>, IndexError> {
        self.mutate(|idx| {
            let mut moved = Vec::new();
            for r in idx.tokens.iter_mut().filter(|r| r.session_id == from) {
                r.session_id = to.to_string();
                moved.push(r.id.clone());
            }
            Ok(moved)
        })
    }

    /// Replaces a token's policy; running clients get it with their next call.
    pub fn set_policy(&self, id: &str, policy: Policy) -> Result<TokenRecord, IndexError> {
        policy.validate().map_err(IndexError::InvalidPolicy)?;
        self.mutate(|idx| {
            let r = idx.tokens.iter_mut().find(|r| r.id == id).ok_or_else(|| IndexError::NotFound(id.into()))?;
            r.policy = policy;
            Ok(r.clone())
        })
    }

    /// All tokens, oldest first.
    pub fn list(&self) -> Result<Vec<TokenRecord>, IndexError> {
        let mut list = self.with_fresh(|idx| Ok(idx.tokens.clone()))?;
        let seen = self.last_used_times();
        for r in list.iter_mut() {
            r.last_used_at = r.last_used_at.max(seen.get(&r.id).copied());
        }
        Ok(list)
    }

    /// One token by id.
    pub fn get(&self, id: &str) -> Result<TokenRecord, IndexError> {
        let mut r = self.with_fresh(|idx| {
            idx.tokens.iter().find(|r| r.id == id).cloned().ok_or_else(|| IndexError::NotFound(id.into()))
        })?;
        r.last_used_at = r.last_used_at.max(self.last_used_times().get(id).copied());
        Ok(r)
    }

    /// A receiver that changes after every update this process makes to the index.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Last-use times from disk merged with the ones not yet written.
    fn last_used_times(&self) -> std::collections::BTreeMap<String, i64> {
        let mut all = self.read_last_used();
        for (id, t) in self.seen.lock().unwrap_or_else(|p| p.into_inner()).times.iter() {
            let e = all.entry(id.clone()).or_insert(*t);
            *e = (*e).max(*t);
        }
        all
    }

    /// Notified when the first use since the last [`TokenIndex::flush_last_used`] is noted (its
    /// permit is kept, so a use noted before anyone waits is not missed).
    pub fn uses_noted(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.noted.clone()
    }

    /// Whether uses were noted since the last [`TokenIndex::flush_last_used`] (a cheap look).
    pub fn has_unflushed_uses(&self) -> bool {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).dirty
    }

    /// Writes the last-use times seen since the previous flush (merged with what other
    /// processes wrote) under the index lock. Cheap when nothing changed.
    pub fn flush_last_used(&self) {
        let pending = {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            if !seen.dirty {
                return;
            }
            seen.dirty = false;
            seen.times.clone()
        };
        let result = self.with_file_lock(|| {
            let mut all = self.read_last_used();
            for (id, t) in pending {
                let e = all.entry(id).or_insert(t);
                *e = (*e).max(t);
            }
            let bytes = serde_json::to_vec(&all).expect("map serializes");
            write_private_atomic(&self.last_used_path(), &bytes)
        });
        if let Err(e) = result {
            tracing::warn!("could not record token last-use times: {e}");
            // Tried again with the next batch.
            self.seen.lock().unwrap_or_else(|p| p.into_inner()).dirty = true;
            self.noted.notify_one();
        }
    }

    fn last_used_path(&self) -> PathBuf {
        self.path.with_file_name("last_used.json")
    }

    /// Last-use times by token id, as other processes recorded them (empty if unreadable).
    fn read_last_used(&self) -> std::collections::BTreeMap<String, i64> {
        std::fs::read(self.last_used_path()).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
    }

    /// Whether any token still selects this session.
    pub fn session_in_use(&self, session_id: &str) -> Result<bool, IndexError> {
        self.with_fresh(|idx| Ok(idx.tokens.iter().any(|r| r.session_id == session_id)))
    }

    /// Finds the record of a presented token by digest (constant-time compare) and notes its
    /// use in memory (written later by [`TokenIndex::flush_last_used`], off the request path).
    pub fn authenticate(&self, token: &Token) -> Result<TokenRecord, TokenError> {
        let record = self.lookup(token)?.ok_or(TokenError::Unknown)?;
        self.note_use(&record.id);
        Ok(record)
    }

    /// The record of a token, by digest (constant-time compare over every entry, no early exit),
    /// without counting it as a use
    /// (for checks such as "is this token already registered here").
    pub fn lookup(&self, token: &Token) -> Result<Option<TokenRecord>, TokenError> {
        let digest = token.digest();
        self.with_fresh(|idx| {
            Ok(idx.tokens.iter().fold(None, |hit, r| if r.digest.ct_eq(&digest) { Some(r) } else { hit }).cloned())
        })
        .map_err(|e| {
            tracing::error!("token index unreadable: {e}");
            TokenError::Unknown
        })
    }

    /// Remembers that a token was used now (persisted at most every [`LAST_USED_PERSIST_SECS`]).
    pub fn note_use(&self, id: &str) {
        let now = crate::clock::now();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let previous = seen.times.insert(id.to_string(), now);
        if previous.is_none_or(|p| now - p >= LAST_USED_PERSIST_SECS) {
            if !seen.dirty {
                self.noted.notify_one();
            }
            seen.dirty = true;
        } else if let Some(p) = previous {
            // Keep the persisted time until a minute has passed: fewer writes, same information.
            seen.times.insert(id.to_string(), p);
        }
    }

    /// The plaintext of a token from the OS keyring, if it is stored there.
    pub fn reveal(&self, id: &str) -> Result<Option<String>, IndexError> {
        self.get(id)?;
        Ok(self.keystore.get(id).unwrap_or_else(|e| {
            tracing::warn!(token_id = %id, "keyring read failed: {e}");
            None
        }))
    }

    fn store_secret(&self, id: &str, token: &Token) -> bool {
        if !self.keystore.is_available() {
            return false;
        }
        match self.keystore.put(id, token.expose()) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(token_id = %id, "could not store token in the OS keyring: {e}");
                false
            }
        }
    }

    /// Runs `f` on the index, reloading it first if the file changed on disk.
    fn with_fresh<R>(&self, f: impl FnOnce(&mut IndexFile) -> Result<R, IndexError>) -> Result<R, IndexError> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        self.reload_if_changed(&mut cache)?;
        f(&mut cache.index)
    }

    /// Runs `f` on a fresh index and persists the result atomically, holding the index's OS
    /// lock from the read to the rename so no other process's update is lost.
    fn mutate<R>(&self, f: impl FnOnce(&mut IndexFile) -> Result<R, IndexError>) -> Result<R, IndexError> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let r = self
            .with_file_lock(|| -> Result<R, IndexError> {
                self.reload_if_changed(&mut cache)?;
                let mut next = IndexFile { version: 1, tokens: cache.index.tokens.clone() };
                let r = f(&mut next)?;
                let bytes = serde_json::to_vec_pretty(&next).expect("index serializes");
                write_private_atomic(&self.path, &bytes)
                    .map_err(|source| IndexError::Io { path: self.path.clone(), source })?;
                cache.stamp = std::fs::metadata(&self.path).ok().map(|m| FileStamp::of(&m));
                cache.index = next;
                Ok(r)
            })
            .map_err(|source| IndexError::Io { path: self.lock_path(), source })??;
        drop(cache);
        self.changes.send_modify(|g| *g += 1);
        Ok(r)
    }

    fn lock_path(&self) -> PathBuf {
        self.path.with_file_name("tokens.lock")
    }

    /// Runs `f` while holding an exclusive OS lock on `tokens.lock` (released by the OS if this
    /// process dies, so a crash never leaves the index locked).
    fn with_file_lock<R>(&self, f: impl FnOnce() -> R) -> std::io::Result<R> {
        let file = crate::fsutil::open_private_file(&self.lock_path())?;
        file.lock()?;
        let r = f();
        // Closing the handle releases the lock anyway; an unlock error (Wine answers std's
        // second, defensive unlock with "lock violation") must not turn a done write into a failure.
        let _ = file.unlock();
        Ok(r)
    }

    fn reload_if_changed(&self, cache: &mut Cache) -> Result<(), IndexError> {
        let stamp = match std::fs::metadata(&self.path) {
            Ok(m) => FileStamp::of(&m),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                cache.index = IndexFile::default();
                cache.stamp = None;
                return Ok(());
            }
            Err(source) => {
                return Err(IndexError::Io { path: self.path.clone(), source });
            }
        };
        if cache.stamp.as_ref() == Some(&stamp) {
            return Ok(());
        }
        let bytes = std::fs::read(&self.path).map_err(|source| IndexError::Io { path: self.path.clone(), source })?;
        let mut fresh: IndexFile = serde_json::from_slice(&bytes)
            .map_err(|e| IndexError::Corrupt { path: self.path.clone(), msg: e.to_string() })?;
        // Keep in-memory last-use times newer than what is on disk.
        for r in fresh.tokens.iter_mut() {
            if let Some(old) = cache.index.tokens.iter().find(|o| o.id == r.id) {
                r.last_used_at = r.last_used_at.max(old.last_used_at);
            }
        }
        cache.index = fresh;
        cache.stamp = Some(stamp);
        Ok(())
    }
}

fn validate_label(label: &str) -> Result<String, IndexError> {
    let l = label.trim();
    if l.is_empty() {
        return Err(IndexError::InvalidLabel("must not be empty"));
    }
    if l.chars().count() > 64 {
        return Err(IndexError::InvalidLabel("at most 64 characters"));
    }
    if l.chars().any(char::is_control) {
        return Err(IndexError::InvalidLabel("no control characters"));
    }
    Ok(l.to_string())
}

/// Whether `id` has the shape of a token id (`tok_` and 12 lowercase hex digits).
pub fn is_token_id(id: &str) -> bool {
    id.strip_prefix("tok_")
        .is_some_and(|h| h.len() == 12 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// A random non-secret id with a prefix (`s_`, `tok_`).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore;

    #[test]
    fn create_authenticate_rotate_revoke() {
        let dir = tempfile::tempdir().unwrap();
        let idx = TokenIndex::open(dir.path(), keystore::mock()).unwrap();
        let issued = idx.create("Claude").unwrap();
        assert!(issued.stored_in_keyring);
        assert_eq!(idx.reveal(&issued.record.id).unwrap().as_deref(), Some(issued.token.expose()));
        let rec = idx.authenticate(&issued.token).unwrap();
        assert_eq!(rec.session_id, issued.record.session_id);

        // The file holds no plaintext.
        let raw = std::fs::read_to_string(dir.path().join("tokens.json")).unwrap();
        assert!(!raw.contains(issued.token.expose()));

        let rotated = idx.rotate(&issued.record.id).unwrap();
        assert_eq!(idx.authenticate(&issued.token), Err(TokenError::Unknown));
        assert_eq!(idx.authenticate(&rotated.token).unwrap().session_id, issued.record.session_id);
        assert_eq!(idx.reveal(&issued.record.id).unwrap().as_deref(), Some(rotated.token.expose()));

        idx.revoke(&issued.record.id).unwrap();
        assert_eq!(idx.authenticate(&rotated.token), Err(TokenError::Unknown));
        assert!(idx.list().unwrap().is_empty());
        assert!(matches!(idx.reveal(&issued.record.id), Err(IndexError::NotFound(_))));
    }

    #[cfg(unix)]
    #[test]
    fn index_file_and_dir_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("cfg");
        let idx = TokenIndex::open(&cfg, KeyStore::none()).unwrap();
        let issued = idx.create("x").unwrap();
        assert!(!issued.stored_in_keyring);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&cfg.join("tokens.json")), 0o600);
        assert_eq!(mode(&cfg), 0o700);
    }

    #[test]
    fn a_second_process_sees_changes() {
        let dir = tempfile::tempdir().unwrap();
        let a = TokenIndex::open(dir.path(), KeyStore::none()).unwrap();
        let b = TokenIndex::open(dir.path(), KeyStore::none()).unwrap();
        assert!(b.list().unwrap().is_empty());
        let issued = a.create("cli").unwrap();
        assert_eq!(b.authenticate(&issued.token).unwrap().id, issued.record.id);
        assert!(a.get(&issued.record.id).unwrap().last_used_at.is_none(), "nothing is written on the request path");
        assert!(b.has_unflushed_uses() && !a.has_unflushed_uses());
        b.flush_last_used();
        assert!(!b.has_unflushed_uses(), "flushed");
        assert!(a.get(&issued.record.id).unwrap().last_used_at.is_some(), "last use is persisted for other processes");
        a.revoke(&issued.record.id).unwrap();
        assert_eq!(b.authenticate(&issued.token), Err(TokenError::Unknown));
    }

    #[test]
    fn writers_with_their_own_index_never_lose_an_update() {
        // Each thread opens the index separately, as another process would: only the OS lock
        // on tokens.lock keeps their read-modify-write cycles apart.
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let setup = TokenIndex::open(dir.path(), KeyStore::none()).unwrap();
            let ids: Vec<String> = (0..16).map(|_| setup.create("x").unwrap().record.id).collect();
            let rotated: Vec<(String, Token)> = std::thread::scope(|s| {
                let handles: Vec<_> = ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| {
                        let path = dir.path().to_path_buf();
                        s.spawn(move || {
                            let idx = TokenIndex::open(&path, KeyStore::none()).unwrap();
                            if i % 2 == 0 {
                                idx.revoke(id).unwrap();
                                None
                            } else {
                                Some((id.clone(), idx.rotate(id).unwrap().token))
                            }
                        })
                    })
                    .collect();
                handles.into_iter().filter_map(|h| h.join().unwrap()).collect()
            });
            let check = TokenIndex::open(dir.path(), KeyStore::none()).unwrap();
            let listed: Vec<String> = check.list().unwrap().into_iter().map(|r| r.id).collect();
            assert_eq!(listed.len(), 8, "every revoke held: {listed:?}");
            for (id, token) in &rotated {
                assert_eq!(&check.authenticate(token).unwrap().id, id, "every rotation held");
            }
        }
    }

    #[test]
    fn bad_labels_and_unknown_ids_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let idx = TokenIndex::open(dir.path(), KeyStore::none()).unwrap();
        assert!(matches!(idx.create("  "), Err(IndexError::InvalidLabel(_))));
        assert!(matches!(idx.create("a\nb"), Err(IndexError::InvalidLabel(_))));
        assert!(matches!(idx.rotate("tok_nope"), Err(IndexError::NotFound(_))));
        assert!(idx.list().unwrap().is_empty(), "failed calls change nothing");
    }

    #[test]
    fn corrupt_index_is_reported_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tokens.json"), b"{not json").unwrap();
        assert!(matches!(TokenIndex::open(dir.path(), KeyStore::none()), Err(IndexError::Corrupt { .. })));
        assert_eq!(std::fs::read(dir.path().join("tokens.json")).unwrap(), b"{not json");
    }
}
