//! `serve --transport stdio` as a thin client: relays MCP JSON-RPC lines between stdin/stdout
//! and the owner's socket, so no stdio process ever opens a session file.
//!
//! The shim survives the owner going away (a crash, a hand-over from a background agent to
//! the tray app): calls in flight are answered with a retryable error, a new owner is found
//! or started, and the client's `initialize` is replayed to it, so the AI client never has to
//! restart. When the owner refuses the token (revoked), every later request gets a clear error.

use super::client::{ConnectError, OwnerConnection, connect_or_start};
use super::protocol::{Purpose, WireError};
use super::server::{read_line, write_line};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWrite};

/// JSON-RPC id used when replaying `initialize` to a new owner.
const REPLAY_ID: &str = "fast-mcp-telegram-shim-reinitialize";

/// A connection to the owner after the handshake: lines from the owner arrive on a channel
/// (read by their own task, so waiting for stdin never cuts a line in half).
struct Link {
    writer: super::endpoint::Writer,
    lines: tokio::sync::mpsc::Receiver<String>,
}

impl Link {
    fn new(conn: OwnerConnection) -> Link {
        let (tx, lines) = tokio::sync::mpsc::channel(64);
        let mut reader = conn.reader;
        tokio::spawn(async move {
            while let Ok(Some(line)) = read_line(&mut reader).await {
                if tx.send(line).await.is_err() {
                    break;
                }
            }
        });
        Link { writer: conn.writer, lines }
    }
}

/// The relay between one stdio client and the owner.
pub struct Shim {
    dir: PathBuf,
    exe: PathBuf,
    purpose: Purpose,
    start_wait: Duration,
    /// The client's `initialize` request and `initialized` notification, replayed on reconnect.
    init_request: Option<Value>,
    initialized: Option<String>,
    /// Ids (as JSON text) of the client's requests the owner has not answered yet.
    pending: HashSet<String>,
    /// Set when the owner refused this client for good (e.g. its token was revoked).
    refusal: Option<WireError>,
}

impl Shim {
    /// A relay for the owner of `dir`, starting `exe agent --background` when none runs.
    pub fn new(dir: &Path, exe: &Path, purpose: Purpose, start_wait: Duration) -> Self {
        Shim {
            dir: dir.to_path_buf(),
            exe: exe.to_path_buf(),
            purpose,
            start_wait,
            init_request: None,
            initialized: None,
            pending: HashSet::new(),
            refusal: None,
        }
    }

    /// Relays until stdin closes. Fails only when the first connection cannot be made.
    pub async fn run(mut self) -> Result<(), ConnectError> {
        let mut conn =
            Some(Link::new(connect_or_start(&self.dir, self.purpose.clone(), &self.exe, self.start_wait).await?));
        let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        let mut stdout = tokio::io::stdout();
        loop {
            tokio::select! {
                line = stdin.next_line() => {
                    let Ok(Some(line)) = line else { break };
                    if line.trim().is_empty() {
                        continue;
                    }
                    self.relay_client_line(&line, &mut conn, &mut stdout).await;
                }
                line = next_owner_line(&mut conn) => match line {
                    Some(line) => {
                        if let Some(id) = response_id(&line) {
                            self.pending.remove(&id);
                        }
                        if write_line(&mut stdout, &line).await.is_err() {
                            break;
                        }
                    }
                    None => {
                        drop(conn.take());
                        self.owner_lost(&mut stdout).await;
                        conn = self.reconnect().await;
                    }
                },
            }
        }
        Ok(())
    }

    async fn relay_client_line(&mut self, line: &str, conn: &mut Option<Link>, out: &mut (impl AsyncWrite + Unpin)) {
        let msg: Option<Value> = serde_json::from_str(line).ok();
        let method = msg.as_ref().and_then(|m| m.get("method")).and_then(Value::as_str).map(str::to_string);
        let request_id = msg.as_ref().filter(|_| method.is_some()).and_then(|m| m.get("id")).map(|id| id.to_string());
        match method.as_deref() {
            Some("initialize") => self.init_request = msg.clone(),
            Some("notifications/initialized") => self.initialized = Some(line.to_string()),
            _ => {}
        }
        if conn.is_none() && self.refusal.is_none() {
            *conn = self.reconnect().await;
        }
        if let Some(refusal) = &self.refusal {
            if let Some(id) = &request_id {
                let _ = write_line(out, &error_response(id, &refusal.message)).await;
            }
            return;
        }
        let Some(c) = conn.as_mut() else {
            if let Some(id) = &request_id {
                let _ = write_line(
                    out,
                    &error_response(id, "cannot reach the fast-mcp-telegram owner process; retry shortly"),
                )
                .await;
            }
            return;
        };
        if let Some(id) = request_id.clone() {
            self.pending.insert(id);
        }
        if write_line(&mut c.writer, line).await.is_err() {
            *conn = None;
            self.owner_lost(out).await;
            *conn = self.reconnect().await;
        }
    }

    /// Answers every call in flight with a retryable error.
    async fn owner_lost(&mut self, out: &mut (impl AsyncWrite + Unpin)) {
        for id in std::mem::take(&mut self.pending) {
            let _ = write_line(
                out,
                &error_response(&id, "the fast-mcp-telegram owner process went away during this call; retry it"),
            )
            .await;
        }
    }

    /// Finds or starts an owner again and replays the MCP handshake; `None` when it fails
    /// (a refusal is remembered and answers every later request).
    async fn reconnect(&mut self) -> Option<Link> {
        let mut conn = match connect_or_start(&self.dir, self.purpose.clone(), &self.exe, self.start_wait).await {
            Ok(c) => c,
            Err(ConnectError::Refused(e)) => {
                eprintln!("fast-mcp-telegram: the owner refused this client: {}", e.message);
                self.refusal = Some(e);
                return None;
            }
            Err(e) => {
                eprintln!("fast-mcp-telegram: cannot reach the owner: {e}");
                return None;
            }
        };
        if let Some(init) = &self.init_request {
            let mut replay = init.clone();
            replay["id"] = json!(REPLAY_ID);
            if write_line(&mut conn.writer, &replay.to_string()).await.is_err() {
                return None;
            }
            let answered = async {
                loop {
                    let line = read_line(&mut conn.reader).await.ok().flatten()?;
                    if response_id(&line).as_deref() == Some(&json!(REPLAY_ID).to_string()) {
                        return Some(());
                    }
                }
            };
            tokio::time::timeout(Duration::from_secs(30), answered).await.ok().flatten()?;
            if let Some(note) = &self.initialized
                && write_line(&mut conn.writer, note).await.is_err()
            {
                return None;
            }
        }
        Some(Link::new(conn))
    }
}

/// The next line from the owner, or `None` when it closed (never resolves without a connection).
async fn next_owner_line(conn: &mut Option<Link>) -> Option<String> {
    match conn {
        Some(c) => c.lines.recv().await,
        None => std::future::pending().await,
    }
}

/// The id (as JSON text) of a JSON-RPC response line (a line with an id and no method). Reads
/// only those two members: the rest (a `tools/list` result is 140 KB) is skipped, not built.
fn response_id(line: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        id: Option<Value>,
        #[serde(default)]
        method: Option<serde::de::IgnoredAny>,
    }
    let head: Head = serde_json::from_str(line).ok()?;
    match head.method {
        Some(_) => None,
        None => head.id.map(|id| id.to_string()),
    }
}

/// A JSON-RPC error response for the request with id `id` (JSON text).
fn error_response(id: &str, message: &str) -> String {
    let id: Value = serde_json::from_str(id).unwrap_or(Value::Null);
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": -32603, "message": message } }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_are_told_from_requests_and_notifications() {
        assert_eq!(response_id(r#"{"jsonrpc":"2.0","id":7,"result":{}}"#).as_deref(), Some("7"));
        assert_eq!(response_id(r#"{"jsonrpc":"2.0","id":"a","error":{}}"#).as_deref(), Some("\"a\""));
        assert_eq!(response_id(r#"{"jsonrpc":"2.0","id":3,"method":"roots/list"}"#), None);
        assert_eq!(response_id(r#"{"jsonrpc":"2.0","method":"notifications/progress"}"#), None);
    }

    #[test]
    fn error_responses_keep_the_request_id() {
        let v: Value = serde_json::from_str(&error_response("\"abc\"", "gone")).unwrap();
        assert_eq!(v["id"], "abc");
        assert_eq!(v["error"]["message"], "gone");
        let v: Value = serde_json::from_str(&error_response("12", "gone")).unwrap();
        assert_eq!(v["id"], 12);
    }
}
