//! The live update loop of every connected session and the bounded buffer of new messages it fills, read by `wait_for_messages` and resource subscriptions.
//!
//! Each session has one [`LiveBuffer`] for the life of the process (it outlives reconnects).
//! While its client is connected, [`run`] reads grammers' update stream: the message box puts
//! updates in order and fills gaps with `updates.getDifference` / `getChannelDifference`, and
//! with `catch_up` on, a reconnected client first fetches what arrived while it was away (from
//! the update state saved in the session file). Every new message gets the next sequence
//! number of the buffer; a reader keeps the last number it saw (the cursor) and continues from
//! it, so nothing between two reads is missed while it stays in the buffer. The buffer keeps
//! the newest [`BUFFER_CAPACITY`] messages; a reader that fell further behind is told how many
//! it missed. Messages are stored unfiltered: every reader filters by its token's policy.
//!
//! A client opened for a call does not catch up while that call runs: the loop of a session
//! that is logged in at open waits until it is told to follow ([`Feed::follow`]: the first use
//! of the client ended, or someone waits for live updates). Until then the call has the new
//! connection to itself instead of sharing it, and the CPU, with `updates.getDifference` and the
//! messages it brings; updates pushed meanwhile wait in the channel and are taken in order.

use crate::tools::format::{self, Peers};
use grammers_client::tl;
use grammers_mtsender::{UpdatesConfiguration, UpdatesReceiver};
use grammers_session::Session;
use grammers_session::types::{PeerId, PeerInfo};
use grammers_session::updates::UpdatesLike;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Messages a session's buffer keeps (the oldest are dropped first).
pub const BUFFER_CAPACITY: usize = 1000;

/// One new message as the update stream delivered it.
#[derive(Debug, Clone)]
pub struct LiveMessage {
    /// Position in the buffer's sequence (1, 2, …; never reused within a process).
    pub seq: u64,
    /// Bot-API id of its chat.
    pub chat_id: i64,
    /// Message id.
    pub msg_id: i32,
    /// Sent by this account (from this or another device).
    pub outgoing: bool,
    /// The message in the tools' schema, with its chat.
    pub message: Value,
}

/// What a reader gets from [`LiveBuffer::since`].
#[derive(Debug, Clone)]
pub struct Since {
    /// Messages after the cursor, oldest first.
    pub messages: Vec<LiveMessage>,
    /// Messages after the cursor that were dropped from the full buffer before this read.
    pub missed: u64,
}

#[derive(Debug, Default)]
struct Inner {
    items: VecDeque<LiveMessage>,
    last_seq: u64,
}

/// New messages of one session, in arrival order, bounded.
#[derive(Debug)]
pub struct LiveBuffer {
    epoch: u64,
    inner: Mutex<Inner>,
    /// The last sequence number, for waiting readers.
    head: tokio::sync::watch::Sender<u64>,
}

impl Default for LiveBuffer {
    fn default() -> Self {
        LiveBuffer {
            // Tells cursors of an earlier process (or buffer) apart from this one's.
            epoch: rand::random::<u64>() >> 12,
            inner: Mutex::default(),
            head: tokio::sync::watch::Sender::new(0),
        }
    }
}

impl LiveBuffer {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Identifies this buffer in cursors.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The sequence number of the newest message (0 before the first).
    pub fn head(&self) -> u64 {
        self.lock().last_seq
    }

    /// Adds a message unless the same (chat, id) is still in the buffer (a catch-up after a
    /// reconnect may deliver one again).
    pub fn push(&self, chat_id: i64, msg_id: i32, outgoing: bool, message: Value) {
        let mut inner = self.lock();
        if inner.items.iter().any(|m| m.chat_id == chat_id && m.msg_id == msg_id) {
            return;
        }
        inner.last_seq += 1;
        let seq = inner.last_seq;
        inner.items.push_back(LiveMessage { seq, chat_id, msg_id, outgoing, message });
        while inner.items.len() > BUFFER_CAPACITY {
            inner.items.pop_front();
        }
        drop(inner);
        self.head.send_replace(seq);
    }

    /// The messages after sequence number `after`.
    pub fn since(&self, after: u64) -> Since {
        let inner = self.lock();
        let oldest = inner.items.front().map_or(inner.last_seq + 1, |m| m.seq);
        let missed = oldest.saturating_sub(after + 1);
        let messages = inner.items.iter().filter(|m| m.seq > after).cloned().collect();
        Since { messages, missed }
    }

    /// Waits until a message after `after` arrives (returns at once if one is there).
    pub async fn changed_after(&self, after: u64) {
        let mut rx = self.head.subscribe();
        let _ = rx.wait_for(|head| *head > after).await;
    }

    /// A receiver of the newest sequence number (for subscriptions).
    pub fn watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.head.subscribe()
    }
}

/// What the update loop of one client works with.
pub(crate) struct Feed {
    /// Raw updates from the connection pool.
    pub raw: tokio::sync::mpsc::Receiver<UpdatesLike>,
    /// The pool's handle, for `getState` / `getDifference`.
    pub handle: grammers_mtsender::SenderPoolHandle,
    /// The session, as grammers' update receiver takes it.
    pub erased: Arc<grammers_session::storages::ErasedSession>,
    /// The session, to cache peers in.
    pub session: Arc<crate::session_store::FileSession>,
    /// Where new messages go.
    pub buffer: Arc<LiveBuffer>,
    /// Counts `updateLoginToken` (a QR code was scanned).
    pub login_tokens: tokio::sync::watch::Sender<u64>,
    /// Counts changes to the account's chat folders (made here or in another app).
    pub folder_edits: tokio::sync::watch::Sender<u64>,
    /// Signalled when a login completes on this client.
    pub authorized: Arc<tokio::sync::Notify>,
    /// Becomes `true` when a session logged in at open may start catching up (see the module
    /// doc); the loop ends if it is dropped first (the client is gone).
    pub follow: tokio::sync::watch::Receiver<bool>,
    /// The connection pool's task: the loop ends with it.
    pub pool: tokio::task::AbortHandle,
}

/// Runs until the connection pool ends. Before a login only QR-login tokens matter; once the
/// session is logged in, grammers' update receiver takes over (starting from the update state
/// saved in the session, so what arrived while no client was connected is fetched first): new
/// messages go to the buffer, peers are cached, and the update state is saved after each batch.
/// A session logged in at open starts only once told to follow. Errors (a failed
/// `getDifference`) are retried with backoff.
pub(crate) async fn run(feed: Feed) {
    let Feed { mut raw, handle, erased, session, buffer, login_tokens, folder_edits, authorized, mut follow, pool } =
        feed;
    let logged_in = matches!(session.peer(PeerId::self_user()).await, Ok(Some(_)));
    if logged_in {
        if follow.wait_for(|go| *go).await.is_err() {
            return;
        }
    } else {
        loop {
            tokio::select! {
                u = raw.recv() => match u {
                    Some(u) if is_login_token_update(&u) => login_tokens.send_modify(|n| *n += 1),
                    Some(_) => {}
                    None => return,
                },
                _ = authorized.notified() => break,
            }
        }
    }
    let mut receiver = match UpdatesReceiver::create(handle, erased, raw, UpdatesConfiguration { catch_up: true }).await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("no live updates for this session: {e}");
            return;
        }
    };
    let mut backoff = Duration::from_millis(250);
    loop {
        match receiver.next().await {
            Ok((updates, users, chats)) => {
                backoff = Duration::from_millis(250);
                let infos: Vec<PeerInfo> =
                    users.iter().map(PeerInfo::from).chain(chats.iter().map(PeerInfo::from)).collect();
                if !infos.is_empty() {
                    let _ = session.cache_peers(infos).await;
                }
                let peers = Peers::new(&users, &chats);
                for (update, _) in &updates {
                    take(update, &peers, &buffer, &login_tokens, &folder_edits);
                }
                if let Err(e) = receiver.sync_update_state().await {
                    tracing::debug!("could not save the update state: {e}");
                }
            }
            Err(e) => {
                if pool.is_finished() {
                    return;
                }
                tracing::debug!("update stream: {e}; retrying in {} ms", backoff.as_millis());
                // Backoff between retries of a failing getDifference, not synchronisation.
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }
}

fn is_login_token_update(u: &UpdatesLike) -> bool {
    let is = |x: &tl::enums::Update| matches!(x, tl::enums::Update::LoginToken);
    match u {
        UpdatesLike::Updates(tl::enums::Updates::UpdateShort(s)) => is(&s.update),
        UpdatesLike::Updates(tl::enums::Updates::Updates(s)) => s.updates.iter().any(is),
        UpdatesLike::Updates(tl::enums::Updates::Combined(s)) => s.updates.iter().any(is),
        _ => false,
    }
}

/// Files one update: a new message into the buffer, a login token or a folder change into its
/// counter.
fn take(
    update: &tl::enums::Update,
    peers: &Peers,
    buffer: &LiveBuffer,
    login_tokens: &tokio::sync::watch::Sender<u64>,
    folder_edits: &tokio::sync::watch::Sender<u64>,
) {
    use tl::enums::Update as U;
    let message = match update {
        U::NewMessage(u) => &u.message,
        U::NewChannelMessage(u) => &u.message,
        U::LoginToken => {
            login_tokens.send_modify(|n| *n += 1);
            return;
        }
        U::DialogFilter(_) | U::DialogFilters | U::DialogFilterOrder(_) => {
            folder_edits.send_modify(|n| *n += 1);
            return;
        }
        _ => return,
    };
    let tl::enums::Message::Message(m) = message else {
        return;
    };
    if let Some(value) = format::message(message, peers, true) {
        buffer.push(format::bot_id(&m.peer_id), m.id, m.out, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_reader_continues_from_its_cursor_without_loss_or_repeats() {
        let b = LiveBuffer::default();
        assert_eq!(b.head(), 0);
        b.push(1, 10, false, json!({"id": 10}));
        b.push(1, 11, false, json!({"id": 11}));
        let first = b.since(0);
        assert_eq!(first.messages.iter().map(|m| m.msg_id).collect::<Vec<_>>(), [10, 11]);
        let cursor = first.messages.last().unwrap().seq;
        b.push(2, 10, false, json!({"id": 10}));
        b.push(1, 11, false, json!({"id": 11})); // a repeat from a catch-up
        let next = b.since(cursor);
        assert_eq!(next.messages.len(), 1);
        assert_eq!((next.messages[0].chat_id, next.missed), (2, 0));
        assert!(b.since(b.head()).messages.is_empty());
    }

    #[test]
    fn a_reader_that_fell_behind_learns_how_many_it_missed() {
        let b = LiveBuffer::default();
        for i in 0..(BUFFER_CAPACITY as i32 + 5) {
            b.push(1, i + 1, false, json!({}));
        }
        let s = b.since(0);
        assert_eq!((s.messages.len(), s.missed), (BUFFER_CAPACITY, 5));
        assert_eq!(b.since(3).missed, 2);
        assert_eq!(b.since(5).missed, 0);
    }
}
