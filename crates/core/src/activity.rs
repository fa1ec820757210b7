//! The activity log: one JSON line per tool call in `activity.jsonl` in the config dir (0600,
//! append-only, rotated by size), so the user can see what every assistant did.
//!
//! A line holds the time, token, tool, chats, message ids, outcome and duration; message text
//! only when the user turned `ACTIVITY_LOG_TEXT` on. Lines are buffered in memory and appended
//! at most about once a second (and at shutdown), so a burst of read-only calls costs one write.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Size at which `activity.jsonl` is rotated to `activity.1.jsonl`.
pub const ROTATE_BYTES: u64 = 5 * 1024 * 1024;
/// Rotated files kept (`activity.1.jsonl` … `activity.3.jsonl`).
pub const KEEP_ROTATED: usize = 3;
/// Lines kept in memory before a write is forced.
const BUFFER_LINES: usize = 256;

/// One tool call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// When the call started, Unix milliseconds.
    pub ts_ms: i64,
    /// The token used (none in the development bypass).
    pub token_id: Option<String>,
    /// The Telegram session it acted on.
    pub session_id: String,
    /// `stdio` or `http`.
    pub transport: String,
    /// The tool (`invoke_mtproto:messages.getHistory` for raw calls names the method).
    pub tool: String,
    /// Bot API ids of the chats it named or reached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chats: Vec<i64>,
    /// Ids of messages it sent or edited.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub message_ids: Vec<i32>,
    /// `ok` or `error`.
    pub outcome: String,
    /// The error's kind (`forbidden`, `telegram`, …) when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    /// The error message when it failed (shortened).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: u64,
    /// The message text it sent or wrote, only with `ACTIVITY_LOG_TEXT` on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Which entries to read back.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Only this token.
    #[serde(default)]
    pub token_id: Option<String>,
    /// Only this tool (a raw call matches `invoke_mtproto` too).
    #[serde(default)]
    pub tool: Option<String>,
    /// Only calls that touched this chat.
    #[serde(default)]
    pub chat: Option<i64>,
    /// At most this many (newest first; default 200, at most 2000).
    #[serde(default)]
    pub limit: Option<usize>,
}

impl Filter {
    fn accepts(&self, e: &Entry) -> bool {
        self.token_id.as_ref().is_none_or(|t| e.token_id.as_ref() == Some(t))
            && self.tool.as_ref().is_none_or(|t| e.tool == *t || e.tool.split(':').next() == Some(t.as_str()))
            && self.chat.is_none_or(|c| e.chats.contains(&c))
    }
}

/// The activity log of one config dir.
pub struct ActivityLog {
    path: PathBuf,
    pending: Mutex<Vec<u8>>,
    lines: std::sync::atomic::AtomicUsize,
    queued: std::sync::Arc<tokio::sync::Notify>,
    /// Bumped on every entry (windows showing the log refresh).
    recorded: crate::changes::Signal,
}

impl Drop for ActivityLog {
    /// Wakes the owner's log writer, which then finds its app gone and ends.
    fn drop(&mut self) {
        self.queued.notify_one();
    }
}

impl ActivityLog {
    /// The log at `<dir>/activity.jsonl` (created on the first write).
    pub fn new(dir: &Path) -> Self {
        ActivityLog {
            path: dir.join("activity.jsonl"),
            pending: Mutex::default(),
            lines: Default::default(),
            queued: Default::default(),
            recorded: Default::default(),
        }
    }

    /// Where it is written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Notified when a line is queued into an empty buffer (the owner flushes a second later).
    pub fn queued(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.queued.clone()
    }

    /// Queues one entry (written by the next [`ActivityLog::flush`]; a full buffer flushes now).
    pub fn record(&self, e: &Entry) {
        let mut line = serde_json::to_vec(e).expect("entries serialize");
        line.push(b'\n');
        let full = {
            let mut pending = self.lock();
            if pending.is_empty() {
                self.queued.notify_one();
            }
            pending.extend_from_slice(&line);
            self.lines.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1 >= BUFFER_LINES
        };
        if full && let Err(e) = self.flush() {
            tracing::warn!("cannot write the activity log: {e}");
        }
        self.recorded.bump();
    }

    /// A receiver that changes after every entry.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.recorded.subscribe()
    }

    /// Appends what is queued (one write), rotating the file first when it is over [`ROTATE_BYTES`].
    pub fn flush(&self) -> std::io::Result<()> {
        let mut pending = self.lock();
        if pending.is_empty() {
            return Ok(());
        }
        if std::fs::metadata(&self.path).is_ok_and(|m| m.len() >= ROTATE_BYTES) {
            self.rotate()?;
        }
        let mut f = crate::fsutil::open_private_append(&self.path)?;
        if ends_mid_line(&self.path)? {
            // A crash cut the last line: start on a fresh one so the next entry is not lost with it.
            pending.insert(0, b'\n');
        }
        f.write_all(&pending)?;
        pending.clear();
        self.lines.store(0, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Entries matching `filter`, newest first (queued ones included).
    pub fn read(&self, filter: &Filter) -> std::io::Result<Vec<Entry>> {
        self.flush()?;
        let limit = filter.limit.unwrap_or(200).clamp(1, 2000);
        let mut out = Vec::new();
        let files = std::iter::once(self.path.clone()).chain((1..=KEEP_ROTATED).map(|i| self.rotated(i)));
        for path in files {
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            // A line cut by a crash is skipped, not fatal.
            for e in text.lines().rev().filter_map(|l| serde_json::from_str::<Entry>(l).ok()) {
                if filter.accepts(&e) {
                    out.push(e);
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
            }
        }
        Ok(out)
    }

    fn rotated(&self, i: usize) -> PathBuf {
        self.path.with_file_name(format!("activity.{i}.jsonl"))
    }

    fn rotate(&self) -> std::io::Result<()> {
        for i in (1..KEEP_ROTATED).rev() {
            match std::fs::rename(self.rotated(i), self.rotated(i + 1)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        std::fs::rename(&self.path, self.rotated(1))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn ends_mid_line(path: &Path) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    if f.metadata()?.len() == 0 {
        return Ok(false);
    }
    f.seek(SeekFrom::End(-1))?;
    let mut last = [0u8];
    f.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(tool: &str, token: &str, chats: Vec<i64>) -> Entry {
        Entry {
            ts_ms: now_ms(),
            token_id: Some(token.into()),
            session_id: "s_1".into(),
            transport: "http".into(),
            tool: tool.into(),
            chats,
            message_ids: vec![],
            outcome: "ok".into(),
            error_kind: None,
            error: None,
            duration_ms: 3,
            text: None,
        }
    }

    #[test]
    fn entries_are_buffered_then_appended_and_read_back_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let log = ActivityLog::new(dir.path());
        log.record(&entry("get_messages", "tok_a", vec![100_003]));
        log.record(&entry("send_message", "tok_b", vec![-200_008]));
        assert!(!log.path().exists(), "nothing written before a flush");
        log.flush().unwrap();
        assert_eq!(std::fs::read_to_string(log.path()).unwrap().lines().count(), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(log.path()).unwrap().permissions().mode() & 0o777, 0o600);
        }
        log.record(&entry("invoke_mtproto:messages.getHistory", "tok_a", vec![100_003]));
        let all = log.read(&Filter::default()).unwrap();
        assert_eq!(
            all.iter().map(|e| e.tool.as_str()).collect::<Vec<_>>(),
            ["invoke_mtproto:messages.getHistory", "send_message", "get_messages"]
        );
        let f = Filter { token_id: Some("tok_a".into()), tool: Some("invoke_mtproto".into()), ..Filter::default() };
        assert_eq!(log.read(&f).unwrap().len(), 1);
        let f = Filter { chat: Some(-200_008), ..Filter::default() };
        assert_eq!(log.read(&f).unwrap()[0].token_id.as_deref(), Some("tok_b"));
    }

    #[test]
    fn the_log_rotates_by_size_and_keeps_three_old_files() {
        let dir = tempfile::tempdir().unwrap();
        let log = ActivityLog::new(dir.path());
        for round in 0..5 {
            // Pad the current file over the limit, then write one entry: it lands in a fresh file.
            let f = crate::fsutil::open_private_append(log.path()).unwrap();
            f.set_len(ROTATE_BYTES + round).unwrap();
            log.record(&entry("get_messages", &format!("tok_{round}"), vec![]));
            log.flush().unwrap();
        }
        let current = std::fs::read_to_string(log.path()).unwrap();
        assert_eq!(current.lines().count(), 1);
        assert!(current.contains("tok_4"));
        for i in 1..=KEEP_ROTATED {
            assert!(dir.path().join(format!("activity.{i}.jsonl")).exists(), "{i}");
        }
        assert!(!dir.path().join("activity.4.jsonl").exists());
    }

    #[test]
    fn a_cut_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let log = ActivityLog::new(dir.path());
        log.record(&entry("get_messages", "tok_a", vec![]));
        log.flush().unwrap();
        crate::fsutil::open_private_append(log.path()).unwrap().write_all(b"{\"ts_ms\": 1, \"tok").unwrap();
        assert_eq!(log.read(&Filter::default()).unwrap().len(), 1);
        log.record(&entry("find_chats", "tok_a", vec![]));
        let read = log.read(&Filter::default()).unwrap();
        assert_eq!(
            read.iter().map(|e| e.tool.as_str()).collect::<Vec<_>>(),
            ["find_chats", "get_messages"],
            "the entry after a cut line survives"
        );
    }
}
