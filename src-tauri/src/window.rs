//! The main window's life. It exists only while wanted: the app starts without one (the
//! configuration says `create: false`) unless setup is needed or `--show-window` asks, closing it
//! frees its web view (the WebKit web process and its ~100 MiB) unless the user keeps it loaded,
//! and the tray opens it again with the page resuming from what it asked this module to keep (its
//! tab, a login waiting for a code).

use serde_json::{Value, json};
use std::sync::Mutex;
use tauri::{AppHandle, Manager, State, WebviewWindow, WebviewWindowBuilder};

/// The label of the one window (as in `tauri.conf.json`).
pub const MAIN: &str = "main";

/// The most the page may keep (its tab and a login step are a few hundred bytes).
const MAX_STATE_BYTES: usize = 16 * 1024;

/// What the page keeps across a closed window (memory only: gone when the app quits).
#[derive(Default)]
pub struct UiState(Mutex<Value>);

/// IPC `ui_state_get`: `{ "state": <what the page last kept, or null> }`.
#[tauri::command]
pub fn ui_state_get(kept: State<'_, UiState>) -> Value {
    json!({ "state": *kept.0.lock().unwrap_or_else(|p| p.into_inner()) })
}

/// IPC `ui_state_set` with `{ "state": {...} }` (at most 16 KiB of JSON).
#[tauri::command]
pub fn ui_state_set(kept: State<'_, UiState>, args: Option<Value>) -> Result<Value, Value> {
    let state = args.and_then(|mut a| a.get_mut("state").map(Value::take)).unwrap_or(Value::Null);
    if serde_json::to_vec(&state).map_or(true, |b| b.len() > MAX_STATE_BYTES) {
        return Err(json!({ "error": { "message": "ui_state_set: at most 16 KiB", "code": "invalid_input" } }));
    }
    *kept.0.lock().unwrap_or_else(|p| p.into_inner()) = state;
    Ok(json!({ "kept": true }))
}

/// Shows the window, creating it when it was closed (freed).
pub fn show(app: &AppHandle) {
    let window = match app.get_webview_window(MAIN) {
        Some(w) => w,
        None => match create(app) {
            Ok(w) => w,
            Err(e) => {
                tracing::error!("cannot open the window: {e}");
                return;
            }
        },
    };
    let _ = window.show();
    let _ = window.unminimize();
    let _ = window.set_focus();
}

/// Builds the window from its configuration (hidden until [`show`]).
fn create(app: &AppHandle) -> tauri::Result<WebviewWindow> {
    let config = app.config().app.windows.iter().find(|w| w.label == MAIN).cloned().ok_or_else(|| {
        tauri::Error::WindowNotFound // (the configuration always has it)
    })?;
    tracing::debug!("opening the window again");
    WebviewWindowBuilder::from_config(app, &config)?.build()
}

/// Whether the window exists (open or hidden); a closed one is freed unless kept loaded.
pub fn exists(app: &AppHandle) -> bool {
    app.get_webview_window(MAIN).is_some()
}
