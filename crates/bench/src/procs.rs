//! Config dirs wired to the fake DC, our release binaries as real processes, and what the
//! kernel says about them (RSS, PSS, I/O counters).

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Fake API credentials the fake DC accepts.
pub const API_ID: &str = "12345";
pub const API_HASH: &str = "0123456789abcdef0123456789abcdef";

/// A config dir pointed at the fake DC, and the binaries to run on it.
pub struct Env {
    pub dir: PathBuf,
    pub bin: PathBuf,
    pub vars: Vec<(String, String)>,
}

impl Env {
    /// A fresh config dir under /tmp (short: Unix socket paths are limited to ~108 bytes).
    pub fn new(bin: &Path, dc: &fake_tg_dc::FakeDc, name: &str) -> anyhow::Result<Env> {
        let dir = std::env::temp_dir().join(format!("fmtb-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sessions"))?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        std::fs::set_permissions(dir.join("sessions"), std::fs::Permissions::from_mode(0o700))?;
        dc.watch_session_dir(dir.join("sessions"));
        let vars = vec![
            ("SESSION_DIR".to_string(), dir.to_string_lossy().into_owned()),
            ("API_ID".into(), API_ID.into()),
            ("API_HASH".into(), API_HASH.into()),
            ("TELEGRAM_DC_ADDR".into(), dc.addr().to_string()),
            ("AGENT_IDLE_EXIT_SECONDS".into(), "120".into()),
            ("LOG_LEVEL".into(), "warn".into()),
            // Room for the many-sessions part (the default keeps 10 connected).
            ("MAX_ACTIVE_SESSIONS".into(), "128".into()),
        ];
        Ok(Env { dir, bin: bin.to_path_buf(), vars })
    }

    /// `fast-mcp-telegram args…` with this env only (no .env, no keyring, no developer config).
    pub fn cmd(&self, args: &[&str]) -> Command {
        self.cmd_of(&self.bin, args)
    }

    /// Any program with this env.
    pub fn cmd_of(&self, program: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.args(args).env_clear().current_dir(&self.dir);
        for k in ["PATH", "HOME", "TMPDIR", "LANG"] {
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

    /// Starts `serve --transport http --port 0`; returns the child and its base URL.
    pub async fn http_owner(&self) -> anyhow::Result<(Child, String)> {
        let mut c = self.cmd(&["serve", "--transport", "http", "--port", "0"]);
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = c.spawn().context("cannot start the HTTP owner")?;
        let line = wait_line(&mut child, "LISTENING ", Duration::from_secs(30)).await?;
        Ok((child, line.trim_start_matches("LISTENING ").trim().to_string()))
    }

    /// Starts `agent --idle-exit 0` in the foreground; returns the child once its socket is up.
    pub async fn agent(&self) -> anyhow::Result<Child> {
        let mut c = self.cmd(&["agent", "--idle-exit", "0"]);
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = c.spawn().context("cannot start the agent")?;
        wait_line(&mut child, "AGENT pid", Duration::from_secs(30)).await?;
        Ok(child)
    }

    /// The pid the current owner published in `agent.json`, if any.
    pub fn owner_pid(&self) -> Option<u32> {
        let v: Value = serde_json::from_slice(&std::fs::read(self.dir.join("agent.json")).ok()?).ok()?;
        v["pid"].as_u64().map(|p| p as u32)
    }

    /// Stops a background agent (if one runs) and waits until its process is gone.
    pub async fn stop_background_agent(&self) -> anyhow::Result<()> {
        let pid = self.owner_pid();
        tgmcp_core::owner::client::request_shutdown(&self.dir).await.map_err(|e| anyhow!("agent stop: {e}"))?;
        if let Some(pid) = pid {
            wait_gone(pid, Duration::from_secs(20)).await?;
        }
        Ok(())
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // A background agent started by a stdio relay is not our child: ask it to go.
        let mut c = std::process::Command::new(&self.bin);
        c.args(["agent", "stop"]).env_clear().env("SESSION_DIR", &self.dir).stdout(Stdio::null()).stderr(Stdio::null());
        let _ = c.status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Reads the child's stderr until a line containing `needle`; keeps draining it afterwards.
pub async fn wait_line(child: &mut Child, needle: &str, timeout: Duration) -> anyhow::Result<String> {
    let err = child.stderr.take().ok_or_else(|| anyhow!("no stderr pipe"))?;
    let mut lines = BufReader::new(err).lines();
    let mut log = Vec::new();
    let found = tokio::time::timeout(timeout, async {
        while let Some(line) = lines.next_line().await? {
            if line.contains(needle) {
                return Ok::<_, std::io::Error>(Some(line));
            }
            log.push(line);
        }
        Ok(None)
    })
    .await;
    match found {
        Ok(Ok(Some(line))) => {
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            Ok(line)
        }
        Ok(Ok(None)) => bail!("process exited before printing {needle:?}:\n{}", log.join("\n")),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => bail!("no {needle:?} within {timeout:?}:\n{}", log.join("\n")),
    }
}

/// Whether `pid` runs (a zombie counts as gone).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// Waits (bounded) until `pid` is gone.
pub async fn wait_gone(pid: u32, timeout: Duration) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    while alive(pid) {
        if tokio::time::Instant::now() >= deadline {
            bail!("process {pid} did not exit within {timeout:?}");
        }
        // Polling a process that is not our child: there is nothing to wait on.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// Sends SIGTERM to a child and waits for it (SIGKILL after 10 s).
pub async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id() {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    }
    if tokio::time::timeout(Duration::from_secs(10), child.wait()).await.is_err() {
        let _ = child.kill().await;
    }
}

/// Memory of a set of processes, in KiB (RSS from /proc/pid/status, PSS from smaps_rollup).
#[derive(Debug, Clone, Copy, Default)]
pub struct Mem {
    pub rss_kib: u64,
    pub pss_kib: u64,
    pub processes: usize,
}

impl Mem {
    pub fn of(pids: &[u32]) -> Mem {
        let mut m = Mem::default();
        for &pid in pids {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
            if let Some(rss) = field_kib(&status, "VmRSS:") {
                m.rss_kib += rss;
                m.pss_kib += field_kib(&rollup, "Pss:").unwrap_or(0);
                m.processes += 1;
            }
        }
        m
    }

    pub fn mib(kib: u64) -> f64 {
        kib as f64 / 1024.0
    }

    pub fn json(&self) -> Value {
        json!({
            "rss_mib": crate::stats::round3(Self::mib(self.rss_kib)),
            "pss_mib": crate::stats::round3(Self::mib(self.pss_kib)),
            "processes": self.processes,
        })
    }
}

fn field_kib(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// `pid` and all its descendants (from /proc/*/stat parent links).
pub fn tree(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else { continue };
            let Some((_, rest)) = stat.rsplit_once(") ") else { continue };
            if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|s| s.parse().ok()) {
                parents.push((p, ppid));
            }
        }
    }
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let cur = out[i];
        out.extend(parents.iter().filter(|(_, pp)| *pp == cur).map(|(p, _)| *p));
        i += 1;
    }
    out
}

/// `/proc/pid/io` counters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Io {
    pub wchar: u64,
    pub syscw: u64,
    pub write_bytes: u64,
}

impl Io {
    pub fn of(pid: u32) -> Io {
        let t = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
        let get = |k: &str| field_kib(&t, k).unwrap_or(0);
        Io { wchar: get("wchar:"), syscw: get("syscw:"), write_bytes: get("write_bytes:") }
    }
}
