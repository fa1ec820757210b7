//! Disk writes of a running process: `strace -f -y` attached around a number of calls, with
//! writes split into files (a path) and everything else (sockets, pipes, eventfds).

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Syscalls that change files (plus `write`/`pwrite64`, split by target).
const TRACED: &str =
    "trace=fsync,fdatasync,sync_file_range,unlink,unlinkat,rename,renameat,renameat2,write,pwrite64,writev,ftruncate";

/// Whether strace can be used here.
pub fn strace_available() -> bool {
    std::process::Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// An attached strace.
pub struct Trace {
    child: Child,
    out: PathBuf,
}

impl Trace {
    /// Attaches to every thread of `pid`; returns once strace reports the attach.
    pub async fn attach(pid: u32, out: &Path) -> anyhow::Result<Trace> {
        let _ = std::fs::remove_file(out);
        let mut c = Command::new("strace");
        c.args(["-f", "-y", "-e", TRACED, "-o"]).arg(out).arg("-p").arg(pid.to_string());
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
        let mut child = c.spawn().context("cannot run strace")?;
        let err = child.stderr.take().expect("piped");
        let mut lines = BufReader::new(err).lines();
        // strace prints one "Process N attached" per thread; the first comes after all threads
        // of the group were seized.
        let first = tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await;
        match first {
            Ok(Ok(Some(l))) if l.contains("attached") => {}
            other => bail!("strace did not attach to {pid}: {other:?}"),
        }
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        // The remaining threads are attached right after the first line.
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(Trace { child, out: out.to_path_buf() })
    }

    /// Detaches and counts what was traced.
    pub async fn finish(mut self) -> anyhow::Result<Counts> {
        if let Some(pid) = self.child.id() {
            // SAFETY: kill(2) on our own strace child; SIGINT makes it detach cleanly.
            unsafe { libc::kill(pid as i32, libc::SIGINT) };
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        let _ = std::fs::remove_file(&self.out);
        Ok(Counts::parse(&text))
    }
}

/// Counted syscalls.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Per syscall, file targets only for write-like calls.
    pub by_call: BTreeMap<String, u64>,
    /// Write-like calls to sockets, pipes and other non-files.
    pub non_file_writes: u64,
    /// File paths touched (write, fsync, unlink…) with counts.
    pub paths: BTreeMap<String, u64>,
    /// Destinations of renames (an atomic write renames a temporary file onto them).
    pub renamed_to: BTreeMap<String, u64>,
}

impl Counts {
    fn parse(text: &str) -> Counts {
        let mut c = Counts::default();
        for line in text.lines() {
            // `PID call(args) = ret`, or `PID call(args <unfinished ...>`; skip resumptions and signals.
            let rest = line.split_once(' ').map_or(line, |(_, r)| r).trim_start();
            if rest.starts_with("<...") || rest.starts_with("---") || rest.starts_with("+++") {
                continue;
            }
            let Some((call, args)) = rest.split_once('(') else { continue };
            let call = call.trim();
            if call.is_empty() || !call.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
                continue;
            }
            let path = target_path(call, args);
            let write_like = matches!(call, "write" | "pwrite64" | "writev");
            match (&path, write_like) {
                (None, true) => c.non_file_writes += 1,
                _ => {
                    *c.by_call.entry(call.to_string()).or_default() += 1;
                    if let Some(p) = path {
                        *c.paths.entry(p).or_default() += 1;
                    }
                    if let Some(to) = rename_target(call, args) {
                        *c.renamed_to.entry(to).or_default() += 1;
                    }
                }
            }
        }
        c
    }

    pub fn get(&self, call: &str) -> u64 {
        self.by_call.get(call).copied().unwrap_or(0)
    }

    /// fsync-like calls.
    pub fn syncs(&self) -> u64 {
        self.get("fsync") + self.get("fdatasync") + self.get("sync_file_range")
    }

    pub fn unlinks(&self) -> u64 {
        self.get("unlink") + self.get("unlinkat")
    }

    pub fn file_writes(&self) -> u64 {
        self.get("write") + self.get("pwrite64") + self.get("writev")
    }

    /// Calls that touched the session store (`sessions/`: session files and their temporaries).
    pub fn session_file_ops(&self) -> u64 {
        let in_sessions = |p: &String| p.contains("/sessions/");
        self.paths.iter().filter(|(p, _)| in_sessions(p)).map(|(_, n)| n).sum::<u64>()
            + self.renamed_to.iter().filter(|(p, _)| in_sessions(p)).map(|(_, n)| n).sum::<u64>()
    }

    /// The files that were replaced (rename destinations), by file name, e.g. `last_used.json ×1`.
    pub fn replaced_files(&self) -> String {
        let names: Vec<String> =
            self.renamed_to.iter().map(|(p, n)| format!("{} ×{n}", p.rsplit('/').next().unwrap_or(p))).collect();
        names.join(", ")
    }

    pub fn json(&self, calls: usize) -> Value {
        let per = |n: u64| crate::stats::round3(n as f64 / calls.max(1) as f64);
        json!({
            "calls": calls,
            "fsync_per_call": per(self.syncs()),
            "unlink_per_call": per(self.unlinks()),
            "file_write_per_call": per(self.file_writes()),
            "rename_per_call": per(self.get("rename") + self.get("renameat") + self.get("renameat2")),
            "non_file_writes_per_call": per(self.non_file_writes),
            "session_file_ops_total": self.session_file_ops(),
            "renamed_to_total": self.renamed_to,
            "syscalls_total": self.by_call,
            "paths_total": self.paths,
        })
    }
}

/// The destination of a rename (its second quoted path).
fn rename_target(call: &str, args: &str) -> Option<String> {
    if !matches!(call, "rename" | "renameat" | "renameat2") {
        return None;
    }
    let mut quoted = args.split('"').skip(1).step_by(2);
    quoted.next()?;
    quoted.next().map(str::to_string)
}

/// The file a traced call acts on: `fd</path>` (strace -y) or the first quoted path argument.
fn target_path(call: &str, args: &str) -> Option<String> {
    match call {
        "unlink" | "unlinkat" | "rename" | "renameat" | "renameat2" => {
            let start = args.find('"')? + 1;
            let end = start + args[start..].find('"')?;
            Some(args[start..end].to_string())
        }
        _ => {
            let start = args.find('<')? + 1;
            let end = start + args[start..].find('>')?;
            let p = &args[start..end];
            p.starts_with('/').then(|| p.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_file_writes_from_socket_writes() {
        let text = "\
12 write(7</tmp/x/sessions/s_a.session-journal>, \"\\331\\325\", 512) = 512
12 fsync(7</tmp/x/sessions/s_a.session-journal>) = 0
13 write(9<socket:[123]>, \"abc\", 3) = 3
13 writev(10<TCP:[127.0.0.1:1->127.0.0.1:2]>, [{iov_base=\"a\", iov_len=1}], 1) = 1
12 unlink(\"/tmp/x/sessions/s_a.session-journal\") = 0
14 fsync(8</tmp/x/sessions/s_a.session> <unfinished ...>
14 <... fsync resumed>) = 0
15 write(3<anon_inode:[eventfd]>, \"\\1\\0\\0\\0\\0\\0\\0\\0\", 8) = 8
16 rename(\"/tmp/x/.tmp-1f\", \"/tmp/x/last_used.json\") = 0
";
        let c = Counts::parse(text);
        assert_eq!(c.file_writes(), 1);
        assert_eq!(c.syncs(), 2);
        assert_eq!(c.unlinks(), 1);
        assert_eq!(c.non_file_writes, 3);
        assert_eq!(c.paths["/tmp/x/sessions/s_a.session-journal"], 3);
        assert_eq!(c.session_file_ops(), 4, "three on the journal, one fsync of the session file");
        assert_eq!(c.replaced_files(), "last_used.json ×1");
    }
}
