//! `fast-mcp-telegram-window`: the tray app's setup window (the `ui/` page in a Tauri web view), a
//! process of its own so the tray process never loads a web engine (issue 18).
//!
//! The tray app starts it when a window is wanted; it exits when its window is closed (unless the
//! user keeps the window loaded: then closing hides it), and when the tray app quits. Every IPC
//! command of the page is forwarded over the owner socket to the tray app, which runs it (the
//! control commands, and its own: clipboard, login item, the page's state between windows);
//! changes are pushed to the page as `fmt-changed` events from the owner's change stream.
//! Started with no tray app running (as WebDriver tests do), it starts one first.
#![cfg_attr(all(not(debug_assertions), target_os = "windows"), windows_subsystem = "windows")]

mod forward;

use forward::Owner;
use serde_json::Value;
use std::sync::Arc;
use tauri::{AppHandle, Emitter, Manager, State, WebviewWindowBuilder, WindowEvent};

/// The label of the one window (as in `tauri.conf.json`).
const MAIN: &str = "main";

/// One IPC command per control command of the core's table and per command of the tray
/// process, each forwarding its `args` object to the tray app over the owner socket.
macro_rules! ipc_commands {
    ($($name:ident($($args:ty)?)),* $(,)?) => {
        ipc_commands!(@each $($name)* clipboard_write autostart_get autostart_set ui_state_get ui_state_set);
    };
    (@each $($name:ident)*) => {
        $(
            #[doc = concat!("IPC command `", stringify!($name), "`, run by the tray app.")]
            #[tauri::command]
            async fn $name(owner: State<'_, Arc<Owner>>, args: Option<Value>) -> Result<Value, Value> {
                owner.call(stringify!($name), args.unwrap_or(Value::Null)).await
            }
        )*

        /// The invoke handler: every forwarded command.
        fn invoke_handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name,)*]
        }
    };
}

tgmcp_core::control_commands!(ipc_commands);

/// Shows the window (made at start; hidden when the user keeps it loaded).
fn show(app: &AppHandle) {
    if let Some(w) = app.get_webview_window(MAIN) {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Pushes the owner's changes to the page; closes the app when the tray app is gone.
async fn follow(app: AppHandle, owner: Arc<Owner>) {
    let mut stream = match owner.changes().await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("no change stream from the tray app: {e}");
            app.exit(1);
            return;
        }
    };
    loop {
        match stream.next().await {
            Ok(changed) => {
                let _ = app.emit("fmt-changed", changed);
            }
            Err(e) => {
                tracing::info!("the tray app is gone ({e}); the window closes");
                app.exit(0);
                return;
            }
        }
    }
}

fn main() {
    if cfg!(target_os = "linux") && std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        // SAFETY: single-threaded at this point (before any runtime or GUI thread starts).
        // Avoids blank windows with some GPU drivers (tauri-apps/tauri#5143).
        unsafe { std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1") };
    }
    let config = match tgmcp_core::config::Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{},hyper=warn", config.startup.log_level)));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let owner = match tauri::async_runtime::block_on(Owner::reach(config.startup.session_dir.clone())) {
        Ok(o) => Arc::new(o),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(3);
        }
    };
    let setup_owner = owner.clone();
    let close_owner = owner.clone();
    let built = tauri::Builder::default()
        // First: a second window process hands over to this one and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| show(app)))
        .manage(owner)
        .setup(move |app| {
            let config = app.config().app.windows.iter().find(|w| w.label == MAIN).cloned();
            let config = config.ok_or("the configuration has no main window")?;
            WebviewWindowBuilder::from_config(app.handle(), &config)?.build()?;
            show(app.handle());
            tauri::async_runtime::spawn(follow(app.handle().clone(), setup_owner.clone()));
            Ok(())
        })
        .on_window_event(move |window, event| {
            // Closing frees the window (this process exits), or only hides it when the user keeps
            // it loaded: the setting as it is now, asked of the tray app.
            if let WindowEvent::CloseRequested { api, .. } = event {
                api.prevent_close();
                let (window, owner) = (window.clone(), close_owner.clone());
                tauri::async_runtime::spawn(async move {
                    let prefs = owner.call("window_prefs", Value::Null).await.unwrap_or_default();
                    if prefs["keep_loaded"].as_bool().unwrap_or(false) {
                        let _ = window.hide();
                    } else {
                        window.app_handle().exit(0);
                    }
                });
            }
        })
        .invoke_handler(invoke_handler())
        .build(tauri::generate_context!());
    match built {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
