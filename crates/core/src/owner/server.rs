//! The owner's local socket server: an owner-only endpoint (a Unix domain socket, a named pipe
//! on Windows; see [`super::endpoint`]) that carries MCP for stdio clients and the control API
//! for the CLI, both served by this process, so no other process ever opens a session file.
//!
//! A control connection may also turn into a change stream (`watch_changes`: one
//! [`crate::changes::Changed`] line per change, for a window living in another process), and the
//! owning host may answer commands of its own first ([`HostCommands`]: the tray app's clipboard,
//! login item, window).
//!
//! An MCP connection is cut when its token is revoked or rotated (within a second, or at
//! once when this process made the change), when the app is rebuilt (settings that need a
//! restart) and when the owner shuts down; stdio clients reconnect by themselves.

use super::endpoint::{Conn, Listener, Reader, Writer};
use super::lock::{OwnerKind, OwnerLock};
use super::protocol::{
    ControlReply, ControlRequest, Hello, HelloReply, MAX_LINE, PROTOCOL_VERSION, Purpose, WireError,
};
use crate::app::{App, Identity};
use crate::config::Transport;
use crate::control::{Control, ControlError};
use crate::mcp::{Revalidate, TelegramMcp};
use crate::tokens::Token;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::watch;

/// How long a new connection may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds the owner socket (named pipe on Windows) of `lock`'s dir and publishes it.
pub fn bind(lock: &OwnerLock) -> std::io::Result<Listener> {
    Listener::bind(lock)
}

/// Commands a host process answers itself, before the control layer (the tray app's desktop
/// integration: clipboard, login item, its window). Synchronous: each is quick.
pub trait HostCommands: Send + Sync {
    /// The answer for `command`, or `None` when the host does not know it (then the control
    /// layer answers).
    fn call(&self, command: &str, args: &serde_json::Value) -> Option<Result<serde_json::Value, WireError>>;
}

/// The control command that turns a control connection into a change stream.
pub const WATCH_CHANGES: &str = "watch_changes";

/// The socket server of an owner.
pub struct OwnerServer {
    control: Arc<Control>,
    lock: Arc<OwnerLock>,
    host: std::sync::OnceLock<Arc<dyn HostCommands>>,
    stop: watch::Sender<bool>,
    clients: AtomicUsize,
    /// When the number of clients last dropped to zero.
    idle_since: std::sync::Mutex<Instant>,
}

/// Counts a live connection for the idle timer.
struct ClientGuard(Arc<OwnerServer>);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        if self.0.clients.fetch_sub(1, Ordering::SeqCst) == 1 {
            *self.0.idle_since.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        }
    }
}

impl OwnerServer {
    /// A server for `control`, owning `lock`'s dir.
    pub fn new(control: Arc<Control>, lock: Arc<OwnerLock>) -> Arc<Self> {
        Arc::new(OwnerServer {
            control,
            lock,
            host: std::sync::OnceLock::new(),
            stop: watch::Sender::new(false),
            clients: AtomicUsize::new(0),
            idle_since: std::sync::Mutex::new(Instant::now()),
        })
    }

    /// Lets the host answer its own commands first (set once; later calls are ignored).
    pub fn set_host(&self, host: Arc<dyn HostCommands>) {
        let _ = self.host.set(host);
    }

    /// Asks the server (and every connection) to stop.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// A future that resolves once [`OwnerServer::stop`] was called.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.stop.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }

    /// Live connections.
    pub fn client_count(&self) -> usize {
        self.clients.load(Ordering::SeqCst)
    }

    /// Accepts connections until stopped (or, with `idle_exit`, until nobody has been
    /// connected for that long), then closes every connection and removes the socket file.
    pub async fn run(self: Arc<Self>, mut listener: Listener, idle_exit: Option<Duration>) {
        let stopped = self.stopped();
        tokio::pin!(stopped);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(conn) => {
                        let me = self.clone();
                        tokio::spawn(async move { me.handle(conn).await });
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                        tracing::warn!("owner socket: {e}");
                    }
                    Err(e) => {
                        tracing::warn!("owner socket accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                _ = &mut stopped => break,
                _ = tick.tick(), if idle_exit.is_some() => {
                    let idle = self.idle_since.lock().unwrap_or_else(|p| p.into_inner()).elapsed();
                    if self.client_count() == 0 && idle >= idle_exit.unwrap_or_default() {
                        tracing::info!("no clients for {} s; the background agent exits", idle.as_secs());
                        break;
                    }
                }
            }
        }
        self.stop();
        listener.close();
        // Connections see the stop signal and close; give them a moment to finish writing.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.client_count() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn handle(self: Arc<Self>, conn: Conn) {
        self.clients.fetch_add(1, Ordering::SeqCst);
        let _guard = ClientGuard(self.clone());
        let Conn { reader, writer: mut w } = conn;
        let mut r = BufReader::new(reader);
        let hello = match tokio::time::timeout(HELLO_TIMEOUT, read_line(&mut r)).await {
            Ok(Ok(Some(line))) => {
                serde_json::from_str::<Hello>(&line).map_err(|e| WireError::new("bad_hello", format!("bad hello: {e}")))
            }
            Ok(Ok(None)) => return,
            Ok(Err(e)) => Err(WireError::new("bad_hello", e.to_string())),
            Err(_) => Err(WireError::new("bad_hello", "no hello within 10 s")),
        };
        let hello = match hello {
            Ok(h) if h.protocol == PROTOCOL_VERSION => h,
            Ok(h) => {
                let msg = format!(
                    "this owner speaks protocol {PROTOCOL_VERSION}, the client {} (version {}); restart the owner",
                    h.protocol, h.client_version
                );
                return self.refuse(&mut w, WireError::new("protocol_mismatch", msg)).await;
            }
            Err(e) => return self.refuse(&mut w, e).await,
        };
        match hello.purpose {
            Purpose::Control => {
                if self.reply(&mut w, None).await.is_ok() {
                    self.serve_control(r, w).await;
                }
            }
            Purpose::Mcp { token_id, token } => {
                let app = self.control.app();
                match mcp_identity(&app, token_id, token) {
                    Ok((identity, check)) => {
                        if self.reply(&mut w, None).await.is_ok() {
                            self.serve_mcp(app, identity, check, r, w).await;
                        }
                    }
                    Err(e) => self.refuse(&mut w, e).await,
                }
            }
        }
    }

    async fn refuse(&self, w: &mut Writer, e: WireError) {
        tracing::info!(code = %e.code, "refused an owner-socket client: {}", e.message);
        let _ = self.reply(w, Some(e)).await;
    }

    async fn reply(&self, w: &mut Writer, error: Option<WireError>) -> std::io::Result<()> {
        let reply = HelloReply { ok: error.is_none(), owner: self.lock.info(), error };
        write_line(w, &serde_json::to_string(&reply).expect("reply serializes")).await
    }

    async fn serve_control(&self, mut r: BufReader<Reader>, mut w: Writer) {
        let stopped = self.stopped();
        tokio::pin!(stopped);
        loop {
            let line = tokio::select! {
                l = read_line(&mut r) => l,
                _ = &mut stopped => return,
            };
            let Ok(Some(line)) = line else { return };
            let reply = match serde_json::from_str::<ControlRequest>(&line) {
                Err(e) => ControlReply::Error(WireError::new("invalid_input", format!("bad control request: {e}"))),
                Ok(req) if req.command == WATCH_CHANGES => return self.stream_changes(r, w).await,
                Ok(req) => self.dispatch(req).await,
            };
            if write_line(&mut w, &serde_json::to_string(&reply).expect("reply serializes")).await.is_err() {
                return;
            }
        }
    }

    /// Writes one [`crate::changes::Changed`] line per change (the first at once, with every
    /// topic) until the client leaves or the owner stops. Idle, it wakes no one.
    async fn stream_changes(&self, mut r: BufReader<Reader>, mut w: Writer) {
        let stopped = self.stopped();
        tokio::pin!(stopped);
        let mut feed = self.control.changes();
        let mut changed = crate::changes::Changed::ALL;
        loop {
            let line = serde_json::to_string(&ControlReply::Ok(serde_json::json!(changed))).expect("reply serializes");
            if write_line(&mut w, &line).await.is_err() {
                return;
            }
            changed = tokio::select! {
                c = feed.next() => c,
                // The client sends nothing more: a read returns only when it leaves.
                _ = read_line(&mut r) => return,
                _ = &mut stopped => return,
            };
        }
    }

    async fn dispatch(&self, req: ControlRequest) -> ControlReply {
        if let Some(answer) = self.host.get().and_then(|h| h.call(&req.command, &req.args)) {
            return match answer {
                Ok(v) => ControlReply::Ok(v),
                Err(e) => ControlReply::Error(e),
            };
        }
        match req.command.as_str() {
            "owner_status" => ControlReply::Ok(serde_json::json!({
                "owner": self.lock.info(),
                "clients": self.client_count(),
                "sessions": self.control.app().sessions.stats(),
            })),
            "owner_shutdown" => {
                if self.lock.info().kind != OwnerKind::Agent {
                    return ControlReply::Error(WireError::new(
                        "refused",
                        format!(
                            "{} is not stopped from the command line; quit it instead",
                            self.lock.info().describe()
                        ),
                    ));
                }
                tracing::info!("asked to hand over; the background agent stops");
                self.stop();
                ControlReply::Ok(serde_json::json!({ "stopping": true }))
            }
            _ => match self.control.call(&req.command, req.args).await {
                Ok(v) => ControlReply::Ok(v),
                Err(e) => ControlReply::Error(wire_error(&e)),
            },
        }
    }

    async fn serve_mcp(
        &self,
        app: Arc<App>,
        identity: Identity,
        check: Option<Revalidate>,
        r: BufReader<Reader>,
        w: Writer,
    ) {
        let session = identity.session_id.clone();
        tracing::info!(session = %session, token_id = identity.token_id.as_deref().unwrap_or("-"), "stdio client connected");
        let mut handler = TelegramMcp::new(app.clone(), Some(identity));
        if let Some(c) = check.clone() {
            handler = handler.with_revalidation(c);
        }
        let stopped = self.stopped();
        tokio::pin!(stopped);
        // Boxed as `Send` here: left to inference inside the spawned connection task, rustc
        // cannot prove the boxed halves' transport future `Send` for every lifetime.
        let serving: std::pin::Pin<Box<dyn Future<Output = _> + Send>> = Box::pin(rmcp::serve_server(handler, (r, w)));
        let service = tokio::select! {
            s = serving => match s {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!("stdio client left during initialisation: {e}");
                    return;
                }
            },
            _ = &mut stopped => return,
        };
        let cancel = service.cancellation_token();
        // Woken only by a change (this process is the index's one writer): an idle connection
        // costs no wake-ups. Every call re-checks the token anyway.
        let watch = async {
            let mut changes = app.tokens.subscribe();
            let mut host = self.control.subscribe_host();
            loop {
                tokio::select! {
                    _ = changes.changed() => {}
                    _ = host.changed() => {}
                    _ = &mut stopped => return "the owner is stopping",
                }
                if let Some(c) = &check
                    && let Err(why) = c.check_connection(&app)
                {
                    return why;
                }
                if !Arc::ptr_eq(&self.control.app(), &app) {
                    return "the server restarted with new settings";
                }
            }
        };
        tokio::select! {
            _ = service.waiting() => {}
            why = watch => {
                tracing::info!(session = %session, "closing a stdio client connection: {why}");
                cancel.cancel();
            }
        }
    }
}

/// The identity an MCP connection acts as, and how to re-check it.
fn mcp_identity(
    app: &App,
    token_id: Option<String>,
    token: Option<String>,
) -> Result<(Identity, Option<Revalidate>), WireError> {
    let with =
        |session_id: String, token_id: Option<String>| Identity { session_id, token_id, transport: Transport::Stdio };
    match (token_id, token) {
        (Some(id), _) => {
            let rec = app.tokens.get(&id).map_err(|_| {
                WireError::new(
                    "token_revoked",
                    format!("token {id} is not known to this server (revoked?); see `fast-mcp-telegram token list`"),
                )
            })?;
            app.tokens.note_use(&rec.id);
            let check = Revalidate { token_id: rec.id.clone(), digest: rec.digest, secret_bound: false };
            Ok((with(rec.session_id, Some(rec.id)), Some(check)))
        }
        (None, Some(raw)) => {
            let t = Token::parse(&raw)
                .map_err(|e| WireError::new("token_invalid", format!("FAST_MCP_TELEGRAM_TOKEN: {e}")))?;
            let rec = app
                .tokens
                .authenticate(&t)
                .map_err(|e| WireError::new("token_revoked", format!("FAST_MCP_TELEGRAM_TOKEN: {e}")))?;
            let check = Revalidate { token_id: rec.id.clone(), digest: rec.digest, secret_bound: true };
            Ok((with(rec.session_id, Some(rec.id)), Some(check)))
        }
        (None, None) => Ok((app.dev_identity(Transport::Stdio), None)),
    }
}

/// A control error as it crosses the socket.
pub fn wire_error(e: &ControlError) -> WireError {
    WireError { code: e.code().to_string(), message: e.to_string(), retry_after: e.retry_after() }
}

/// Reads one line (without the newline); `None` at end of stream; an error past [`MAX_LINE`].
pub(crate) async fn read_line(r: &mut (impl AsyncBufReadExt + Unpin)) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = tokio::io::AsyncReadExt::take(&mut *r, MAX_LINE as u64 + 1).read_until(b'\n', &mut buf).await?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() > MAX_LINE {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "line too long"));
    }
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    String::from_utf8(buf).map(Some).map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"))
}

/// Writes one line and flushes.
pub(crate) async fn write_line(w: &mut (impl AsyncWrite + Unpin), line: &str) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    w.write_all(&bytes).await?;
    w.flush().await
}
