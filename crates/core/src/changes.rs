//! What changed in the owner, pushed to whoever shows it (the tray menu, the window, `/setup`):
//! one [`ChangeFeed`] over the token index, approvals, sessions, the activity log and the settings,
//! so nothing has to poll.
//!
//! Each source keeps a [`Signal`] (a counter behind a `tokio::sync::watch`); the feed waits on all
//! of them at once and answers with the [`Changed`] topics. A burst (a client making many calls)
//! is coalesced: the feed answers at most once per [`ChangeFeed::min_gap`], and not at all while
//! nothing changes, so an idle owner wakes no one.

use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::watch;

/// The default shortest time between two answers of a feed.
pub const DEFAULT_GAP: Duration = Duration::from_millis(250);

/// A counter that wakes its subscribers when it changes.
#[derive(Debug)]
pub struct Signal(watch::Sender<u64>);

impl Default for Signal {
    fn default() -> Self {
        Signal(watch::Sender::new(0))
    }
}

impl Signal {
    /// Wakes every subscriber.
    pub fn bump(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees the next [`Signal::bump`].
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// The topics that changed since the feed last answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    /// Anything the status line shows: the server, settings, connected sessions, link health.
    pub status: bool,
    /// The token list (created, revoked, rotated, logged in, policy edited).
    pub tokens: bool,
    /// Writes waiting for the user's yes.
    pub approvals: bool,
    /// New entries in the activity log (tool calls).
    pub activity: bool,
}

impl Changed {
    /// Every topic (after the app was rebuilt, or for a first look).
    pub const ALL: Changed = Changed { status: true, tokens: true, approvals: true, activity: true };
}

/// The receivers of one app's sources.
pub(crate) struct Sources {
    pub tokens: watch::Receiver<u64>,
    pub approvals: watch::Receiver<u64>,
    pub sessions: watch::Receiver<u64>,
    pub activity: watch::Receiver<u64>,
    pub settings: watch::Receiver<u64>,
}

impl Sources {
    pub(crate) fn of(app: &crate::app::App) -> Self {
        Sources {
            tokens: app.tokens.subscribe(),
            approvals: app.approvals.subscribe(),
            sessions: app.sessions.subscribe(),
            activity: app.activity.subscribe(),
            settings: app.subscribe_settings(),
        }
    }
}

/// Waits for a receiver to change; a closed source (its app was replaced) never wakes.
async fn changed(rx: &mut watch::Receiver<u64>) {
    if rx.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Whether a receiver has an unseen change (marking it seen).
fn take(rx: &mut watch::Receiver<u64>) -> bool {
    let fresh = rx.has_changed().unwrap_or(false);
    if fresh {
        rx.borrow_and_update();
    }
    fresh
}

#[derive(PartialEq, Eq)]
enum Woke {
    Host,
    Tokens,
    Approvals,
    Activity,
    Status,
}

/// A subscription to everything the owner's windows show. Built by
/// [`Control::changes`](crate::control::Control::changes).
pub struct ChangeFeed {
    pub(crate) control: std::sync::Arc<crate::control::Control>,
    pub(crate) host: watch::Receiver<u64>,
    pub(crate) sources: Sources,
    pub(crate) min_gap: Duration,
    pub(crate) last: Option<tokio::time::Instant>,
}

impl ChangeFeed {
    /// The shortest time between two answers (a burst of changes is reported once).
    pub fn min_gap(mut self, gap: Duration) -> Self {
        self.min_gap = gap;
        self
    }

    /// Waits for the next change and answers with every topic that changed meanwhile.
    pub async fn next(&mut self) -> Changed {
        let s = &mut self.sources;
        // `changed()` marks what woke us as seen: remember it.
        let woke = tokio::select! {
            _ = changed(&mut self.host) => Woke::Host,
            _ = changed(&mut s.tokens) => Woke::Tokens,
            _ = changed(&mut s.approvals) => Woke::Approvals,
            _ = changed(&mut s.sessions) => Woke::Status,
            _ = changed(&mut s.activity) => Woke::Activity,
            _ = changed(&mut s.settings) => Woke::Status,
        };
        // Coalesce a burst: everything that changes before the gap ends is one answer.
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + self.min_gap).await;
        }
        self.last = Some(tokio::time::Instant::now());
        // (After a host change `collect` answers every topic.)
        let mut out = self.collect(woke == Woke::Host);
        match woke {
            Woke::Host => {}
            Woke::Tokens => out.tokens = true,
            Woke::Approvals => out.approvals = true,
            Woke::Activity => out.activity = true,
            Woke::Status => {}
        }
        // The status line counts tokens, accounts and pending approvals too.
        out.status |= matches!(woke, Woke::Status) || out.tokens || out.approvals;
        out
    }

    /// The topics changed since the last look (marking them seen); after the host rebuilt its
    /// app, the new app's sources are looked at from now on.
    fn collect(&mut self, host: bool) -> Changed {
        if host || take(&mut self.host) {
            self.sources = Sources::of(&self.control.app());
            return Changed::ALL;
        }
        let s = &mut self.sources;
        let sessions = take(&mut s.sessions);
        let settings = take(&mut s.settings);
        Changed {
            tokens: take(&mut s.tokens),
            approvals: take(&mut s.approvals),
            activity: take(&mut s.activity),
            status: sessions || settings,
        }
    }
}
