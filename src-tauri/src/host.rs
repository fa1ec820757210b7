//! The commands the tray process answers itself on the owner socket, before the control layer:
//! what the window process asks of the desktop (clipboard, login item), the page's state between
//! windows, and showing the window (a second launch asks for it).

use crate::desktop::{self, Clipboard};
use crate::window_process::WindowLauncher;
use serde_json::{Value, json};
use std::sync::Arc;
use tgmcp_core::control::Control;
use tgmcp_core::owner::protocol::WireError;
use tgmcp_core::owner::server::HostCommands;

/// Asks the tray process to show its window (a second launch of the app sends it).
pub const WINDOW_SHOW: &str = "window_show";

/// The tray process's own commands.
pub struct TrayHost {
    pub control: Arc<Control>,
    pub window: Arc<WindowLauncher>,
    pub clipboard: Arc<Clipboard>,
}

impl HostCommands for TrayHost {
    fn call(&self, command: &str, args: &Value) -> Option<Result<Value, WireError>> {
        Some(match command {
            "ui_state_get" => {
                // The page asks first thing once loaded (the benchmarks time a reopen by it).
                tracing::info!("the window's page is loaded");
                Ok(self.window.state_get())
            }
            "ui_state_set" => self.window.state_set(args).map_err(|m| WireError::new("invalid_input", m)),
            "clipboard_write" => {
                let text = args.get("text").and_then(Value::as_str).unwrap_or_default();
                self.clipboard
                    .write(text)
                    .map(|()| json!({ "copied": true }))
                    .map_err(|m| WireError::new("internal", m))
            }
            "autostart_get" => desktop::autostart_get(),
            "autostart_set" => desktop::autostart_set(args),
            WINDOW_SHOW => {
                self.window.show();
                Ok(json!({ "shown": true }))
            }
            // What the window does when closed: hide (kept loaded) or exit (freed).
            "window_prefs" => Ok(json!({ "keep_loaded": self.control.app().settings().keep_window_loaded })),
            _ => return None,
        })
    }
}
