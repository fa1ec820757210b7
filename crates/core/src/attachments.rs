//! Attachment download tickets: `GET /v1/attachments/{uuid}` streams a message's
//! file from Telegram with the session that minted the ticket.
//!
//! Tickets are random v4 UUIDs (the capability: no bearer token needed), expire
//! after `ATTACHMENT_TICKET_TTL_SECONDS`, and live in memory only, so a restart
//! invalidates every link. They are minted only when `DOMAIN` is set and the
//! request came over HTTP (a stdio client has no use for a URL).

use crate::app::{App, Identity};
use crate::config::Transport;
use crate::tools::media::{FileRef, fetch_raw, file_ref, stream_file};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use grammers_client::tl;
use grammers_session::types::PeerRef;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a ticket grants: one file of one message, read with one session.
#[derive(Debug, Clone)]
pub struct Ticket {
    /// Session that minted it (the bytes are read with this session only).
    pub session_id: String,
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
    /// Mints a ticket valid for `ttl`; expired tickets are pruned on the way.
    pub fn mint(&self, session_id: &str, peer: PeerRef, msg_id: i32, ttl: Duration) -> uuid::Uuid {
        let id = uuid::Uuid::new_v4();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.retain(|_, t| t.expires > now);
        map.insert(id, Ticket { session_id: session_id.to_string(), peer, msg_id, expires: now + ttl });
        id
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

/// Adds `media.attachment_download_url` to the messages (with media files) of `chat`,
/// when a public DOMAIN is configured and the caller is on HTTP.
pub fn decorate(app: &App, identity: &Identity, chat_of: impl Fn(&Value) -> Option<PeerRef>, messages: &mut Value) {
    let Some(domain) = &app.config.domain else {
        return;
    };
    if identity.transport != Transport::Http {
        return;
    }
    let ttl = Duration::from_secs(app.settings().attachment_ticket_ttl_seconds);
    let origin = domain.origin().ascii_serialization();
    for m in messages.as_array_mut().into_iter().flatten() {
        let has_file = m["media"]["type"]
            .as_str()
            .is_some_and(|t| !matches!(t, "poll" | "contact" | "location" | "venue" | "dice" | "webpage"));
        let (Some(id), true) = (m["id"].as_i64(), has_file) else {
            continue;
        };
        let Some(peer) = chat_of(m) else { continue };
        let ticket = app.tickets.mint(&identity.session_id, peer, id as i32, ttl);
        m["media"]["attachment_download_url"] = Value::String(format!("{origin}/v1/attachments/{ticket}"));
    }
}

/// `GET /v1/attachments/{uuid}` (and `/{uuid}/{any file name}`).
pub async fn download(State(app): State<Arc<App>>, Path(params): Path<HashMap<String, String>>) -> Response {
    let Some(ticket) =
        params.get("ticket").and_then(|t| uuid::Uuid::parse_str(t).ok()).and_then(|t| app.tickets.get(&t))
    else {
        return crate::transport::http::error_response(StatusCode::NOT_FOUND, "unknown or expired attachment link");
    };
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
            return crate::transport::http::error_response(StatusCode::BAD_GATEWAY, &e.message);
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
                tracing::warn!("attachment stream failed: {}", e.message);
                let _ = tx.send(Err(std::io::Error::other(e.message))).await;
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
        let live = t.mint("s_a", peer, 1, Duration::from_secs(60));
        let dead = t.mint("s_a", peer, 2, Duration::ZERO);
        assert!(t.get(&live).is_some());
        assert!(t.get(&dead).is_none());
        assert!(t.get(&uuid::Uuid::new_v4()).is_none());
    }
}
