//! The window process's way to the tray app: control connections over the owner socket (a few
//! kept open, so the page's calls run side by side), the change stream, and starting the tray app
//! when none runs.

use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use tgmcp_core::owner::OwnerKind;
use tgmcp_core::owner::client::{ChangeStream, ControlClient};
use tgmcp_core::owner::protocol::WireError;

/// How long a window started without its tray app waits for the one it starts.
const TRAY_START_WAIT: Duration = Duration::from_secs(30);

/// Idle connections kept for the next calls.
const KEEP_IDLE: usize = 4;

/// The tray app that owns the config dir.
pub struct Owner {
    dir: PathBuf,
    idle: Mutex<Vec<ControlClient>>,
}

impl Owner {
    /// Reaches the tray app of `dir`, starting it (`fast-mcp-telegram-tray --no-window`, beside
    /// this binary) when none runs or a background agent has the dir (it hands over to the tray
    /// app). Another owner (an HTTP server) is an error naming it.
    pub async fn reach(dir: PathBuf) -> Result<Owner, String> {
        let owner = Owner { dir, idle: Mutex::new(Vec::new()) };
        match owner.connect().await {
            Ok(c) => {
                owner.keep(c);
                return Ok(owner);
            }
            Err(Reach::NotTray(kind)) if kind != OwnerKind::Agent => {
                return Err(format!(
                    "the config dir {} is owned by {kind:?}, not the tray app: quit it first, or use its /setup page",
                    owner.dir.display()
                ));
            }
            Err(Reach::Failed(e)) => return Err(e),
            Err(_) => {}
        }
        start_tray(&owner.dir)?;
        let deadline = tokio::time::Instant::now() + TRAY_START_WAIT;
        loop {
            match owner.connect().await {
                Ok(c) => {
                    owner.keep(c);
                    return Ok(owner);
                }
                Err(Reach::Failed(e)) => return Err(e),
                Err(_) if tokio::time::Instant::now() < deadline => {
                    // Bounded polling for a process we started but cannot wait on.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(_) => {
                    return Err(format!("the tray app did not start within {} s", TRAY_START_WAIT.as_secs()));
                }
            }
        }
    }

    /// A new control connection to the tray app.
    async fn connect(&self) -> Result<ControlClient, Reach> {
        match ControlClient::connect(&self.dir).await {
            Ok(Some(c)) if c.owner().kind == OwnerKind::Tray => Ok(c),
            Ok(Some(c)) => Err(Reach::NotTray(c.owner().kind)),
            Ok(None) => Err(Reach::None),
            Err(e) => Err(Reach::Failed(e.to_string())),
        }
    }

    fn keep(&self, c: ControlClient) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < KEEP_IDLE {
            idle.push(c);
        }
    }

    /// Runs `command` on the tray app; an error in the page's `{"error": {…}}` shape.
    pub async fn call(&self, command: &str, args: Value) -> Result<Value, Value> {
        let kept = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut c = match kept {
            Some(c) => c,
            None => self.connect().await.map_err(|_| page_error(&gone()))?,
        };
        match c.call(command, args).await {
            Ok(v) => {
                self.keep(c);
                Ok(v)
            }
            Err(e) if e.code == "owner_gone" => Err(page_error(&e)),
            Err(e) => {
                self.keep(c);
                Err(page_error(&e))
            }
        }
    }

    /// The owner's change stream (its first answer, at once, has every topic).
    pub async fn changes(&self) -> Result<ChangeStream, WireError> {
        let c = self.connect().await.map_err(|_| gone())?;
        c.watch_changes().await
    }
}

/// Why a connection is not to the tray app.
enum Reach {
    None,
    NotTray(OwnerKind),
    Failed(String),
}

fn gone() -> WireError {
    WireError::new("owner_gone", "the tray app is not running")
}

/// An error as the page reads it (the control layer's shape: `{"error": {message, code, retry_after?}}`).
fn page_error(e: &WireError) -> Value {
    json!({ "error": e })
}

/// Starts the tray app beside this binary, detached, without a window of its own.
fn start_tray(dir: &std::path::Path) -> Result<(), String> {
    let exe = tgmcp_core::control::binary_beside_this_one("fast-mcp-telegram-tray")
        .ok_or("cannot find the tray app: the path of this program is unknown")?;
    let mut cmd = std::process::Command::new(&exe);
    cmd.arg("--no-window").env("SESSION_DIR", dir).stdin(std::process::Stdio::null());
    let mut child = tgmcp_core::owner::endpoint::spawn_detached(&mut cmd)
        .map_err(|e| format!("cannot start the tray app ({}): {e}", exe.display()))?;
    tracing::info!(pid = child.id(), "started the tray app");
    std::thread::spawn(move || child.wait());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_reach_the_page_in_the_control_layers_shape() {
        let plain = WireError::new("invalid_code", "wrong code");
        assert_eq!(page_error(&plain), json!({ "error": { "code": "invalid_code", "message": "wrong code" } }));
        let paced = WireError { retry_after: Some(30), ..WireError::new("flood_wait", "wait") };
        assert_eq!(
            page_error(&paced),
            json!({ "error": { "code": "flood_wait", "message": "wait", "retry_after": 30 } })
        );
    }
}
