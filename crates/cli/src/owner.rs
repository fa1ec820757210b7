//! The owner side of the CLI: `serve --transport http` and `agent` (the processes that own the
//! config dir), `serve --transport stdio` (a relay to the owner), and `agent stop|status`.

use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tgmcp_core::app::App;
use tgmcp_core::config::Config;
use tgmcp_core::control::{Control, HostKind, ServerState};
use tgmcp_core::keystore::KeyStore;
use tgmcp_core::owner::client::{ControlClient, request_shutdown};
use tgmcp_core::owner::protocol::Purpose;
use tgmcp_core::owner::server::{OwnerServer, bind};
use tgmcp_core::owner::shim::Shim;
use tgmcp_core::owner::{OwnerError, OwnerKind, OwnerLock};

/// How long a new owner waits for a short-lived holder of the lock (a CLI command, an agent
/// handing over).
const ACQUIRE_WAIT: Duration = Duration::from_secs(15);

/// How long a stdio relay waits for a background agent to come up.
const AGENT_START_WAIT: Duration = Duration::from_secs(20);

/// Resolves on Ctrl-C or SIGTERM.
#[cfg(unix)]
pub async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// Resolves on Ctrl-C, the console window closing, or the system shutting down.
#[cfg(windows)]
pub async fn shutdown_signal() {
    use tokio::signal::windows;
    let mut close = windows::ctrl_close().expect("console close handler");
    let mut shutdown = windows::ctrl_shutdown().expect("shutdown handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = close.recv() => {}
        _ = shutdown.recv() => {}
    }
}

/// `serve --transport http`: owns the config dir, serves MCP over HTTP and the owner socket.
pub async fn serve_http(config: &Config) -> anyhow::Result<()> {
    let lock = Arc::new(OwnerLock::acquire(&config.startup.session_dir, OwnerKind::Http, ACQUIRE_WAIT).await?);
    let app = App::new(config.clone(), KeyStore::system())?;
    app.start_background();
    let bound = tgmcp_core::server::bind(SocketAddr::new(config.startup.host, config.settings.port)).await?;
    let local = bound.addr();
    lock.publish(|i| i.http = Some(local.to_string()))?;
    bound.announce();
    let control = Arc::new(Control::new(app.clone(), HostKind::Http, ServerState::running(local)));
    let server = OwnerServer::new(control, lock.clone());
    let socket = tokio::spawn(server.clone().run(bind(&lock)?, None));
    let stopped = server.stopped();
    let shutdown = async move {
        tokio::select! {
            _ = shutdown_signal() => {}
            _ = stopped => {}
        }
    };
    bound.run(app.clone(), shutdown).await?;
    server.stop();
    let _ = socket.await;
    app.shutdown().await;
    Ok(())
}

/// `agent`: owns the config dir and serves only the owner socket. In the background (started
/// by a stdio client) it exits after `AGENT_IDLE_EXIT_SECONDS` without clients, and quietly
/// leaves the field to an owner that is already running.
pub async fn agent(config: &Config, background: bool, idle_exit: Option<u64>) -> anyhow::Result<()> {
    // A background agent leaves at once when another owner runs, but waits a moment for an owner
    // that holds the lock without having published itself yet (or a short CLI command), so
    // that when it leaves, `agent.json` names who owns the dir.
    let wait = if background { Duration::from_secs(1) } else { Duration::from_secs(2) };
    let lock = match OwnerLock::acquire(&config.startup.session_dir, OwnerKind::Agent, wait).await {
        Ok(l) => Arc::new(l),
        Err(e @ OwnerError::AlreadyOwned { .. }) if background => {
            eprintln!("agent not started: {e}");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let app = App::new(config.clone(), KeyStore::system())?;
    app.start_background();
    let control = Arc::new(Control::new(app.clone(), HostKind::Agent, ServerState::default()));
    let server = OwnerServer::new(control, lock.clone());
    let listener = bind(&lock)?;
    let idle = match (background, idle_exit) {
        (_, Some(0)) => None,
        (_, Some(s)) => Some(Duration::from_secs(s)),
        (true, None) => Some(config.startup.agent_idle_exit),
        (false, None) => None,
    };
    eprintln!(
        "AGENT pid {} socket {}",
        std::process::id(),
        lock.info().socket.map(|p| p.display().to_string()).unwrap_or_default()
    );
    let run = tokio::spawn(server.clone().run(listener, idle));
    tokio::select! {
        _ = shutdown_signal() => server.stop(),
        _ = server.stopped() => {}
    }
    let _ = run.await;
    app.shutdown().await;
    tracing::info!("agent stopped");
    Ok(())
}

/// `agent stop`: asks a background agent to exit.
pub async fn agent_stop(config: &Config) -> anyhow::Result<()> {
    match ControlClient::connect(&config.startup.session_dir).await? {
        None => println!("no owner is running"),
        Some(c) => {
            let who = c.owner().describe();
            drop(c);
            request_shutdown(&config.startup.session_dir).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            // "Stopped" means gone: wait until it has saved its sessions and released the lock.
            let deadline = tokio::time::Instant::now() + ACQUIRE_WAIT;
            loop {
                match OwnerLock::try_acquire(&config.startup.session_dir, OwnerKind::Cli) {
                    Ok(_) => break,
                    Err(OwnerError::AlreadyOwned { .. }) if tokio::time::Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            println!("stopped {who}");
        }
    }
    Ok(())
}

/// `agent status`: who owns the config dir (exit code 1 when nobody does).
pub async fn agent_status(config: &Config) -> anyhow::Result<bool> {
    let Some(mut c) = ControlClient::connect(&config.startup.session_dir).await? else {
        println!("no owner is running for {}", config.startup.session_dir.display());
        return Ok(false);
    };
    let status = c.call("owner_status", serde_json::Value::Null).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", serde_json::to_string_pretty(&status)?);
    Ok(true)
}

/// `serve --transport stdio`: relays MCP between stdin/stdout and the owner (started in the
/// background if needed), acting as `token_id` (or the legacy secret token).
pub async fn serve_stdio(config: &Config, token_id: Option<String>) -> anyhow::Result<()> {
    let token_id = token_id.or_else(|| config.startup.stdio_token_id.clone());
    if let Some(id) = &token_id
        && !tgmcp_core::token_index::is_token_id(id)
    {
        anyhow::bail!("--token-id {id:?} is not a token id like tok_0123456789ab (see `fast-mcp-telegram token list`)");
    }
    let token = if token_id.is_none() { config.startup.stdio_token.clone() } else { None };
    let exe = std::env::current_exe().context("cannot find this program's path to start the background agent")?;
    let shim = Shim::new(&config.startup.session_dir, &exe, Purpose::Mcp { token_id, token }, AGENT_START_WAIT);
    shim.run().await.map_err(|e| anyhow::anyhow!("{e}"))
}
