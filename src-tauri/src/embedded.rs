//! The MCP HTTP server the tray app runs in-process: at most one at a time, restarted when the
//! settings or the API credentials change, and its unexpected stop recorded as the server's state
//! (the status line shows it and the tray's watch tells the user, as for a port it cannot bind).

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;
use tgmcp_core::app::App;
use tgmcp_core::control::{Control, ServerState};
use tgmcp_core::server;

/// How long a stopping server may take to finish its requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The embedded MCP server: at most one at a time.
#[derive(Default)]
pub struct ServerSlot {
    running: tokio::sync::Mutex<Option<server::Running>>,
    /// Where an unexpected stop is recorded (set once the control layer exists).
    control: Arc<OnceLock<Weak<Control>>>,
}

impl ServerSlot {
    /// Records this slot's unexpected stops in `control`'s server state from now on.
    pub fn report_to(&self, control: &Arc<Control>) {
        let _ = self.control.set(Arc::downgrade(control));
    }

    /// Stops the current server (if any) and starts one for `app` on its configured address.
    pub async fn restart(&self, app: Arc<App>) -> ServerState {
        let mut running = self.running.lock().await;
        if let Some(old) = running.take() {
            old.stop(SHUTDOWN_GRACE).await;
        }
        let bound = match server::bind(SocketAddr::new(app.config.host, app.settings().port)).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!("cannot start the MCP server: {e}");
                return ServerState::failed(format!("{e} (change the port in Settings)"));
            }
        };
        // Machine-readable lines, as printed by `fast-mcp-telegram serve` (scripts and tests read them).
        bound.announce();
        let local = bound.addr();
        let control = self.control.clone();
        *running = Some(bound.spawn_watched(app, move |why| match control.get().and_then(Weak::upgrade) {
            Some(c) => c.set_server(ServerState::failed(why)),
            None => tracing::error!("the MCP server stopped before the app was ready: {why}"),
        }));
        ServerState::running(local)
    }
}
