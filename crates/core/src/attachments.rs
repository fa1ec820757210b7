//! Attachment download tickets: `GET /v1/attachments/{uuid}` (served by
//! `transport::http::attachments`) streams a message's file from Telegram with the
//! session that minted the ticket.
//!
//! Tickets are random v4 UUIDs (the capability: no bearer token needed), expire
//! after `ATTACHMENT_TICKET_TTL_SECONDS`, and live in memory only, so a restart
//! invalidates every link. They are minted only when `DOMAIN` is set and the
//! request came over HTTP (a stdio client has no use for a URL).
//!
//! A ticket is bound to the token that minted it (its id and digest) as well as
//! to its session: every GET checks that the token still exists with the same
//! digest and that the session file is still there, so revoking or rotating the
//! token, or signing the session out, ends its links at once (410). Tickets
//! minted without a token (development mode) are bound to their session only.

use crate::app::{App, Identity};
use crate::config::Transport;
use crate::token_index::TokenRecord;
use crate::tokens::TokenDigest;
use grammers_session::types::PeerRef;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The token a ticket was minted with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minter {
    /// Non-secret token id.
    pub token_id: String,
    /// The token's digest at minting time (a rotation changes it).
    pub digest: TokenDigest,
}

/// What a ticket grants: one file of one message, read with one session.
#[derive(Debug, Clone)]
pub struct Ticket {
    /// Session that minted it (the bytes are read with this session only).
    pub session_id: String,
    /// Token that minted it; `None` in development mode (no token).
    pub minted_by: Option<Minter>,
    /// Chat of the message.
    pub peer: PeerRef,
    /// Message id.
    pub msg_id: i32,
    /// When it stops working.
    pub expires: Instant,
}

/// The in-memory ticket table.
#[derive(Default)]
pub struct Tickets {
    map: Mutex<HashMap<uuid::Uuid, Ticket>>,
}

impl Tickets {
    /// Mints a ticket valid for `ttl`, bound to `session_id` and (if any) the minting token;
    /// expired tickets are pruned on the way.
    pub fn mint(
        &self,
        session_id: &str,
        minted_by: Option<Minter>,
        peer: PeerRef,
        msg_id: i32,
        ttl: Duration,
    ) -> uuid::Uuid {
        let id = uuid::Uuid::new_v4();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.retain(|_, t| t.expires > now);
        map.insert(id, Ticket { session_id: session_id.to_string(), minted_by, peer, msg_id, expires: now + ttl });
        id
    }

    /// Forgets a ticket.
    pub(crate) fn remove(&self, id: &uuid::Uuid) {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }

    /// Drops expired tickets and those `keep` rejects; returns the live ones per session.
    fn prune_and_count(&self, keep: impl Fn(&Ticket) -> bool) -> BTreeMap<String, usize> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.retain(|_, t| t.expires > now && keep(t));
        let mut counts = BTreeMap::new();
        for t in map.values() {
            *counts.entry(t.session_id.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// A live ticket, if any.
    pub fn get(&self, id: &uuid::Uuid) -> Option<Ticket> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.retain(|_, t| t.expires > now);
        map.get(id).cloned()
    }

    /// Number of live tickets (for /health).
    pub fn len(&self) -> usize {
        let now = Instant::now();
        self.map.lock().unwrap_or_else(|e| e.into_inner()).values().filter(|t| t.expires > now).count()
    }

    /// Whether no ticket is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether a ticket's token (by its current record, if it still exists) and session still stand.
pub(crate) fn still_bound(t: &Ticket, token: Option<&TokenRecord>, session_exists: bool) -> bool {
    let token_ok = match (&t.minted_by, token) {
        (None, _) => true,
        (Some(m), Some(rec)) => rec.id == m.token_id && rec.digest.ct_eq(&m.digest) && rec.session_id == t.session_id,
        (Some(_), None) => false,
    };
    token_ok && session_exists
}

/// Live tickets per session id (for `/health`), after dropping expired ones and those whose
/// token was revoked or rotated or whose session is gone.
pub(crate) fn live_counts(app: &App) -> BTreeMap<String, usize> {
    let Ok(tokens) = app.tokens.list() else {
        // The index is unreadable: report without pruning rather than guess.
        return app.tickets.prune_and_count(|_| true);
    };
    let by_id: HashMap<&str, &TokenRecord> = tokens.iter().map(|r| (r.id.as_str(), r)).collect();
    app.tickets.prune_and_count(|t| {
        let rec = t.minted_by.as_ref().and_then(|m| by_id.get(m.token_id.as_str()).copied());
        still_bound(t, rec, app.sessions.exists(&t.session_id))
    })
}

/// Adds `media.attachment_download_url` to the messages (with media files) of `chat`,
/// when a public DOMAIN is configured and the caller is on HTTP.
pub fn decorate(app: &App, identity: &Identity, chat_of: impl Fn(&Value) -> Option<PeerRef>, messages: &mut Value) {
    let Some(domain) = &app.config.domain else {
        return;
    };
    if identity.transport != Transport::Http {
        return;
    }
    let minted_by = match &identity.token_id {
        None => None,
        Some(id) => match app.tokens.get(id) {
            Ok(rec) => Some(Minter { token_id: rec.id, digest: rec.digest }),
            // Revoked while this request ran: no links.
            Err(_) => return,
        },
    };
    let ttl = Duration::from_secs(app.settings().attachment_ticket_ttl_seconds);
    let origin = domain.origin().ascii_serialization();
    for m in messages.as_array_mut().into_iter().flatten() {
        let has_file = m["media"]["type"]
            .as_str()
            .is_some_and(|t| !matches!(t, "poll" | "contact" | "location" | "venue" | "dice" | "webpage"));
        let (Some(id), true) = (m["id"].as_i64(), has_file) else { continue };
        let Some(peer) = chat_of(m) else { continue };
        let ticket = app.tickets.mint(&identity.session_id, minted_by.clone(), peer, id as i32, ttl);
        m["media"]["attachment_download_url"] = Value::String(format!("{origin}/v1/attachments/{ticket}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use grammers_client::tl;

    #[test]
    fn tickets_expire() {
        let t = Tickets::default();
        let peer = PeerRef::from(tl::types::InputPeerSelf {});
        let live = t.mint("s_a", None, peer, 1, Duration::from_secs(60));
        let dead = t.mint("s_a", None, peer, 2, Duration::ZERO);
        assert!(t.get(&live).is_some());
        assert!(t.get(&dead).is_none());
        assert!(t.get(&uuid::Uuid::new_v4()).is_none());
    }

    #[test]
    fn tickets_stay_bound_to_token_digest_and_session() {
        let token = crate::tokens::Token::generate();
        let rec = TokenRecord {
            id: "tok_0123456789ab".into(),
            label: "t".into(),
            digest: token.digest(),
            session_id: "s_a".into(),
            created_at: 0,
            last_used_at: None,
            account: None,
            policy: crate::policy::Policy::default(),
        };
        let peer = PeerRef::from(tl::types::InputPeerSelf {});
        let minter = Minter { token_id: rec.id.clone(), digest: rec.digest.clone() };
        let tickets = Tickets::default();
        let id = tickets.mint("s_a", Some(minter), peer, 1, Duration::from_secs(60));
        let t = tickets.get(&id).unwrap();
        assert!(still_bound(&t, Some(&rec), true));
        assert!(!still_bound(&t, None, true), "revoked token");
        let rotated = TokenRecord { digest: crate::tokens::Token::generate().digest(), ..rec.clone() };
        assert!(!still_bound(&t, Some(&rotated), true), "rotated token");
        let moved = TokenRecord { session_id: "s_b".into(), ..rec.clone() };
        assert!(!still_bound(&t, Some(&moved), true), "token now selects another session");
        assert!(!still_bound(&t, Some(&rec), false), "session signed out");
        // Development mode: bound to the session only.
        let dev = tickets.get(&tickets.mint("s_a", None, peer, 2, Duration::from_secs(60))).unwrap();
        assert!(still_bound(&dev, None, true));
        assert!(!still_bound(&dev, None, false));
        assert_eq!(tickets.prune_and_count(|t| t.msg_id == 1), BTreeMap::from([("s_a".to_string(), 1)]));
    }
}
