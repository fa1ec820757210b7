//! `GET /v1/attachments/{ticket}`: streams the file of a ticket's message from Telegram (the ticket is the capability).

use super::responses::error_response;
use crate::app::App;
use crate::attachments::still_bound;
use crate::tools::media::{FileRef, fetch_raw, file_ref, stream_file};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use grammers_client::tl;
use std::collections::HashMap;
use std::sync::Arc;

/// `GET /v1/attachments/{uuid}` (and `/{uuid}/{any file name}`).
pub(super) async fn download(State(app): State<Arc<App>>, Path(params): Path<HashMap<String, String>>) -> Response {
    let Some((id, ticket)) = params
        .get("ticket")
        .and_then(|t| uuid::Uuid::parse_str(t).ok())
        .and_then(|id| app.tickets.get(&id).map(|t| (id, t)))
    else {
        return error_response(StatusCode::NOT_FOUND, "unknown or expired attachment link");
    };
    let token = ticket.minted_by.as_ref().and_then(|m| app.tokens.get(&m.token_id).ok());
    if !still_bound(&ticket, token.as_ref(), app.sessions.exists(&ticket.session_id)) {
        app.tickets.remove(&id);
        return error_response(
            StatusCode::GONE,
            "attachment link revoked: the token that created it was revoked or rotated, or its session signed out",
        );
    }
    let client = match app.sessions.client(&ticket.session_id).await {
        Ok(c) => c,
        Err(e) => {
            return error_response(StatusCode::SERVICE_UNAVAILABLE, &format!("session unavailable: {e}"));
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
            return error_response(StatusCode::BAD_GATEWAY, &e.to_string());
        }
    };
    let Some(file) = file else {
        return error_response(StatusCode::NOT_FOUND, "the message or its file no longer exists");
    };
    let max = app.settings().max_file_size_mb * 1024 * 1024;
    if file.size > max {
        return error_response(
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
}
