//! The owner lock: an exclusive OS lock on `<config dir>/agent.lock` that makes one process the
//! owner of a config dir, and `agent.json`, which tells other processes who that owner is.
//!
//! The lock is `flock`-style (`File::try_lock`): the OS drops it when the process dies, so a
//! `kill -9` never leaves a stale owner. `agent.json` is only informative (pid, kind, port,
//! socket); whether an owner is alive is decided by the lock or by a socket that answers.

use crate::fsutil::{open_private_file, write_private_atomic};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What kind of process owns the config dir.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnerKind {
    /// The desktop tray app.
    Tray,
    /// `fast-mcp-telegram serve --transport http`.
    Http,
    /// `fast-mcp-telegram agent` (started by hand or by a stdio client).
    Agent,
    /// A CLI command that found no owner and holds the lock for its own length.
    Cli,
}

impl OwnerKind {
    /// Whether an owner of this kind steps aside for `newcomer` (a background agent yields
    /// to the tray app or the HTTP server; nothing else yields).
    pub fn yields_to(self, newcomer: OwnerKind) -> bool {
        self == OwnerKind::Agent && matches!(newcomer, OwnerKind::Tray | OwnerKind::Http)
    }
}

/// What an owner publishes about itself in `agent.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerInfo {
    /// Process id.
    pub pid: u32,
    /// Kind of owner.
    pub kind: OwnerKind,
    /// Version of the owning binary.
    pub version: String,
    /// `ip:port` of its HTTP server, if it runs one.
    #[serde(default)]
    pub http: Option<String>,
    /// Path of its local socket, if it listens on one.
    #[serde(default)]
    pub socket: Option<PathBuf>,
    /// Start time, Unix seconds.
    pub started_at: i64,
}

impl OwnerInfo {
    /// Info for this process.
    pub fn this_process(kind: OwnerKind) -> Self {
        OwnerInfo {
            pid: std::process::id(),
            kind,
            version: env!("CARGO_PKG_VERSION").into(),
            http: None,
            socket: None,
            started_at: crate::clock::now(),
        }
    }

    /// "the tray app (pid 123, http 127.0.0.1:8000)".
    pub fn describe(&self) -> String {
        let what = match self.kind {
            OwnerKind::Tray => "the tray app",
            OwnerKind::Http => "an HTTP server (`serve --transport http`)",
            OwnerKind::Agent => "a background agent",
            OwnerKind::Cli => "a fast-mcp-telegram command",
        };
        match &self.http {
            Some(h) => format!("{what} (pid {}, http {h})", self.pid),
            None => format!("{what} (pid {})", self.pid),
        }
    }
}

/// Failures to become the owner.
#[derive(Debug, thiserror::Error)]
pub enum OwnerError {
    /// Another process owns the config dir.
    #[error("{} already owns {dir}; stop it first, or use it (its clients connect automatically)", .owner.as_ref().map(|o| o.describe()).unwrap_or_else(|| "another process".into()))]
    AlreadyOwned {
        /// The config dir.
        dir: PathBuf,
        /// What the owner published about itself, if readable (boxed: errors stay small).
        owner: Option<Box<OwnerInfo>>,
    },
    /// The lock or info file could not be used.
    #[error("owner lock in {dir}: {source}")]
    Io {
        /// The config dir.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Held while this process owns the config dir; dropping it gives ownership up.
#[derive(Debug)]
pub struct OwnerLock {
    file: File,
    dir: PathBuf,
    info: std::sync::Mutex<OwnerInfo>,
}

/// `<config dir>/agent.lock`.
pub fn lock_path(dir: &Path) -> PathBuf {
    dir.join("agent.lock")
}

/// `<config dir>/agent.json`.
pub fn info_path(dir: &Path) -> PathBuf {
    dir.join("agent.json")
}

/// What the current (or last) owner published, if anything.
pub fn read_info(dir: &Path) -> Option<OwnerInfo> {
    std::fs::read(info_path(dir)).ok().and_then(|b| serde_json::from_slice(&b).ok())
}

impl OwnerLock {
    /// Becomes the owner of `dir` if nobody is, and publishes `agent.json`.
    pub fn try_acquire(dir: &Path, kind: OwnerKind) -> Result<OwnerLock, OwnerError> {
        let io = |source| OwnerError::Io { dir: dir.to_path_buf(), source };
        crate::fsutil::ensure_private_dir(dir).map_err(io)?;
        let file = open_private_file(&lock_path(dir)).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(OwnerError::AlreadyOwned { dir: dir.to_path_buf(), owner: read_info(dir).map(Box::new) });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let lock =
            OwnerLock { file, dir: dir.to_path_buf(), info: std::sync::Mutex::new(OwnerInfo::this_process(kind)) };
        lock.write_info().map_err(io)?;
        Ok(lock)
    }

    /// Like [`OwnerLock::try_acquire`], but waits up to `wait` for a short-lived holder (a CLI
    /// command, an owner that is shutting down) and asks a background agent to step aside when
    /// `kind` outranks it ([`OwnerKind::yields_to`]).
    pub async fn acquire(dir: &Path, kind: OwnerKind, wait: Duration) -> Result<OwnerLock, OwnerError> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut asked: Option<u32> = None;
        loop {
            match OwnerLock::try_acquire(dir, kind) {
                Ok(lock) => return Ok(lock),
                Err(OwnerError::AlreadyOwned { dir: d, owner }) => {
                    let waitable = match &owner {
                        Some(o) if o.kind.yields_to(kind) => {
                            if asked != Some(o.pid) {
                                tracing::info!(pid = o.pid, "asking the background agent to hand over");
                                let _ = super::client::request_shutdown(dir).await;
                                asked = Some(o.pid);
                            }
                            true
                        }
                        Some(o) => o.kind == OwnerKind::Cli,
                        // Locked but not published yet: an owner that is starting.
                        None => true,
                    };
                    if !waitable || tokio::time::Instant::now() >= deadline {
                        return Err(OwnerError::AlreadyOwned { dir: d, owner });
                    }
                }
                Err(e) => return Err(e),
            }
            // Bounded polling of an OS lock (there is no lock-with-timeout call).
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Updates the published info (e.g. once the HTTP port or the socket is known).
    pub fn publish(&self, update: impl FnOnce(&mut OwnerInfo)) -> std::io::Result<()> {
        update(&mut self.info.lock().unwrap_or_else(|p| p.into_inner()));
        self.write_info()
    }

    /// What this owner publishes.
    pub fn info(&self) -> OwnerInfo {
        self.info.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The config dir owned.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn write_info(&self) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(&self.info()).expect("info serializes");
        write_private_atomic(&info_path(&self.dir), &bytes)
    }
}

impl Drop for OwnerLock {
    fn drop(&mut self) {
        // Remove our info while still holding the lock, so nobody reads a stale owner.
        if read_info(&self.dir).is_some_and(|i| i.pid == std::process::id()) {
            let _ = std::fs::remove_file(info_path(&self.dir));
        }
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_owner_is_refused_with_the_first_named() {
        let dir = tempfile::tempdir().unwrap();
        let first = OwnerLock::try_acquire(dir.path(), OwnerKind::Agent).unwrap();
        first.publish(|i| i.http = Some("127.0.0.1:8123".into())).unwrap();
        let err = OwnerLock::try_acquire(dir.path(), OwnerKind::Http).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&format!("pid {}", std::process::id())), "{msg}");
        assert!(msg.contains("127.0.0.1:8123"), "{msg}");
        drop(first);
        assert!(read_info(dir.path()).is_none(), "info is removed with the lock");
        OwnerLock::try_acquire(dir.path(), OwnerKind::Http).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn lock_and_info_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let _l = OwnerLock::try_acquire(dir.path(), OwnerKind::Cli).unwrap();
        for p in [lock_path(dir.path()), info_path(dir.path())] {
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600, "{}", p.display());
        }
    }

    #[test]
    fn only_a_background_agent_steps_aside() {
        assert!(OwnerKind::Agent.yields_to(OwnerKind::Tray));
        assert!(OwnerKind::Agent.yields_to(OwnerKind::Http));
        assert!(!OwnerKind::Agent.yields_to(OwnerKind::Agent));
        assert!(!OwnerKind::Tray.yields_to(OwnerKind::Http));
        assert!(!OwnerKind::Http.yields_to(OwnerKind::Tray));
    }
}
