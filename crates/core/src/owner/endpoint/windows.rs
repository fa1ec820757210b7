//! The owner's named pipe on Windows: `\\.\pipe\fast-mcp-telegram-<hash of the config dir>`,
//! created with an access list that admits only the current user and refuses remote clients.
//! Each end checks the other's user: the owner the connecting process's, the client the
//! pipe server's (so a process of another user that took the pipe name first is never
//! trusted with a token).

use super::Conn;
use crate::owner::lock::OwnerLock;
use crate::winsec::{SecurityDescriptor, current_user_sid, process_user_sid};
use std::io;
use std::os::windows::io::AsRawHandle;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::windows::named_pipe::{ClientOptions, NamedPipeServer, PipeMode, ServerOptions};
use windows_sys::Win32::Foundation::ERROR_PIPE_BUSY;
use windows_sys::Win32::Security::SECURITY_ATTRIBUTES;
use windows_sys::Win32::System::Pipes::{GetNamedPipeClientProcessId, GetNamedPipeServerProcessId};

/// The pipe name of the owner of `dir`.
pub fn address(dir: &Path) -> PathBuf {
    let hash = super::dir_hash(dir);
    PathBuf::from(format!(r"\\.\pipe\fast-mcp-telegram-{hash}"))
}

/// The owner's pipe: one instance always waits for the next client.
pub struct Listener {
    name: PathBuf,
    access: SecurityDescriptor,
    next: NamedPipeServer,
}

/// Creates one instance of the pipe `name`, open to the current user only.
fn instance(name: &Path, access: &SecurityDescriptor, first: bool) -> io::Result<NamedPipeServer> {
    let mut attrs = access.attributes();
    // SAFETY: `attrs` points at a valid descriptor (`access`) for the length of the call.
    unsafe {
        ServerOptions::new()
            .first_pipe_instance(first)
            .reject_remote_clients(true)
            .pipe_mode(PipeMode::Byte)
            .create_with_security_attributes_raw(name, (&mut attrs as *mut SECURITY_ATTRIBUTES).cast())
    }
}

/// The process id at the other end of a pipe handle.
fn pipe_peer_pid(handle: std::os::windows::io::RawHandle, server_side: bool) -> io::Result<u32> {
    let mut pid = 0u32;
    // SAFETY: `handle` is a live pipe handle owned by the caller; `pid` is a local.
    let ok = unsafe {
        if server_side {
            GetNamedPipeClientProcessId(handle, &mut pid)
        } else {
            GetNamedPipeServerProcessId(handle, &mut pid)
        }
    };
    if ok == 0 { Err(io::Error::last_os_error()) } else { Ok(pid) }
}

/// Refuses a peer process that does not run as the current user.
fn check_same_user(pid: u32, what: &str) -> io::Result<()> {
    let me = current_user_sid()?;
    match process_user_sid(pid) {
        Ok(sid) if sid == me => Ok(()),
        Ok(sid) => Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("the {what} (pid {pid}) runs as another user ({sid})"),
        )),
        Err(e) => Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("cannot tell which user the {what} (pid {pid}) runs as: {e}"),
        )),
    }
}

impl Listener {
    /// Creates the pipe of `lock`'s dir and publishes its name. Fails if any process already
    /// serves that name (the first instance is exclusive).
    pub fn bind(lock: &OwnerLock) -> io::Result<Listener> {
        let name = address(lock.dir());
        let access = SecurityDescriptor::owner_only(false)?;
        let next = instance(&name, &access, true).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create the owner pipe {} (is another process using it?): {e}", name.display()),
            )
        })?;
        lock.publish(|i| i.socket = Some(name.clone()))?;
        Ok(Listener { name, access, next })
    }

    /// The next connection of a process of this user; a process of another user is refused
    /// (`PermissionDenied`; the connection is closed). Cancel safe: the waiting instance stays.
    pub async fn accept(&mut self) -> io::Result<Conn> {
        self.next.connect().await?;
        let fresh = instance(&self.name, &self.access, false)?;
        let connected = std::mem::replace(&mut self.next, fresh);
        let pid = pipe_peer_pid(connected.as_raw_handle(), true)?;
        check_same_user(pid, "connecting process")?;
        Ok(Conn::split(connected))
    }

    /// Stops listening (the pipe disappears with its last instance).
    pub fn close(self) {}
}

/// Connects to the owner of `dir` (`NotFound` when none listens).
pub async fn connect(dir: &Path) -> io::Result<Conn> {
    let name = address(dir);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    let client = loop {
        match ClientOptions::new().open(&name) {
            Ok(c) => break c,
            // Every instance is taken for a moment (the owner creates the next one right
            // after a connect): bounded polling, as the pipe API offers no wait here.
            Err(e) if e.raw_os_error() == Some(ERROR_PIPE_BUSY as i32) && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err(e) => return Err(e),
        }
    };
    let pid = pipe_peer_pid(client.as_raw_handle(), false)?;
    check_same_user(pid, "process serving the owner pipe")?;
    Ok(Conn::split(client))
}

pub use crate::winsec::process_alive;

/// `DETACHED_PROCESS`: no console.
const DETACHED_PROCESS: u32 = 0x0000_0008;
/// `CREATE_NEW_PROCESS_GROUP`: Ctrl+C in the caller's console does not reach it.
const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
/// `CREATE_BREAKAWAY_FROM_JOB`: outlives the job object an AI client may run its servers in.
const CREATE_BREAKAWAY_FROM_JOB: u32 = 0x0100_0000;

/// Starts `cmd` with no console, in its own process group and, where the caller's job
/// allows it, outside that job, so closing the AI client that started it does not kill it.
pub fn spawn_detached(cmd: &mut std::process::Command) -> io::Result<std::process::Child> {
    use std::os::windows::process::CommandExt;
    let base = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP;
    cmd.creation_flags(base | CREATE_BREAKAWAY_FROM_JOB);
    match cmd.spawn() {
        // A job that forbids breaking away refuses the flag: stay in it.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            cmd.creation_flags(base);
            cmd.spawn()
        }
        other => other,
    }
}
