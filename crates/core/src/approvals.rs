//! Writes waiting for the user's yes: a pending list every front door shows (the tray window,
//! `/setup`, the CLI) and answers; the waiting tool call gets the answer, or a clear error when
//! nobody answers in time. Nothing is sent before an approval.

use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// How long a write waits for an answer by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// A write waiting for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingWrite {
    /// Id to answer it with.
    pub id: String,
    /// The token asking.
    pub token_id: String,
    /// Its label.
    pub token_label: String,
    /// The tool.
    pub tool: String,
    /// The chat written to (Bot API id).
    pub chat_id: i64,
    /// The chat's name.
    pub chat_title: String,
    /// The start of the text to be sent.
    pub preview: String,
    /// When it was asked, Unix seconds.
    pub asked_at: i64,
    /// When it gives up, Unix seconds.
    pub expires_at: i64,
}

/// The user's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send it; `always`: also for later writes to this chat.
    Approved {
        /// Remember the chat in the token's policy.
        always: bool,
    },
    /// Do not send it.
    Denied,
    /// Nobody answered in time.
    TimedOut,
}

/// Answering a pending write failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecideError {
    /// It was answered already, timed out, or never existed.
    #[error("no pending write {0:?} (answered already, or it timed out)")]
    Unknown(String),
}

struct Waiting {
    view: PendingWrite,
    answer: oneshot::Sender<Decision>,
}

/// The pending writes of one owner.
pub struct Approvals {
    pending: Mutex<HashMap<String, Waiting>>,
    changes: watch::Sender<u64>,
    timeout: Duration,
}

impl Default for Approvals {
    fn default() -> Self {
        Approvals::new(DEFAULT_TIMEOUT)
    }
}

impl Approvals {
    /// A registry whose writes wait up to `timeout`.
    pub fn new(timeout: Duration) -> Self {
        Approvals { pending: Mutex::default(), changes: watch::Sender::new(0), timeout }
    }

    /// Asks the user about `view` (its `id`, `asked_at` and `expires_at` are filled in here) and
    /// waits for the answer or the timeout. A call given up by its client is taken off the list.
    pub async fn ask(&self, view: PendingWrite) -> Decision {
        self.ask_also(view, std::future::pending()).await
    }

    /// Like [`Approvals::ask`], also taking the answer from `elsewhere` (the MCP client asking its
    /// user, by elicitation) if that comes first; `None` from it means "no answer there".
    pub async fn ask_also(
        &self,
        mut view: PendingWrite,
        elsewhere: impl std::future::Future<Output = Option<Decision>>,
    ) -> Decision {
        let (tx, rx) = oneshot::channel();
        let now = crate::clock::now();
        view.id = format!("apr_{:016x}", rand::random::<u64>());
        view.asked_at = now;
        view.expires_at = now + self.timeout.as_secs() as i64;
        let id = view.id.clone();
        tracing::info!(id, token = %view.token_id, tool = %view.tool, chat = view.chat_id, "write waits for approval");
        self.lock().insert(id.clone(), Waiting { view, answer: tx });
        self.bump();
        // Removed from the list however this ends (answer, timeout, or the caller going away).
        let _cleanup = Cleanup { approvals: self, id: id.clone() };
        let elsewhere = async {
            match elsewhere.await {
                Some(d) => d,
                None => std::future::pending().await,
            }
        };
        let answer = async {
            tokio::select! {
                d = rx => d.unwrap_or(Decision::Denied),
                d = elsewhere => d,
            }
        };
        match tokio::time::timeout(self.timeout, answer).await {
            Ok(d) => d,
            Err(_) => Decision::TimedOut,
        }
    }

    /// Answers a pending write.
    pub fn decide(&self, id: &str, decision: Decision) -> Result<PendingWrite, DecideError> {
        let w = self.lock().remove(id).ok_or_else(|| DecideError::Unknown(id.chars().take(64).collect()))?;
        self.bump();
        let _ = w.answer.send(decision);
        Ok(w.view)
    }

    /// What waits now, oldest first.
    pub fn list(&self) -> Vec<PendingWrite> {
        let mut v: Vec<PendingWrite> = self.lock().values().map(|w| w.view.clone()).collect();
        v.sort_by(|a, b| (a.asked_at, &a.id).cmp(&(b.asked_at, &b.id)));
        v
    }

    /// How many writes wait now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no write waits.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Changes whenever the list changes (for pushing it to a window).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn bump(&self) {
        self.changes.send_modify(|n| *n += 1);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Waiting>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct Cleanup<'a> {
    approvals: &'a Approvals,
    id: String,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        if self.approvals.lock().remove(&self.id).is_some() {
            self.approvals.bump();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn view() -> PendingWrite {
        PendingWrite {
            id: String::new(),
            token_id: "tok_1".into(),
            token_label: "Claude".into(),
            tool: "send_message".into(),
            chat_id: 100_003,
            chat_title: "Carol".into(),
            preview: "hello".into(),
            asked_at: 0,
            expires_at: 0,
        }
    }

    async fn pending_id(a: &Approvals) -> String {
        let mut rx = a.subscribe();
        loop {
            if let Some(p) = a.list().first() {
                return p.id.clone();
            }
            rx.changed().await.unwrap();
        }
    }

    #[tokio::test]
    async fn an_answer_reaches_the_waiting_call_and_empties_the_list() {
        let a = Arc::new(Approvals::default());
        let asking = tokio::spawn({
            let a = a.clone();
            async move { a.ask(view()).await }
        });
        let id = pending_id(&a).await;
        assert_eq!(a.list()[0].preview, "hello");
        a.decide(&id, Decision::Approved { always: true }).unwrap();
        assert_eq!(asking.await.unwrap(), Decision::Approved { always: true });
        assert!(a.list().is_empty());
        assert_eq!(a.decide(&id, Decision::Denied), Err(DecideError::Unknown(id)));
    }

    #[tokio::test]
    async fn an_unanswered_write_times_out_and_leaves_the_list() {
        let a = Approvals::new(Duration::from_millis(50));
        assert_eq!(a.ask(view()).await, Decision::TimedOut);
        assert!(a.list().is_empty());
    }

    #[tokio::test]
    async fn a_call_given_up_leaves_the_list() {
        let a = Arc::new(Approvals::default());
        let asking = tokio::spawn({
            let a = a.clone();
            async move { a.ask(view()).await }
        });
        pending_id(&a).await;
        asking.abort();
        let _ = asking.await;
        assert!(a.list().is_empty());
    }
}
