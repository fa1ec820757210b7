//! `fast-mcp-telegram-tray`: the desktop tray app.
//!
//! It owns the config dir (tokens, settings, sessions), runs the MCP HTTP server in-process (on
//! the configured port, loopback by default) and the owner socket, and lives in the system tray.
//! It links no web engine: the setup window is a separate process (`fast-mcp-telegram-window`,
//! see [`window_process`]) started when a window is wanted, which talks to this one over the
//! owner socket and exits when closed. Nothing polls: the tray menu follows
//! [`Control::changes`], and so does the window, through its change stream.
//!
//! Flags: `--show-window` (or `FAST_MCP_TELEGRAM_SHOW_WINDOW=1`) opens the window at start;
//! otherwise it opens only when setup is incomplete. `--autostart` (the login item) and
//! `--no-window` (the window process starting its tray) never open one at start. A second launch
//! asks the running app to show its window and exits.
#![cfg_attr(all(not(debug_assertions), target_os = "windows"), windows_subsystem = "windows")]

mod desktop;
mod embedded;
mod host;
mod tray;
mod window_process;

use embedded::ServerSlot;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tao::event::{Event, StartCause};
use tao::event_loop::{ControlFlow, EventLoopBuilder, EventLoopProxy};
use tgmcp_core::app::App;
use tgmcp_core::changes::Changed;
use tgmcp_core::config::{Config, Transport};
use tgmcp_core::control::{Control, HostKind, Reloader};
use tgmcp_core::keystore::KeyStore;
use tgmcp_core::owner::client::ControlClient;
use tgmcp_core::owner::server::{OwnerServer, bind};
use tgmcp_core::owner::{OwnerError, OwnerKind, OwnerLock};
use tray::{Tray, TrayEvent};
use window_process::WindowLauncher;

/// How long the app waits for the config dir's owner lock (a CLI command finishing, a
/// background agent handing over).
const OWNER_WAIT: Duration = Duration::from_secs(15);

/// The configuration from the environment, `.env` and settings.json; always HTTP.
fn load_config() -> Result<Config, String> {
    let mut config = Config::from_env().map_err(|e| e.to_string())?;
    config.startup.transport = Transport::Http;
    Ok(config)
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
async fn copy_client_config(control: Arc<Control>, clipboard: Arc<desktop::Clipboard>) {
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
    if let Err(e) = clipboard.write(text) {
        tracing::warn!("{e}");
    }
}

/// The tray app is already running: ask it to show its window (unless started as a login item).
async fn hand_over(dir: &std::path::Path, show: bool) -> i32 {
    if !show {
        return 0;
    }
    match ControlClient::connect(dir).await {
        Ok(Some(mut c)) => match c.call(host::WINDOW_SHOW, json!({})).await {
            Ok(_) => 0,
            Err(e) => {
                eprintln!("error: the running tray app did not show its window: {e}");
                3
            }
        },
        Ok(None) => {
            eprintln!("error: the tray app is already running and could not be reached");
            3
        }
        Err(e) => {
            eprintln!("error: the tray app is already running and could not be reached: {e}");
            3
        }
    }
}

/// Turns SIGTERM and SIGINT (Ctrl-C on Windows) into a clean quit.
async fn quit_on_signal(proxy: EventLoopProxy<TrayEvent>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    let _ = proxy.send_event(TrayEvent::Quit);
}

/// GTK variables this process sets for itself only (never for the window process it starts).
const OWN_GTK_ENV: &[(&str, &str)] = &[
    // GTK 3 on X11 opens GLX at start to pick visuals, which loads the GL driver (Mesa's, with
    // LLVM: about 30 MiB) into a process that only draws a tray menu.
    ("GDK_GL", "disable"),
];

fn main() {
    let mut not_for_window = Vec::new();
    for (name, value) in OWN_GTK_ENV {
        if std::env::var_os(name).is_none() {
            // SAFETY: single-threaded at this point (before any runtime or GUI thread starts).
            unsafe { std::env::set_var(name, value) };
            not_for_window.push(*name);
        }
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |a: &str| args.iter().any(|x| x == a);
    let show_flag = has("--show-window")
        || std::env::var("FAST_MCP_TELEGRAM_SHOW_WINDOW").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    let no_window = has(desktop::AUTOSTART_ARG) || has("--no-window");
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
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let dir = config.startup.session_dir.clone();

    // The tray app owns the config dir: a background agent hands over to it; any other owner
    // (an HTTP server) is named and we stop. Another tray app is asked to show its window.
    let lock = match OwnerLock::try_acquire(&dir, OwnerKind::Tray) {
        Ok(l) => Arc::new(l),
        Err(OwnerError::AlreadyOwned { owner: Some(o), .. }) if o.kind == OwnerKind::Tray => {
            std::process::exit(rt.block_on(hand_over(&dir, !no_window || show_flag)));
        }
        Err(_) => match rt.block_on(OwnerLock::acquire(&dir, OwnerKind::Tray, OWNER_WAIT)) {
            Ok(l) => Arc::new(l),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(3);
            }
        },
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
    let server = rt.block_on(async {
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
    slot.report_to(&control);
    let window = Arc::new(WindowLauncher::new(dir.clone(), not_for_window));
    let clipboard = Arc::new(desktop::Clipboard::default());

    // The owner socket: stdio clients, CLI commands and the window process are served here.
    let owner = OwnerServer::new(control.clone(), lock.clone());
    owner.set_host(Arc::new(host::TrayHost {
        control: control.clone(),
        window: window.clone(),
        clipboard: clipboard.clone(),
    }));
    let serving = match rt.block_on(async { bind(&lock) }) {
        Ok(listener) => Some(rt.spawn(owner.clone().run(listener, None))),
        Err(e) => {
            tracing::error!("cannot open the owner socket (stdio clients and the CLI cannot reach this app): {e}");
            None
        }
    };

    #[cfg_attr(not(target_os = "macos"), allow(unused_mut))]
    let mut event_loop = EventLoopBuilder::<TrayEvent>::with_user_event().build();
    // A menu-bar app on macOS: no Dock icon for the tray process (its window has one while open).
    #[cfg(target_os = "macos")]
    tao::platform::macos::EventLoopExtMacOS::set_activation_policy(
        &mut event_loop,
        tao::platform::macos::ActivationPolicy::Accessory,
    );
    let proxy = event_loop.create_proxy();
    rt.spawn(quit_on_signal(proxy.clone()));
    // On every change (never on a timer): the status line, and the notifications the user must
    // see (new login, a write waiting for approval, which also brings the window up).
    rt.spawn({
        let (control, window, proxy) = (control.clone(), window.clone(), proxy.clone());
        async move {
            let mut watch = desktop::Watch::default();
            let mut feed = control.changes();
            let mut changed = Changed::ALL;
            let show = move || window.show();
            loop {
                if changed.status
                    && let Ok(s) = control.status().await
                {
                    desktop::notify_changes(&control, &mut watch, &s, changed.tokens, &show).await;
                    let _ = proxy.send_event(TrayEvent::Status(status_line(&s)));
                }
                changed = feed.next().await;
            }
        }
    });
    if (show_flag || needs_setup) && !no_window {
        window.show();
    }

    let mut tray: Option<Tray> = None;
    // The last status line, for a tray icon made after it was computed.
    let mut status = String::from("Server: starting…");
    let mut held = Some((lock, rt, serving));
    event_loop.run(move |event, _, flow| {
        *flow = ControlFlow::Wait;
        match event {
            // The earliest point the tray icon may be made (macOS wants a running loop).
            Event::NewEvents(StartCause::Init) => {
                let menu_proxy = proxy.clone();
                match Tray::build(move |id| {
                    let _ = menu_proxy.send_event(TrayEvent::Menu(id));
                }) {
                    Ok(t) => {
                        t.set_status(&status);
                        tray = Some(t);
                    }
                    Err(e) => tracing::error!("no tray icon: {e}"),
                }
            }
            Event::UserEvent(TrayEvent::Status(line)) => {
                if let Some(t) = &tray {
                    t.set_status(&line);
                }
                status = line;
            }
            Event::UserEvent(TrayEvent::Menu(id)) => match id.as_str() {
                tray::OPEN => window.show(),
                tray::COPY => {
                    if let Some((_, rt, _)) = &held {
                        rt.spawn(copy_client_config(control.clone(), clipboard.clone()));
                    }
                }
                tray::QUIT => {
                    let _ = proxy.send_event(TrayEvent::Quit);
                }
                _ => {}
            },
            Event::UserEvent(TrayEvent::Quit) => {
                // Close the socket (an open window sees its change stream end and closes) and the
                // Telegram connections cleanly, then give the config dir up.
                if let Some((lock, rt, serving)) = held.take() {
                    owner.stop();
                    rt.block_on(async {
                        // The socket server removes its file and lets its connections finish.
                        if let Some(serving) = serving {
                            let _ = tokio::time::timeout(Duration::from_secs(6), serving).await;
                        }
                        control.app().shutdown().await;
                    });
                    drop(lock);
                    rt.shutdown_timeout(Duration::from_secs(2));
                }
                tray = None;
                *flow = ControlFlow::Exit;
            }
            _ => {}
        }
    });
}
