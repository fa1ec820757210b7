//! The window lives in its own process (`fast-mcp-telegram-window`, the Tauri web view), started
//! when a window is wanted and gone when it is closed, so the tray process never loads a web
//! engine. What the page keeps across a closed window (its tab, a login waiting for its code)
//! lives here, in the tray process, for the next window.

use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use tgmcp_core::control::binary_beside_this_one;

/// The most the page may keep (its tab and a login step are a few hundred bytes).
const MAX_STATE_BYTES: usize = 16 * 1024;

/// The window binary's name, beside the tray binary.
const WINDOW_BIN: &str = "fast-mcp-telegram-window";

/// Starts window processes and keeps the page's state between them.
pub struct WindowLauncher {
    exe: PathBuf,
    config_dir: PathBuf,
    /// Variables of this process's environment the window must not inherit.
    not_inherited: Vec<&'static str>,
    state: Mutex<Value>,
}

impl WindowLauncher {
    /// Windows for the config dir `config_dir`, run from the binary beside this one, without the
    /// variables `not_inherited`.
    pub fn new(config_dir: PathBuf, not_inherited: Vec<&'static str>) -> Self {
        let exe = binary_beside_this_one(WINDOW_BIN).unwrap_or_else(|| PathBuf::from(WINDOW_BIN));
        WindowLauncher { exe, config_dir, not_inherited, state: Mutex::new(Value::Null) }
    }

    /// Shows the window: starts a window process. When one is already open it hands the launch
    /// over to that one (its single-instance guard) and exits, so there is never a second window.
    pub fn show(&self) {
        let mut cmd = Command::new(&self.exe);
        cmd.env("SESSION_DIR", &self.config_dir).stdin(Stdio::null());
        for name in &self.not_inherited {
            cmd.env_remove(name);
        }
        match cmd.spawn() {
            Ok(mut child) => {
                tracing::info!(pid = child.id(), "window process started");
                // Reaped by a thread, so an exited window never lingers as a zombie.
                std::thread::spawn(move || {
                    let status = child.wait();
                    tracing::debug!("window process exited: {status:?}");
                });
            }
            Err(e) => tracing::error!("cannot open the window ({}): {e}", self.exe.display()),
        }
    }

    /// `ui_state_get`: `{ "state": <what the page last kept, or null> }`.
    pub fn state_get(&self) -> Value {
        json!({ "state": *self.state.lock().unwrap_or_else(|p| p.into_inner()) })
    }

    /// `ui_state_set` with `{ "state": {...} }` (at most 16 KiB of JSON).
    pub fn state_set(&self, args: &Value) -> Result<Value, String> {
        let state = args.get("state").cloned().unwrap_or(Value::Null);
        if serde_json::to_vec(&state).map_or(true, |b| b.len() > MAX_STATE_BYTES) {
            return Err("ui_state_set: at most 16 KiB".into());
        }
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = state;
        Ok(json!({ "kept": true }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_state_is_kept_and_bounded() {
        let w = WindowLauncher::new(PathBuf::from("/nonexistent"), vec![]);
        assert_eq!(w.state_get(), json!({ "state": null }));
        w.state_set(&json!({ "state": { "tab": "login" } })).unwrap();
        assert_eq!(w.state_get(), json!({ "state": { "tab": "login" } }));
        let big = "x".repeat(MAX_STATE_BYTES + 1);
        assert!(w.state_set(&json!({ "state": big })).is_err());
        assert_eq!(w.state_get(), json!({ "state": { "tab": "login" } }), "a refused state keeps the last one");
    }
}
