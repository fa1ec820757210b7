//! Attachment download tickets: `GET /v1/attachments/{uuid}` streams a message's
//! file from Telegram with the session that minted the ticket.
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
use crate::tools::media::{FileRef, fetch_raw, file_ref, stream_file};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use grammers_client::tl;
use grammers_session::types::PeerRef;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
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
    fn remove(&self, id: &uuid::Uuid) {
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
fn still_bound(t: &Ticket, token: Option<&TokenRecord>, session_exists: bool) -> bool {
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

/// `GET /v1/attachments/{uuid}` (and `/{uuid}/{any file name}`).
pub async fn download(State(app): State<Arc<App>>, Path(params): Path<HashMap<String, String>>) -> Response {
    let Some((id, ticket)) = params
        .get("ticket")
        .and_then(|t| uuid::Uuid::parse_str(t).ok())
        .and_then(|id| app.tickets.get(&id).map(|t| (id, t)))
    else {
        return crate::transport::http::error_response(StatusCode::NOT_FOUND, "unknown or expired attachment link");
    };
    let token = ticket.minted_by.as_ref().and_then(|m| app.tokens.get(&m.token_id).ok());
    if !still_bound(&ticket, token.as_ref(), app.sessions.exists(&ticket.session_id)) {
        app.tickets.remove(&id);
        return crate::transport::http::error_response(
            StatusCode::GONE,
            "attachment link revoked: the token that created it was revoked or rotated, or its session signed out",
        );
    }
    let client = match app.sessions.client(&ticket.session_id).await {
        Ok(c) => c,
        Err(e) => {
            return crate::transport::http::error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("session unavailable: {e}"),
            );
        }
    };
    let file = match fetch_raw(&client, &ticket.peer, &[ticket.msg_id]).await {
        Ok(msgs) => msgs.iter().find_map(|m| match m {
            tl::enums::Message::Message(m) if m.id == ticket.msg_id => {
                m.media.as_ref().and_then(|md| file_ref(m.id, md))
            }
            _ => None,
        }),
        Err(e) => {
            return crate::transport::http::error_response(StatusCode::BAD_GATEWAY, &e.to_string());
        }
    };
    let Some(file) = file else {
        return crate::transport::http::error_response(
            StatusCode::NOT_FOUND,
            "the message or its file no longer exists",
        );
    };
    let max = app.settings().max_file_size_mb * 1024 * 1024;
    if file.size > max {
        return crate::transport::http::error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("file is {} bytes, over the {max} byte limit (MAX_FILE_SIZE_MB)", file.size),
        );
    }
    stream_response(client, file, max)
}

fn stream_response(client: crate::sessions::Lease, file: FileRef, max: u64) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(4);
    let f = file.clone();
    tokio::spawn(async move {
        let sender = tx.clone();
        let res = stream_file(&client, &f, max, |chunk| {
            let sender = sender.clone();
            async move {
                sender
                    .send(Ok(bytes::Bytes::from(chunk)))
                    .await
                    .map_err(|_| crate::tools::ToolError::invalid("client went away"))
            }
        })
        .await;
        match res {
            Ok(n) if n != f.size => {
                let _ = tx.send(Err(std::io::Error::other(format!("size mismatch: {n} of {} bytes", f.size)))).await;
            }
            Err(e) => {
                tracing::warn!("attachment stream failed: {e}");
                let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
            }
            Ok(_) => {}
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let mut resp = Body::from_stream(stream).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.mime_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_DISPOSITION, content_disposition(&file.file_name));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` with a sanitised name.
pub fn content_disposition(name: &str) -> HeaderValue {
    let safe = tgmcp_safe_fetch::sanitize_file_name(name);
    let ascii: String =
        safe.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded: String = url::form_urlencoded::byte_serialize(safe.as_bytes()).collect::<String>().replace('+', "%20");
    HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or(HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_is_safe_for_odd_names() {
        let v = content_disposition("../../etc/pass\"wd\r\n.pdf").to_str().unwrap().to_string();
        assert!(!v.contains('\r') && !v.contains('\n') && !v.contains("../"), "{v}");
        let v = content_disposition("отчёт.pdf").to_str().unwrap().to_string();
        assert!(v.contains("filename*=UTF-8''%D0%BE"), "{v}");
    }

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
