//! Helpers for tests that run the real `fast-mcp-telegram` binary as several processes: a
//! config dir wired to an in-process fake Telegram DC, CLI commands, owners and stdio clients.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{Mutex, oneshot};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_fast-mcp-telegram");

/// A config dir pointed at a fake DC; stops any background agent when dropped.
pub struct Env {
    pub dc: fake_tg_dc::FakeDc,
    pub dir: tempfile::TempDir,
    pub vars: Vec<(String, String)>,
    children: std::sync::Mutex<Vec<u32>>,
}

impl Env {
    pub async fn new() -> Env {
        let dc = fake_tg_dc::FakeDc::start(fake_tg_dc::World::demo()).await.unwrap();
        // Short path: Unix socket addresses are limited to ~108 bytes.
        let base = if cfg!(unix) { std::path::PathBuf::from("/tmp") } else { std::env::temp_dir() };
        let dir = tempfile::Builder::new().prefix("fmt-").tempdir_in(base).unwrap();
        dc.watch_session_dir(dir.path().join("sessions"));
        let vars = vec![
            ("SESSION_DIR".to_string(), dir.path().to_string_lossy().into_owned()),
            ("API_ID".into(), "12345".into()),
            ("API_HASH".into(), "0123456789abcdef0123456789abcdef".into()),
            ("TELEGRAM_DC_ADDR".into(), dc.addr().to_string()),
            ("AGENT_IDLE_EXIT_SECONDS".into(), "60".into()),
            ("LOG_LEVEL".into(), "info".into()),
        ];
        Env { dc, dir, vars, children: Default::default() }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A command for the binary with this env (and nothing of the developer's: no .env, no keyring).
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args).env_clear().current_dir(self.path());
        // Windows needs SystemRoot (Winsock loads its providers from there) and a temp dir.
        for k in ["PATH", "HOME", "TMPDIR", "SystemRoot", "TEMP", "TMP", "USERPROFILE", "APPDATA", "LOCALAPPDATA"] {
            if let Ok(v) = std::env::var(k) {
                c.env(k, v);
            }
        }
        c.env("DBUS_SESSION_BUS_ADDRESS", "disabled:");
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c.kill_on_drop(true);
        c
    }

    /// Runs a CLI command to the end; returns (success, stdout, stderr).
    pub async fn run(&self, args: &[&str], stdin: &str) -> (bool, String, String) {
        let mut c = self.cmd(args);
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).await.unwrap();
        drop(input);
        let out = child.wait_with_output().await.unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs a CLI command that must succeed; returns its stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.run(args, "").await;
        assert!(ok, "{args:?} failed: {err}");
        out
    }

    /// `login` for demo account A through the CLI; returns (token, token id).
    pub async fn login_a(&self) -> (String, String) {
        let (ok, out, err) =
            self.run(&["login", "--phone", fake_tg_dc::demo::A_PHONE, "--label", "t"], "12345\n").await;
        assert!(ok, "login failed: {err}");
        let token = out.trim().lines().last().unwrap().to_string();
        (token, token_id_in(&err))
    }

    /// `token new`; returns (token, token id).
    pub async fn new_token(&self, extra: &[&str]) -> (String, String) {
        let mut args = vec!["token", "new", "--label", "t"];
        args.extend_from_slice(extra);
        let (ok, out, err) = self.run(&args, "").await;
        assert!(ok, "token new failed: {err}");
        (out.trim().to_string(), token_id_in(&err))
    }

    /// Token ids listed by `token list --json`.
    pub async fn listed(&self) -> Vec<String> {
        let v: Value = serde_json::from_str(&self.ok(&["token", "list", "--json"]).await).unwrap();
        v.as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()).collect()
    }

    /// Starts `serve --transport http --port 0` and waits for its LISTENING line.
    pub async fn http_owner(&self) -> Owner {
        let mut c = self.cmd(&["serve", "--transport", "http", "--port", "0"]);
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut log = Vec::new();
        let url = loop {
            let line = err.next_line().await.unwrap().unwrap_or_else(|| panic!("owner exited: {}", log.join("\n")));
            if let Some(u) = line.strip_prefix("LISTENING ") {
                break u.to_string();
            }
            log.push(line);
        };
        let log = Arc::new(std::sync::Mutex::new(log));
        let l2 = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = err.next_line().await {
                l2.lock().unwrap().push(line);
            }
        });
        self.children.lock().unwrap().push(child.id().unwrap());
        Owner { child, url, log }
    }

    /// The pid the current owner published, if any.
    pub fn owner_pid(&self) -> Option<u32> {
        let v: Value = serde_json::from_slice(&std::fs::read(self.path().join("agent.json")).ok()?).ok()?;
        v["pid"].as_u64().map(|p| p as u32)
    }

    /// The background agent's log.
    pub fn agent_log(&self) -> String {
        std::fs::read_to_string(self.path().join("agent.log")).unwrap_or_default()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // Stop a background agent a stdio client may have started, then anything we started.
        let mut c = std::process::Command::new(BIN);
        c.args(["agent", "stop"])
            .env_clear()
            .env("SESSION_DIR", self.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("SystemRoot", std::env::var("SystemRoot").unwrap_or_default());
        let _ = c.output();
        for pid in self.children.lock().unwrap().drain(..) {
            // At worst it no longer exists.
            kill_hard(pid);
        }
    }
}

/// A running owner process.
pub struct Owner {
    pub child: Child,
    pub url: String,
    pub log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Owner {
    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

/// The `tok_…` id printed on stderr by `token new` / `login`.
pub fn token_id_in(stderr: &str) -> String {
    let i = stderr.find("token id: tok_").unwrap_or_else(|| panic!("no token id in {stderr}")) + "token id: ".len();
    stderr[i..i + 16].to_string()
}

/// An MCP client speaking to `serve --transport stdio` over its stdin/stdout (requests pipelined).
pub struct StdioClient {
    pub child: Child,
    stdin: Mutex<ChildStdin>,
    waiting: Arc<std::sync::Mutex<HashMap<i64, oneshot::Sender<Value>>>>,
    next: AtomicI64,
    pub stderr: Arc<std::sync::Mutex<String>>,
}

impl StdioClient {
    /// Starts the relay with `args` after `serve --transport stdio` and completes `initialize`.
    pub async fn start(env: &Env, args: &[&str]) -> StdioClient {
        let mut all = vec!["serve", "--transport", "stdio"];
        all.extend_from_slice(args);
        let mut c = env.cmd(&all);
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let waiting: Arc<std::sync::Mutex<HashMap<i64, oneshot::Sender<Value>>>> = Default::default();
        let w = waiting.clone();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = out.next_line().await {
                let v: Value =
                    serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad line from the relay ({e}): {line}"));
                if let Some(id) = v["id"].as_i64()
                    && v.get("method").is_none()
                    && let Some(tx) = w.lock().unwrap().remove(&id)
                {
                    let _ = tx.send(v);
                }
            }
            // The relay exited: answer everyone still waiting.
            for (_, tx) in w.lock().unwrap().drain() {
                let _ = tx.send(json!({"error": {"message": "relay exited"}}));
            }
        });
        let stderr = Arc::new(std::sync::Mutex::new(String::new()));
        let e2 = stderr.clone();
        let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = err.next_line().await {
                let mut s = e2.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let client = StdioClient { child, stdin: Mutex::new(stdin), waiting, next: AtomicI64::new(1), stderr };
        let init = client
            .request(
                "initialize",
                json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "owner-test", "version": "1"}}),
            )
            .await;
        assert!(init.get("result").is_some(), "initialize failed: {init} {}", client.stderr.lock().unwrap());
        client.notify("notifications/initialized").await;
        client
    }

    pub async fn request(&self, method: &str, params: Value) -> Value {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().unwrap().insert(id, tx);
        let line = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string() + "\n";
        if self.stdin.lock().await.write_all(line.as_bytes()).await.is_err() {
            return json!({"error": {"message": "relay stdin closed"}});
        }
        rx.await.unwrap_or_else(|_| json!({"error": {"message": "no answer"}}))
    }

    async fn notify(&self, method: &str) {
        let line = json!({"jsonrpc": "2.0", "method": method}).to_string() + "\n";
        self.stdin.lock().await.write_all(line.as_bytes()).await.unwrap();
    }

    /// Calls a tool; returns `Ok(structured result)` or `Err(the error or tool error)`.
    pub async fn tool(&self, name: &str, args: Value) -> Result<Value, Value> {
        let v = self.request("tools/call", json!({"name": name, "arguments": args})).await;
        match v.get("result") {
            Some(r) if r["isError"] != true => Ok(r["structuredContent"].clone()),
            Some(r) => Err(r["structuredContent"].clone()),
            None => Err(v.get("error").cloned().unwrap_or(v)),
        }
    }
}

/// Files of a dir (recursively one level) with their modes.
#[cfg(unix)]
pub fn modes(dir: &Path) -> Vec<(std::path::PathBuf, u32)> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| (e.path(), std::fs::symlink_metadata(e.path()).unwrap().permissions().mode() & 0o777))
        .collect()
}

/// Kills process `pid` the hard way (SIGKILL; TerminateProcess on Windows): no clean-up runs.
/// `false` if there was no such process to kill.
#[cfg(unix)]
pub fn kill_hard(pid: u32) -> bool {
    // SAFETY: kill(2) on a pid this test started; at worst it no longer exists.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) == 0 }
}

/// Kills process `pid` the hard way (SIGKILL; TerminateProcess on Windows): no clean-up runs.
/// `false` if there was no such process to kill.
#[cfg(windows)]
pub fn kill_hard(pid: u32) -> bool {
    use windows_sys::Win32::Foundation::CloseHandle;
    use windows_sys::Win32::System::Threading::{OpenProcess, PROCESS_TERMINATE, TerminateProcess};
    // SAFETY: a handle request for a pid this test started, closed below.
    let h = unsafe { OpenProcess(PROCESS_TERMINATE, 0, pid) };
    if h.is_null() {
        return false;
    }
    // SAFETY: `h` is a live process handle we own.
    let killed = unsafe { TerminateProcess(h, 137) } != 0;
    // SAFETY: closed once.
    unsafe { CloseHandle(h) };
    killed
}
