//! Checks every route runs first: Host and Origin against one [`OriginPolicy`] (DNS-rebinding
//! defence), the request body limit (a JSON 413 everywhere), and the request log (tokens redacted).

use super::auth::{ShownPath, redact_path};
use super::origin::OriginPolicy;
use super::responses::error_response;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

pub(super) async fn guard_host_origin(State(policy): State<Arc<OriginPolicy>>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !policy.host_ok(host) {
        tracing::warn!(host, "refused request with a foreign Host header (DNS rebinding?)");
        return error_response(StatusCode::FORBIDDEN, "forbidden: Host not allowed");
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let ok = origin.to_str().is_ok_and(|o| policy.origin_ok(o));
        if !ok {
            tracing::warn!(origin = ?origin, "refused request from a foreign Origin");
            return error_response(StatusCode::FORBIDDEN, "forbidden: Origin not allowed");
        }
    }
    next.run(req).await
}

pub(super) async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let shown = match req.extensions().get::<ShownPath>() {
        Some(ShownPath(p)) => p.clone(),
        None => redact_path(req.uri().path()).into_owned(),
    };
    let resp = next.run(req).await;
    if shown != "/health" {
        tracing::info!(%method, path = %shown, status = resp.status().as_u16(), "http");
    }
    resp
}

/// Reads the whole body (at most `max` bytes) before any handler sees it, so an over-limit
/// body is a 413 with the JSON error shape on every route and for every encoding
/// (`Content-Length` is refused unread; chunked bodies are cut off at the limit).
pub(super) async fn limit_body(State(max): State<usize>, req: Request, next: Next) -> Response {
    let too_large = || {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("request body over the {max} byte limit (MAX_REQUEST_BODY_BYTES)"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large();
    }
    let (mut parts, body) = req.into_parts();
    let mut stream = body.into_data_stream();
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
        let Ok(chunk) = chunk else {
            return error_response(StatusCode::BAD_REQUEST, "could not read the request body");
        };
        if buf.len() + chunk.len() > max {
            return too_large();
        }
        buf.extend_from_slice(&chunk);
    }
    parts.headers.remove(header::TRANSFER_ENCODING);
    parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(buf.len()));
    next.run(Request::from_parts(parts, Body::from(buf.freeze()))).await
}
