//! Minimal MCP clients: JSON-RPC lines over a child's stdin/stdout, and streamable HTTP
//! (stateless, JSON responses) with reqwest keep-alive.

use anyhow::{anyhow, bail};
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How long one answer may take before the bench calls it an error.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// The `initialize` params every client sends.
pub fn init_params() -> Value {
    json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "fmt-bench", "version": "1"}})
}

/// A stdio MCP server process, driven one request at a time.
pub struct Stdio1 {
    pub child: Child,
    stdin: ChildStdin,
    out: Lines<BufReader<ChildStdout>>,
    next: i64,
}

impl Stdio1 {
    /// Spawns the command with piped stdin/stdout (stderr discarded).
    pub fn spawn(mut cmd: Command) -> anyhow::Result<Stdio1> {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = cmd.spawn()?;
        let stdin = child.stdin.take().ok_or_else(|| anyhow!("no stdin"))?;
        let out = BufReader::new(child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?).lines();
        Ok(Stdio1 { child, stdin, out, next: 1 })
    }

    /// Sends a request and waits for its answer (skipping notifications and server requests).
    pub async fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let id = self.next;
        self.next += 1;
        let line = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string() + "\n";
        self.stdin.write_all(line.as_bytes()).await?;
        self.stdin.flush().await?;
        let wait = async {
            loop {
                let Some(line) = self.out.next_line().await? else { bail!("the server closed stdout") };
                let v: Value = match serde_json::from_str(&line) {
                    Ok(v) => v,
                    Err(_) => continue,
                };
                if v.get("method").is_none() && v["id"].as_i64() == Some(id) {
                    return Ok(v);
                }
            }
        };
        tokio::time::timeout(ANSWER_TIMEOUT, wait).await.map_err(|_| anyhow!("{method}: no answer in time"))?
    }

    pub async fn notify(&mut self, method: &str) -> anyhow::Result<()> {
        let line = json!({"jsonrpc": "2.0", "method": method}).to_string() + "\n";
        self.stdin.write_all(line.as_bytes()).await?;
        self.stdin.flush().await?;
        Ok(())
    }

    /// `initialize` + `notifications/initialized`.
    pub async fn initialize(&mut self) -> anyhow::Result<Value> {
        let v = self.request("initialize", init_params()).await?;
        if v.get("result").is_none() {
            bail!("initialize failed: {v}");
        }
        self.notify("notifications/initialized").await?;
        Ok(v)
    }

    /// A tool call that must succeed; returns its structured content.
    pub async fn tool(&mut self, name: &str, args: Value) -> anyhow::Result<Value> {
        let v = self.request("tools/call", json!({"name": name, "arguments": args})).await?;
        tool_result(name, v)
    }

    /// Closes stdin and waits for the process to exit.
    pub async fn close(self) -> anyhow::Result<()> {
        let Stdio1 { mut child, stdin, .. } = self;
        drop(stdin);
        match tokio::time::timeout(Duration::from_secs(15), child.wait()).await {
            Ok(r) => {
                r?;
            }
            Err(_) => {
                let _ = child.kill().await;
                bail!("the stdio server did not exit after stdin closed");
            }
        }
        Ok(())
    }
}

/// The structured content of a successful `tools/call` answer, else an error.
pub fn tool_result(name: &str, v: Value) -> anyhow::Result<Value> {
    match v.get("result") {
        Some(r) if r["isError"] != true => Ok(r["structuredContent"].clone()),
        Some(r) => bail!("{name} failed: {}", r["structuredContent"]),
        None => bail!("{name} failed: {}", v.get("error").unwrap_or(&v)),
    }
}

/// An MCP client over streamable HTTP (our server is stateless: no initialize needed).
#[derive(Clone)]
pub struct Http {
    pub client: reqwest::Client,
    pub url: String,
}

impl Http {
    pub fn new(base: &str) -> Http {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .timeout(ANSWER_TIMEOUT)
            .build()
            .expect("reqwest client");
        Http { client, url: format!("{base}/v1/mcp") }
    }

    pub async fn request(&self, token: &str, method: &str, params: Value) -> anyhow::Result<Value> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let r = self
            .client
            .post(&self.url)
            .bearer_auth(token)
            .header("accept", "application/json, text/event-stream")
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let bytes = r.bytes().await?;
        if !status.is_success() {
            bail!("{method}: HTTP {status}: {}", String::from_utf8_lossy(&bytes));
        }
        Ok(serde_json::from_slice(&bytes)?)
    }

    pub async fn tools_list(&self, token: &str) -> anyhow::Result<usize> {
        let v = self.request(token, "tools/list", json!({})).await?;
        v["result"]["tools"].as_array().map(Vec::len).ok_or_else(|| anyhow!("tools/list: {v}"))
    }

    pub async fn tool(&self, token: &str, name: &str, args: Value) -> anyhow::Result<Value> {
        let v = self.request(token, "tools/call", json!({"name": name, "arguments": args})).await?;
        tool_result(name, v)
    }
}
