//! The owner's Unix domain socket: `<config dir>/agent.sock` (0600 in the 0700 dir), the peer's
//! uid checked with `SO_PEERCRED`/`getpeereid`; detaching a background agent with `setsid`.

use super::Conn;
use crate::owner::lock::OwnerLock;
use std::io;
use std::path::{Path, PathBuf};
use tokio::net::{UnixListener, UnixStream};

/// Where the owner of `dir` listens: `<dir>/agent.sock`, or, when that path is too long for a
/// Unix socket address, a name derived from `dir` in `$XDG_RUNTIME_DIR` (or a private 0700
/// folder under the temp dir).
pub fn address(dir: &Path) -> PathBuf {
    let direct = dir.join("agent.sock");
    if direct.as_os_str().len() < 100 {
        return direct;
    }
    let hash = super::dir_hash(dir);
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| std::env::temp_dir().join(format!("fast-mcp-telegram-{}", current_uid())));
    base.join(format!("fmt-{hash}.sock"))
}

/// This process's user id.
fn current_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// The owner's listening socket.
pub struct Listener {
    inner: UnixListener,
    path: PathBuf,
}

impl Listener {
    /// Binds the socket of `lock`'s dir (0600), replacing a stale socket file (only the lock
    /// holder may do that, so a live owner's socket is never taken away), and publishes it.
    pub fn bind(lock: &OwnerLock) -> io::Result<Listener> {
        let path = address(lock.dir());
        if let Some(parent) = path.parent()
            && parent != lock.dir()
        {
            crate::fsutil::ensure_private_dir(parent)?;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let inner = UnixListener::bind(&path)?;
        crate::fsutil::restrict_file(&path)?;
        lock.publish(|i| i.socket = Some(path.clone()))?;
        Ok(Listener { inner, path })
    }

    /// The next connection of a process of this user. A peer of another user is refused
    /// (`PermissionDenied`; the connection is closed).
    pub async fn accept(&mut self) -> io::Result<Conn> {
        let (stream, _) = self.inner.accept().await?;
        let cred = stream.peer_cred()?;
        if cred.uid() != current_uid() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("refused a connection from another user (uid {})", cred.uid()),
            ));
        }
        Ok(Conn::split(stream))
    }

    /// Stops listening and removes the socket file.
    pub fn close(self) {
        drop(self.inner);
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Connects to the owner of `dir` (`NotFound`/`ConnectionRefused` when none listens).
pub async fn connect(dir: &Path) -> io::Result<Conn> {
    Ok(Conn::split(UnixStream::connect(address(dir)).await?))
}

/// Whether process `pid` exists.
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    // SAFETY: signal 0 checks for existence and permission only; nothing is delivered.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Starts `cmd` in its own session, away from the caller's terminal and its signals.
pub fn spawn_detached(cmd: &mut std::process::Command) -> io::Result<std::process::Child> {
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(cmd, || {
            libc::setsid();
            Ok(())
        });
    }
    cmd.spawn()
}
