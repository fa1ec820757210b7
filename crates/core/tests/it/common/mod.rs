//! Shared helpers for the core integration tests: an in-process HTTP server on 127.0.0.1:0.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tgmcp_core::app::App;
use tgmcp_core::config::Config;
use tgmcp_core::keystore::KeyStore;

/// A running server and what a test needs to talk to it.
pub struct TestServer {
    pub app: Arc<App>,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    /// Stops the server when the test ends.
    _running: tgmcp_core::server::Running,
}

impl TestServer {
    /// Starts a server with extra env-style settings.
    pub async fn start(extra: &[(&str, &str)]) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, extra).await
    }

    /// Starts a server on an existing config dir.
    pub async fn start_in(dir: tempfile::TempDir, extra: &[(&str, &str)]) -> TestServer {
        Self::start_with(dir, extra, KeyStore::none()).await
    }

    /// Starts a server on an existing config dir with a keyring.
    pub async fn start_with(dir: tempfile::TempDir, extra: &[(&str, &str)], keystore: KeyStore) -> TestServer {
        let mut vars: HashMap<String, String> = HashMap::new();
        vars.insert("SESSION_DIR".into(), dir.path().to_string_lossy().into_owned());
        vars.insert("SERVER_MODE".into(), "http".into());
        for (k, v) in extra {
            vars.insert(k.to_string(), v.to_string());
        }
        let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
        let app = App::new(config, keystore).unwrap();
        let bound = tgmcp_core::server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = bound.addr();
        let running = bound.spawn(app.clone());
        TestServer { app, addr, dir, _running: running }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// A JSON-RPC `initialize` body.
pub fn initialize_body() -> serde_json::Value {
    serde_json::json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}})
}

/// POSTs a JSON-RPC body to an MCP endpoint with optional extra headers.
pub async fn mcp_post(url: &str, body: &serde_json::Value, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .json(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

/// A server wired to a fake Telegram DC, with helpers to log in and call tools over HTTP MCP.
pub struct TgHarness {
    pub dc: fake_tg_dc::FakeDc,
    pub srv: TestServer,
}

/// Fake API credentials accepted by the fake DC.
pub const API_ID: &str = "12345";
/// Fake API hash.
pub const API_HASH: &str = "0123456789abcdef0123456789abcdef";

impl TgHarness {
    /// Starts the demo world and a server pointed at it.
    pub async fn start(extra: &[(&str, &str)]) -> TgHarness {
        Self::start_with(extra, KeyStore::none()).await
    }

    /// Like [`TgHarness::start`], with a keyring (session files are then sealed).
    pub async fn start_with(extra: &[(&str, &str)], keystore: KeyStore) -> TgHarness {
        let dc = fake_tg_dc::FakeDc::start(fake_tg_dc::World::demo()).await.unwrap();
        let addr = dc.addr().to_string();
        let mut vars: Vec<(&str, &str)> = vec![("API_ID", API_ID), ("API_HASH", API_HASH), ("TELEGRAM_DC_ADDR", &addr)];
        vars.extend_from_slice(extra);
        let srv = TestServer::start_with(tempfile::tempdir().unwrap(), &vars, keystore).await;
        dc.watch_session_dir(srv.app.sessions.dir());
        TgHarness { dc, srv }
    }

    /// Stops the server and starts a new one (a fresh `App`) on the same config dir and DC.
    pub async fn restart(mut self, extra: &[(&str, &str)]) -> TgHarness {
        let dir = std::mem::replace(&mut self.srv.dir, tempfile::tempdir().unwrap());
        let TgHarness { dc, srv } = self;
        srv.app.shutdown().await;
        drop(srv);
        let addr = dc.addr().to_string();
        let mut vars: Vec<(&str, &str)> = vec![("API_ID", API_ID), ("API_HASH", API_HASH), ("TELEGRAM_DC_ADDR", &addr)];
        vars.extend_from_slice(extra);
        let srv = TestServer::start_in(dir, &vars).await;
        TgHarness { dc, srv }
    }

    /// Creates a token with full access (every tool, the sensitive chats still blocked) and logs
    /// its session in with phone + code (+ password); returns the token.
    pub async fn login(&self, phone: &str, code: &str, password: Option<&str>) -> String {
        use tgmcp_core::policy::{Access, Policy};
        self.login_with(phone, code, password, Policy { access: Access::Full, ..Policy::default() }).await
    }

    /// Like [`TgHarness::login`], with the token's policy given.
    pub async fn login_with(
        &self,
        phone: &str,
        code: &str,
        password: Option<&str>,
        policy: tgmcp_core::policy::Policy,
    ) -> String {
        use tgmcp_core::login::LoginStep;
        let issued = self.srv.app.tokens.create("test").unwrap();
        self.srv.app.tokens.set_policy(&issued.record.id, policy).unwrap();
        let app = &self.srv.app;
        let step =
            app.logins.start_code(&app.sessions, &issued.record.session_id, phone, Default::default()).await.unwrap();
        let LoginStep::Code { login_id } = step else { panic!("expected code step, got {step:?}") };
        let mut step = app.logins.submit_code(&login_id, code).await.unwrap();
        if let LoginStep::Password { login_id, .. } = &step {
            step = app.logins.submit_password(login_id, password.expect("account needs a password")).await.unwrap();
        }
        assert!(matches!(step, LoginStep::Done { .. }), "{step:?}");
        // As the control layer does after a login: the tokens of the session name its account.
        app.tokens.set_account(&issued.record.session_id, Some(format!("test account {phone}"))).unwrap();
        issued.token.expose().to_string()
    }

    /// Calls a tool over HTTP MCP; returns (is_error, structured content).
    pub async fn call(&self, token: &str, tool: &str, args: serde_json::Value) -> (bool, serde_json::Value) {
        let (is_error, v, _) = self.call_full(token, tool, args).await;
        (is_error, v)
    }

    /// Like [`call`], also returning the raw `content` blocks.
    pub async fn call_full(
        &self,
        token: &str,
        tool: &str,
        args: serde_json::Value,
    ) -> (bool, serde_json::Value, serde_json::Value) {
        let body =
            serde_json::json!({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":tool,"arguments":args}});
        let r = mcp_post(&self.srv.url("/v1/mcp"), &body, &[("authorization", &format!("Bearer {token}"))]).await;
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        let result = v.get("result").unwrap_or_else(|| panic!("no result: {v}"));
        (result["isError"].as_bool().unwrap_or(false), result["structuredContent"].clone(), result["content"].clone())
    }

    /// Calls a tool as a stdio client of `token`'s session would (identity with the stdio
    /// transport, MCP over an in-memory pipe); returns (is_error, structured content).
    pub async fn call_stdio(&self, token: &str, tool: &str, args: serde_json::Value) -> (bool, serde_json::Value) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
        let rec = self.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(token).unwrap()).unwrap();
        let identity = tgmcp_core::app::Identity {
            session_id: rec.session_id,
            token_id: Some(rec.id),
            transport: tgmcp_core::config::Transport::Stdio,
        };
        let (client, server) = tokio::io::duplex(1 << 20);
        let handler = tgmcp_core::mcp::TelegramMcp::new(self.srv.app.clone(), Some(identity));
        let (sr, sw) = tokio::io::split(server);
        tokio::spawn(async move {
            if let Ok(s) = rmcp::serve_server(handler, (sr, sw)).await {
                let _ = s.waiting().await;
            }
        });
        let (cr, mut cw) = tokio::io::split(client);
        let mut lines = tokio::io::BufReader::new(cr).lines();
        let mut send = async |v: serde_json::Value| {
            cw.write_all(format!("{v}\n").as_bytes()).await.unwrap();
        };
        send(initialize_body()).await;
        let init = lines.next_line().await.unwrap().expect("initialize answered");
        assert!(init.contains("\"result\""), "{init}");
        send(serde_json::json!({"jsonrpc":"2.0","method":"notifications/initialized"})).await;
        send(serde_json::json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":tool,"arguments":args}}))
            .await;
        loop {
            let line = lines.next_line().await.unwrap().expect("tools/call answered");
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            if v["id"] == 2 {
                let result = &v["result"];
                return (result["isError"].as_bool().unwrap_or(false), result["structuredContent"].clone());
            }
        }
    }

    /// Calls a tool and asserts success.
    pub async fn ok(&self, token: &str, tool: &str, args: serde_json::Value) -> serde_json::Value {
        let (err, v) = self.call(token, tool, args.clone()).await;
        assert!(!err, "{tool} {args} failed: {v}");
        v
    }
}

/// Texts of the messages of a tool result.
pub fn texts(v: &serde_json::Value) -> Vec<String> {
    v["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap_or("").to_string()).collect()
}

/// How many times the fake DC was asked `method`.
pub fn calls_of(h: &TgHarness, method: &str) -> usize {
    h.dc.calls().iter().filter(|c| c.method == method).count()
}

/// The next write waiting for approval (waits on the list's change notifications, not on time).
pub async fn next_pending(h: &TgHarness) -> tgmcp_core::approvals::PendingWrite {
    let mut changes = h.srv.app.approvals.subscribe();
    loop {
        if let Some(p) = h.srv.app.approvals.list().into_iter().next() {
            return p;
        }
        changes.changed().await.unwrap();
    }
}
