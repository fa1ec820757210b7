//! The MCP HTTP server's lifecycle, written once for the CLI, the tray app and the tests: bind, announce, run, stop.

use crate::app::App;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A listening socket for the MCP HTTP server, not serving yet.
pub struct Bound {
    listener: TcpListener,
    addr: SocketAddr,
}

/// Binds `addr` (port 0 picks a free port); the error names the address.
pub async fn bind(addr: SocketAddr) -> std::io::Result<Bound> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
    let addr = listener.local_addr()?;
    Ok(Bound { listener, addr })
}

impl Bound {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Prints the machine-readable lines scripts and tests read on stderr: `LISTENING http://…`
    /// and, when the setup page is enabled, `SETUP http://…/setup#key=…`; then, for people, what
    /// listens where and which page to open.
    pub fn announce(&self) {
        eprintln!("LISTENING http://{}", self.addr);
        let setup = crate::transport::http::setup::setup_url(self.addr);
        if let Some(url) = &setup {
            eprintln!("SETUP {url}");
        }
        eprintln!();
        eprintln!("  fast-mcp-telegram {} is serving your Telegram account to AI clients.", env!("CARGO_PKG_VERSION"));
        eprintln!("  MCP endpoint:  http://{}/v1/mcp  (each client needs a token)", self.addr);
        match &setup {
            Some(url) => {
                eprintln!("  Set up:        open {url}");
                eprintln!("                 to enter API credentials, log in, make tokens and copy client configs.");
            }
            None => eprintln!(
                "  Set up:        not on this address (not loopback); use the CLI (`fast-mcp-telegram --help`)."
            ),
        }
        eprintln!();
    }

    /// Serves `app` until `shutdown` resolves, then lets requests in flight finish.
    pub async fn run(self, app: Arc<App>, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        crate::transport::http::serve(app, self.listener, shutdown).await
    }

    /// Serves `app` in a task until [`Running::stop`] (or until the handle is dropped).
    pub fn spawn(self, app: Arc<App>) -> Running {
        self.spawn_watched(app, |_| {})
    }

    /// Like [`Bound::spawn`]; `on_unexpected_stop` is told why when the server stops without
    /// being asked to (the tray app shows it as a notification).
    pub fn spawn_watched(self, app: Arc<App>, on_unexpected_stop: impl FnOnce(String) + Send + 'static) -> Running {
        let (stop, stopped) = oneshot::channel::<()>();
        let addr = self.addr;
        let asked = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let task = tokio::spawn(async move {
            let flag = asked.clone();
            let shutdown = async move {
                let _ = stopped.await;
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
            };
            let result = self.run(app, shutdown).await;
            if let Err(e) = &result {
                tracing::error!("MCP server stopped: {e}");
            }
            if !asked.load(std::sync::atomic::Ordering::SeqCst) {
                on_unexpected_stop(result.err().map_or_else(|| "it stopped listening".to_string(), |e| e.to_string()));
            }
        });
        Running { addr, stop: Some(stop), task }
    }
}

/// A server serving in a task.
pub struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, gives requests in flight up to `grace` to finish, then aborts them.
    pub async fn stop(mut self, grace: Duration) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let abort = self.task.abort_handle();
        if tokio::time::timeout(grace, &mut self.task).await.is_err() {
            abort.abort();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
