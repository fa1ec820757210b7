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
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestServer {
    /// Starts a server with extra env-style settings.
    pub async fn start(extra: &[(&str, &str)]) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, extra).await
    }

    /// Starts a server on an existing config dir.
    pub async fn start_in(dir: tempfile::TempDir, extra: &[(&str, &str)]) -> TestServer {
        let mut vars: HashMap<String, String> = HashMap::new();
        vars.insert("SESSION_DIR".into(), dir.path().to_string_lossy().into_owned());
        vars.insert("SERVER_MODE".into(), "http".into());
        for (k, v) in extra {
            vars.insert(k.to_string(), v.to_string());
        }
        let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
        let app = App::new(config, KeyStore::none()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let a = app.clone();
        tokio::spawn(async move {
            tgmcp_core::transport::http::serve(a, listener, async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer { app, addr, dir, shutdown: Some(tx) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
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
