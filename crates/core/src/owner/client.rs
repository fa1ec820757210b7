//! Clients of the owner socket: connecting (and starting a background agent when no owner
//! runs), control calls for the CLI, and asking an agent to hand over.

use super::endpoint::{self, Reader, Writer};
use super::lock::{OwnerInfo, read_info};
use super::protocol::{ControlReply, ControlRequest, Hello, HelloReply, PROTOCOL_VERSION, Purpose, WireError};
use super::server::{read_line, write_line};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::BufReader;

/// Why a connection to the owner failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Nothing answers on the owner socket.
    #[error("no fast-mcp-telegram owner is running for this config dir")]
    NoOwner,
    /// The owner answered and refused (e.g. a revoked token).
    #[error("{0}")]
    Refused(WireError),
    /// A background agent was started but never answered.
    #[error("the background agent did not start within {seconds} s{}", log_hint(.log_tail))]
    StartFailed {
        /// How long we waited.
        seconds: u64,
        /// The end of the agent's log, if any.
        log_tail: String,
    },
    /// The socket broke during the handshake.
    #[error("owner socket: {0}")]
    Io(#[from] std::io::Error),
}

fn log_hint(tail: &str) -> String {
    if tail.trim().is_empty() { String::new() } else { format!("; its log ends with:\n{tail}") }
}

/// An open, accepted connection to the owner.
pub struct OwnerConnection {
    /// Reading half (after the hello).
    pub reader: BufReader<Reader>,
    /// Writing half.
    pub writer: Writer,
    /// Who answered.
    pub owner: OwnerInfo,
}

/// Connects to the owner of `dir` for `purpose`; [`ConnectError::NoOwner`] if nothing listens.
pub async fn connect(dir: &Path, purpose: Purpose) -> Result<OwnerConnection, ConnectError> {
    let conn = match endpoint::connect(dir).await {
        Ok(c) => c,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused) => {
            return Err(ConnectError::NoOwner);
        }
        Err(e) => return Err(e.into()),
    };
    let mut writer = conn.writer;
    let mut reader = BufReader::new(conn.reader);
    let hello = Hello {
        protocol: PROTOCOL_VERSION,
        client_version: env!("CARGO_PKG_VERSION").into(),
        purpose,
        cwd: std::env::current_dir().ok(),
    };
    // An owner that is shutting down may close before answering: treat that as "no owner".
    let answered = async {
        write_line(&mut writer, &serde_json::to_string(&hello).expect("hello serializes")).await?;
        read_line(&mut reader).await
    };
    let line = match tokio::time::timeout(Duration::from_secs(15), answered).await {
        Ok(Ok(Some(l))) => l,
        Ok(Ok(None)) | Ok(Err(_)) => return Err(ConnectError::NoOwner),
        Err(_) => {
            return Err(ConnectError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the owner did not answer the hello",
            )));
        }
    };
    let reply: HelloReply = serde_json::from_str(&line)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("bad hello reply: {e}")))?;
    match reply.error {
        Some(e) => Err(ConnectError::Refused(e)),
        None => Ok(OwnerConnection { reader, writer, owner: reply.owner }),
    }
}

/// Connects to the owner of `dir`, starting `exe agent --background` if none runs, and waits
/// up to `wait` for it (retrying when another process held the lock for a moment).
pub async fn connect_or_start(
    dir: &Path,
    purpose: Purpose,
    exe: &Path,
    wait: Duration,
) -> Result<OwnerConnection, ConnectError> {
    match connect(dir, purpose.clone()).await {
        Err(ConnectError::NoOwner) => {}
        other => return other,
    }
    let deadline = tokio::time::Instant::now() + wait;
    let mut child = spawn_agent(exe, dir)?;
    let mut starts = 1;
    loop {
        match connect(dir, purpose.clone()).await {
            Err(ConnectError::NoOwner) => {}
            other => return other,
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ConnectError::StartFailed { seconds: wait.as_secs(), log_tail: agent_log_tail(dir) });
        }
        // The agent we started may have given up on the lock while its holder was going away (a
        // CLI command finishing, an owner killed with SIGKILL that took a while to die): once
        // no live process holds it, start another. A few times at most, so an agent that
        // cannot start is reported instead of being restarted in a loop.
        if starts < MAX_AGENT_STARTS
            && let Ok(Some(_)) = child.try_wait()
            && !read_info(dir)
                .is_some_and(|owner| owner.kind != super::lock::OwnerKind::Cli && endpoint::process_alive(owner.pid))
        {
            child = spawn_agent(exe, dir)?;
            starts += 1;
        }
        // Bounded polling for a process we do not control (there is nothing to wait on).
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// How many background agents one [`connect_or_start`] starts at most.
const MAX_AGENT_STARTS: u32 = 8;

/// `<dir>/agent.log`: where a background agent writes its log.
pub fn agent_log_path(dir: &Path) -> PathBuf {
    dir.join("agent.log")
}

/// The last lines of the agent's log.
fn agent_log_tail(dir: &Path) -> String {
    let text = std::fs::read_to_string(agent_log_path(dir)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(8)..].join("\n")
}

/// Starts `exe agent --background` detached from this process (own session or process group,
/// no terminal, log in `<dir>/agent.log`). The child is reaped by a thread so it never lingers as a zombie.
pub fn spawn_agent(exe: &Path, dir: &Path) -> std::io::Result<SpawnedAgent> {
    crate::fsutil::ensure_private_dir(dir)?;
    let log_path = agent_log_path(dir);
    // Keep the log bounded: start afresh when it grew past 4 MiB.
    if std::fs::metadata(&log_path).is_ok_and(|m| m.len() > 4 * 1024 * 1024) {
        let _ = std::fs::remove_file(&log_path);
    }
    let log = crate::fsutil::open_private_append(&log_path)?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("agent").arg("--background").env("SESSION_DIR", dir);
    cmd.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null()).stderr(log);
    let child = endpoint::spawn_detached(&mut cmd)?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut child = child;
        let status = child.wait().ok();
        let _ = tx.send(status);
    });
    Ok(SpawnedAgent { exited: rx, done: false })
}

/// A background agent this process started.
pub struct SpawnedAgent {
    exited: std::sync::mpsc::Receiver<Option<std::process::ExitStatus>>,
    done: bool,
}

impl SpawnedAgent {
    /// `Some` once the agent has exited.
    pub fn try_wait(&mut self) -> std::io::Result<Option<()>> {
        if self.done || self.exited.try_recv().is_ok() {
            self.done = true;
            return Ok(Some(()));
        }
        Ok(None)
    }
}

/// A control connection to the owner (for the CLI).
pub struct ControlClient {
    conn: OwnerConnection,
}

impl ControlClient {
    /// Connects to the running owner of `dir`, or `None` when no owner runs.
    /// An owner that holds the lock but is still starting (its socket not bound yet) is waited
    /// for, up to [`STARTING_OWNER_WAIT`], so a command run right after `agent --background`
    /// finds it.
    pub async fn connect(dir: &Path) -> Result<Option<ControlClient>, ConnectError> {
        let deadline = tokio::time::Instant::now() + STARTING_OWNER_WAIT;
        loop {
            match connect(dir, Purpose::Control).await {
                Ok(conn) => return Ok(Some(ControlClient { conn })),
                Err(ConnectError::NoOwner) if owner_starting(dir) && tokio::time::Instant::now() < deadline => {
                    // Bounded polling: the socket appears once the owner has opened its state.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(ConnectError::NoOwner) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }

    /// Who answered.
    pub fn owner(&self) -> &OwnerInfo {
        &self.conn.owner
    }

    /// Runs one command on the owner.
    pub async fn call(&mut self, command: &str, args: Value) -> Result<Value, WireError> {
        self.send(command, args).await?;
        self.reply().await
    }

    async fn send(&mut self, command: &str, args: Value) -> Result<(), WireError> {
        let req = ControlRequest { command: command.into(), args };
        write_line(&mut self.conn.writer, &serde_json::to_string(&req).expect("request serializes")).await.map_err(lost)
    }

    async fn reply(&mut self) -> Result<Value, WireError> {
        let line = read_line(&mut self.conn.reader)
            .await
            .map_err(lost)?
            .ok_or_else(|| WireError::new("owner_gone", "the owner process closed the connection"))?;
        match serde_json::from_str::<ControlReply>(&line) {
            Ok(ControlReply::Ok(v)) => Ok(v),
            Ok(ControlReply::Error(e)) => Err(e),
            Err(e) => Err(WireError::new("internal", format!("bad reply from the owner: {e}"))),
        }
    }

    /// Turns this connection into the owner's change stream (for a window in another process).
    pub async fn watch_changes(mut self) -> Result<ChangeStream, WireError> {
        self.send(super::server::WATCH_CHANGES, Value::Null).await?;
        Ok(ChangeStream(self))
    }
}

fn lost(e: std::io::Error) -> WireError {
    WireError::new("owner_gone", format!("the owner process closed the connection: {e}"))
}

/// What changes in the owner, as it happens ([`ControlClient::watch_changes`]).
pub struct ChangeStream(ControlClient);

impl ChangeStream {
    /// The next change (the first answer, at once, has every topic); `owner_gone` once the owner
    /// has stopped.
    pub async fn next(&mut self) -> Result<crate::changes::Changed, WireError> {
        let v = self.0.reply().await?;
        serde_json::from_value(v).map_err(|e| WireError::new("internal", format!("bad change from the owner: {e}")))
    }
}

/// How long a control command waits for an owner that is starting.
pub const STARTING_OWNER_WAIT: Duration = Duration::from_secs(10);

/// Whether a live process published itself as the owner of `dir` (agent, HTTP server or tray)
/// but has no socket yet: it is starting.
fn owner_starting(dir: &Path) -> bool {
    let Some(info) = super::lock::read_info(dir) else { return false };
    info.socket.is_none() && info.kind != super::lock::OwnerKind::Cli && endpoint::process_alive(info.pid)
}

/// Asks the owner of `dir` to stop (only a background agent agrees) and waits until it closed.
pub async fn request_shutdown(dir: &Path) -> Result<(), WireError> {
    let Some(mut client) =
        ControlClient::connect(dir).await.map_err(|e| WireError::new("owner_gone", e.to_string()))?
    else {
        return Ok(());
    };
    client.call("owner_shutdown", Value::Null).await?;
    // The owner closes every connection once it has stopped accepting.
    let _ = tokio::time::timeout(Duration::from_secs(10), read_line(&mut client.conn.reader)).await;
    Ok(())
}
