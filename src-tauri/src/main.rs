//! `fast-mcp-telegram-tray`: the desktop tray app.
//!
//! It runs the MCP HTTP server in-process (on the configured port, loopback
//! by default), shows the setup UI (`ui/`) in a window that talks to the
//! shared [`Control`] layer over Tauri IPC, and lives in the system tray:
//! closing the window frees it (see [`window`]); the server keeps running until Quit.
//! Nothing polls: the tray menu and the window are told what changed ([`Control::changes`]).
//!
//! Flags: `--show-window` (or `FAST_MCP_TELEGRAM_SHOW_WINDOW=1`) opens the
//! window at start; otherwise it opens only when setup is incomplete.
#![cfg_attr(all(not(debug_assertions), target_os = "windows"), windows_subsystem = "windows")]

mod desktop;
mod embedded;
mod window;

use embedded::ServerSlot;

use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, State, WindowEvent};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tgmcp_core::app::App;
use tgmcp_core::config::{Config, Transport};
use tgmcp_core::control::{Control, HostKind, Reloader};
use tgmcp_core::keystore::KeyStore;
use tgmcp_core::owner::server::{OwnerServer, bind};
use tgmcp_core::owner::{OwnerError, OwnerKind, OwnerLock};

/// How long the app waits for the config dir's owner lock (a CLI command finishing, a
/// background agent handing over).
const OWNER_WAIT: Duration = Duration::from_secs(15);

/// Shared state of the tray app.
struct Tray {
    control: Arc<Control>,
}

/// The configuration from the environment, `.env` and settings.json; always HTTP.
fn load_config() -> Result<Config, String> {
    let mut config = Config::from_env().map_err(|e| e.to_string())?;
    config.startup.transport = Transport::Http;
    Ok(config)
}

impl Tray {
    async fn call(&self, command: &str, args: Option<Value>) -> Result<Value, Value> {
        self.control.call(command, args.unwrap_or(Value::Null)).await.map_err(|e| e.to_json())
    }
}

/// One IPC command per control command of the core's table, each forwarding its `args` object to
/// [`Control::call`], and the app's handler registering them all (plus `clipboard_write`).
macro_rules! ipc_commands {
    ($($name:ident($($args:ty)?)),* $(,)?) => {
        $(
            #[doc = concat!("IPC command `", stringify!($name), "`, run by the shared control layer.")]
            #[tauri::command]
            async fn $name(tray: State<'_, Tray>, args: Option<Value>) -> Result<Value, Value> {
                tray.call(stringify!($name), args).await
            }
        )*

        /// The invoke handler: every control command, and `clipboard_write`.
        fn invoke_handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![
                $($name,)* clipboard_write, desktop::autostart_get, desktop::autostart_set,
                window::ui_state_get, window::ui_state_set
            ]
        }
    };
}

tgmcp_core::control_commands!(ipc_commands);

/// Copies text to the system clipboard (the webview's clipboard API is unreliable in WebKitGTK).
#[tauri::command]
fn clipboard_write(app: AppHandle, args: Option<Value>) -> Result<Value, Value> {
    let text = args.as_ref().and_then(|a| a.get("text")).and_then(Value::as_str).unwrap_or_default();
    app.clipboard()
        .write_text(text.to_string())
        .map(|_| json!({ "copied": true }))
        .map_err(|e| json!({ "error": { "message": format!("clipboard: {e}"), "code": "internal" } }))
}

pub(crate) fn show_window(app: &AppHandle) {
    window::show(app);
}

/// "Server: running on 127.0.0.1:PORT · N sessions".
fn status_line(s: &tgmcp_core::control::Status) -> String {
    let accounts = format!("{} account{} logged in", s.accounts, if s.accounts == 1 { "" } else { "s" });
    let offline = s.sessions.iter().filter(|a| a.state == "offline").count();
    let link = if offline > 0 { format!(" · Telegram unreachable ({offline})") } else { String::new() };
    let waiting = match s.pending_approvals {
        0 => String::new(),
        n => format!(" · {n} waiting for your yes"),
    };
    match (&s.server.addr, s.server.running) {
        (Some(addr), true) => format!("Server: running on {addr} · {accounts}{link}{waiting}"),
        _ => format!("Server: not running · {accounts}{link}{waiting}"),
    }
}

/// Copies the `mcpServers` HTTP snippet for the newest logged-in token (placeholder if none is in the keyring).
async fn copy_client_config(app: AppHandle, control: Arc<Control>) {
    let newest = control
        .tokens_list()
        .await
        .ok()
        .and_then(|list| list.into_iter().filter(|t| t.account.is_some()).max_by_key(|t| t.created_at));
    let args = json!({ "token_id": newest.map(|t| t.id) });
    let configs = match control.call("client_configs", args).await {
        Ok(v) => v,
        Err(_) => match control.call("client_configs", json!({})).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("cannot build a client config: {e}");
                return;
            }
        },
    };
    let text = configs["configs"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "cursor"))
        .and_then(|c| c["text"].as_str())
        .unwrap_or_default();
    if let Err(e) = app.clipboard().write_text(text.to_string()) {
        tracing::warn!("clipboard: {e}");
    }
}

fn main() {
    if cfg!(target_os = "linux") && std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        // SAFETY: single-threaded at this point (before any runtime or GUI thread starts).
        // Avoids blank windows with some GPU drivers (tauri-apps/tauri#5143).
        unsafe { std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1") };
    }
    let show_flag = std::env::args().any(|a| a == "--show-window")
        || std::env::var("FAST_MCP_TELEGRAM_SHOW_WINDOW").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    let config = match load_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{},grammers=warn,rmcp=warn,hyper=warn", config.startup.log_level))
    });
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();

    let context = tauri::generate_context!();
    // The tray app owns the config dir: a background agent hands over to it; any other owner
    // (an HTTP server) is named and we stop. Another tray app is asked to show its window.
    let lock = match OwnerLock::try_acquire(&config.startup.session_dir, OwnerKind::Tray) {
        Ok(l) => Arc::new(l),
        Err(OwnerError::AlreadyOwned { owner: Some(o), .. }) if o.kind == OwnerKind::Tray => {
            // The single-instance plugin hands this launch to the running app and exits the process.
            let _ = tauri::Builder::default().plugin(tauri_plugin_single_instance::init(|_, _, _| {})).build(context);
            eprintln!("error: the tray app is already running (pid {}) and could not be reached", o.pid);
            std::process::exit(3);
        }
        Err(_) => {
            match tauri::async_runtime::block_on(OwnerLock::acquire(
                &config.startup.session_dir,
                OwnerKind::Tray,
                OWNER_WAIT,
            )) {
                Ok(l) => Arc::new(l),
                Err(e) => {
                    eprintln!("error: {e}");
                    std::process::exit(3);
                }
            }
        }
    };
    let keystore = KeyStore::system();
    let app = match App::new(config, keystore.clone()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let slot = Arc::new(ServerSlot::default());
    let server = tauri::async_runtime::block_on(async {
        app.start_background();
        slot.restart(app.clone()).await
    });
    let _ = lock.publish(|i| i.http = server.addr.map(|a| a.to_string()));
    let reloader: Reloader = {
        let (slot, lock) = (slot.clone(), lock.clone());
        Arc::new(move || {
            let (slot, keystore, lock) = (slot.clone(), keystore.clone(), lock.clone());
            Box::pin(async move {
                let config = load_config()?;
                let app = App::new(config, keystore).map_err(|e| e.to_string())?;
                app.start_background();
                let state = slot.restart(app.clone()).await;
                let _ = lock.publish(|i| i.http = state.addr.map(|a| a.to_string()));
                Ok((app, state))
            })
        })
    };
    let needs_setup = app.config.api_id.is_none() || app.tokens.list().map(|l| l.is_empty()).unwrap_or(true);
    let control = Arc::new(Control::new(app, HostKind::Tauri, server).with_reloader(reloader));
    // The owner socket: stdio clients and CLI commands are served by this process.
    let owner = OwnerServer::new(control.clone(), lock.clone());
    match tauri::async_runtime::block_on(async { bind(&lock) }) {
        Ok(listener) => {
            tauri::async_runtime::spawn(owner.clone().run(listener, None));
        }
        Err(e) => {
            tracing::error!("cannot open the owner socket (stdio clients and the CLI cannot reach this app): {e}")
        }
    }

    let setup_control = control.clone();
    let exit_control = control.clone();
    let close_control = control.clone();
    let setup_slot = slot.clone();
    let built = tauri::Builder::default()
        // First: a second launch must reach the running app before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tracing::info!("another launch of the app: showing the window");
            show_window(app);
        }))
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(desktop::autostart_plugin())
        .plugin(tauri_plugin_notification::init())
        .manage(Tray { control: control.clone() })
        .manage(window::UiState::default())
        .setup(move |app| {
            let open = MenuItem::with_id(app, "open", "Open window", true, None::<&str>)?;
            let status = MenuItem::with_id(app, "status", "Server: starting…", false, None::<&str>)?;
            let copy = MenuItem::with_id(app, "copy", "Copy client config", true, None::<&str>)?;
            let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
            let sep = PredefinedMenuItem::separator(app)?;
            let menu = Menu::with_items(app, &[&open, &status, &copy, &sep, &quit])?;
            let icon = app.default_window_icon().cloned().ok_or("the app has no icon")?;
            let menu_control = setup_control.clone();
            TrayIconBuilder::with_id("main-tray")
                .icon(icon)
                .tooltip("fast-mcp-telegram")
                .menu(&menu)
                .show_menu_on_left_click(true)
                .on_menu_event(move |app, event| match event.id.as_ref() {
                    "open" => show_window(app),
                    "copy" => {
                        tauri::async_runtime::spawn(copy_client_config(app.clone(), menu_control.clone()));
                    }
                    "quit" => app.exit(0),
                    _ => {}
                })
                .build(app)?;
            let _ = setup_slot.app.set(app.handle().clone());
            // On every change (never on a timer): the status line, the notifications the user must
            // see (new login, a write waiting for approval), and the open window told what changed.
            let c = setup_control.clone();
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let mut watch = desktop::Watch::default();
                let mut feed = c.changes();
                let mut changed = tgmcp_core::changes::Changed::ALL;
                loop {
                    if changed.status
                        && let Ok(s) = c.status().await
                    {
                        desktop::notify_changes(&handle, &c, &mut watch, &s, changed.tokens).await;
                        let line = status_line(&s);
                        if status.text().ok().as_deref() != Some(line.as_str()) {
                            let _ = status.set_text(line);
                        }
                    }
                    if window::exists(&handle) {
                        let _ = handle.emit("fmt-changed", changed);
                    }
                    changed = feed.next().await;
                }
            });
            if show_flag || needs_setup {
                show_window(app.handle());
            }
            Ok(())
        })
        .on_window_event(move |window, event| {
            // Closing frees the window (the server keeps running in the tray), or only hides it
            // when the user keeps it loaded.
            if let WindowEvent::CloseRequested { api, .. } = event
                && close_control.app().settings().keep_window_loaded
            {
                let _ = window.hide();
                api.prevent_close();
            }
        })
        .invoke_handler(invoke_handler())
        .build(context);
    let tauri_app = match built {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    tauri_app.run(move |_, event| match event {
        // The last window closed: the app stays in the tray (Quit asks with an exit code).
        tauri::RunEvent::ExitRequested { code: None, api, .. } => api.prevent_exit(),
        tauri::RunEvent::Exit => {
            // Close the socket and the Telegram connections cleanly, then give the config dir up.
            owner.stop();
            tauri::async_runtime::block_on(exit_control.app().shutdown());
            drop(lock.clone());
        }
        _ => {}
    });
}
