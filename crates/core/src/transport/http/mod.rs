//! Localhost streamable HTTP: `/v1/mcp` (bearer auth), `/v1/url_auth/{token}/mcp`,
//! `POST /mtproto-api/{method}` (bearer auth), `GET /v1/attachments/{ticket}` (the
//! ticket is the capability), `/setup` + `/api/*` (loopback only, setup key) and
//! `/health`. Host and Origin are checked on every route against one
//! [`OriginPolicy`] (DNS-rebinding defence, host and port compared); the token of
//! any path under `/v1/url_auth/` is taken out before routing and logging; bodies
//! over the limit are a JSON 413 on every route; requests time out.

mod bridge;
mod responses;

pub use responses::{error_response, no_store};

use crate::app::{App, Identity};
use crate::config::Transport;
use crate::mcp::TelegramMcp;
use crate::sessions::DEFAULT_SESSION_ID;
use crate::tokens::{Token, TokenError, bearer_from_header};
use crate::transport::origin::OriginPolicy;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

/// Marks a request that arrived on `/v1/url_auth/{token}/mcp`; carries the token.
#[derive(Clone)]
struct UrlToken(String);

/// The path to show in logs for a request that arrived under `/v1/url_auth/`, token redacted.
#[derive(Clone)]
struct ShownPath(String);

/// Builds the router for a server listening on `local_addr`.
pub fn router(app: Arc<App>, local_addr: SocketAddr) -> Router {
    let policy = Arc::new(OriginPolicy::new(local_addr, app.config.domain.as_ref()));
    // Our guard and body limit run first on every route; rmcp's own checks get the same
    // policy's lists and the same limit, so they can only agree with ours.
    let mcp_config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_allowed_hosts(policy.rmcp_hosts())
        .with_allowed_origins(policy.rmcp_origins())
        .enforce_origin_validation()
        .with_max_request_body_bytes(app.config.max_request_body_bytes);
    let factory_app = app.clone();
    let mcp = StreamableHttpService::new(
        move || Ok(TelegramMcp::new(factory_app.clone(), None)),
        Arc::new(NeverSessionManager::default()),
        mcp_config,
    );
    let mcp_routes = Router::new()
        .nest_service("/v1/mcp", mcp)
        .merge(bridge::bridge_routes())
        .layer(middleware::from_fn_with_state(app.clone(), require_token));
    Router::new()
        .route("/health", get(health))
        .route("/v1/attachments/{ticket}", get(crate::attachments::download))
        .route("/v1/attachments/{ticket}/{name}", get(crate::attachments::download))
        .route(&format!("{URL_AUTH_UNKNOWN}/{{*rest}}"), any(unknown_url_auth_path))
        .route(URL_AUTH_UNKNOWN, any(unknown_url_auth_path))
        .merge(mcp_routes)
        .merge(crate::transport::setup::routes(app.clone(), local_addr))
        .with_state(app.clone())
        .layer(middleware::from_fn_with_state(app.config.max_request_body_bytes, limit_body))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            app.config.request_timeout,
        ))
        .layer(middleware::from_fn(log_request))
        .layer(middleware::from_fn_with_state(policy, guard_host_origin))
}

/// Binds `addr` and serves until `shutdown` resolves.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    if app.config.disable_auth {
        tracing::warn!(
            "!!! DISABLE_AUTH=true: the MCP endpoint accepts requests WITHOUT a token (development mode) !!!"
        );
    }
    if !local.ip().is_loopback() {
        tracing::warn!(%local, "listening on a non-loopback address; anyone who can reach it and holds a token can use your Telegram account");
    }
    tracing::info!("MCP endpoint: http://{local}/v1/mcp");
    let routes = router(app, local);
    // URL-auth paths are rewritten before routing, so the token never reaches routing or logs.
    let svc = tower::service_fn(move |req: Request| {
        let routes = routes.clone();
        async move { routes.oneshot(rewrite_url_auth(req)).await }
    });
    axum::serve(listener, tower::make::Shared::new(svc)).with_graceful_shutdown(shutdown).await
}

/// Where a URL-auth path other than `…/mcp` is routed once its token is taken out.
const URL_AUTH_UNKNOWN: &str = "/v1/url_auth/-";

/// Splits a path under `/v1/url_auth/` (any case, any number of slashes) into its raw token
/// segment and what follows it; `None` for other paths.
fn split_url_auth(path: &str) -> Option<(&str, &str)> {
    const PREFIX: &str = "v1/url_auth/";
    let trimmed = path.trim_start_matches('/');
    if !trimmed.get(..PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(PREFIX)) {
        return None;
    }
    let rest = trimmed[PREFIX.len()..].trim_start_matches('/');
    Some(match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    })
}

/// Takes the token out of every path under `/v1/url_auth/`, whatever follows it, before
/// anything routes or logs the request: `…/{token}/mcp…` becomes `/v1/mcp…` with the token in
/// an extension; any other tail (`/sse`, `/messages`, none, …) goes to a 404 route without the
/// token. Either way the logs see `/v1/url_auth/<redacted>{tail}`.
pub fn rewrite_url_auth(mut req: Request) -> Request {
    let Some((token, tail)) = split_url_auth(req.uri().path()) else { return req };
    let (token, tail) = (token.to_string(), tail.to_string());
    let mcp_tail = tail.strip_prefix("/mcp").filter(|after| after.is_empty() || after.starts_with('/'));
    let new_path = match mcp_tail {
        Some(after) => format!("/v1/mcp{after}"),
        None => format!("{URL_AUTH_UNKNOWN}{}", tail.trim_end_matches('/')),
    };
    let pq = match req.uri().query() {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path,
    };
    let mut parts = req.uri().clone().into_parts();
    parts.path_and_query = pq.parse().ok().or_else(|| URL_AUTH_UNKNOWN.parse().ok());
    *req.uri_mut() =
        axum::http::Uri::from_parts(parts).unwrap_or_else(|_| axum::http::Uri::from_static(URL_AUTH_UNKNOWN));
    req.extensions_mut().insert(ShownPath(format!("/v1/url_auth/<redacted>{}", redact_path(&tail))));
    if mcp_tail.is_some() {
        req.extensions_mut().insert(UrlToken(percent_decode(&token)));
    }
    req
}

/// `path` with the segment after any `url_auth/` replaced by `<redacted>` (a second line of
/// defence for what the logs show).
fn redact_path(path: &str) -> std::borrow::Cow<'_, str> {
    const MARK: &str = "url_auth/";
    let lower = path.to_ascii_lowercase();
    let Some(i) = lower.find(MARK) else { return path.into() };
    let start = i + MARK.len();
    let end = path[start..].find('/').map_or(path.len(), |j| start + j);
    format!("{}<redacted>{}", &path[..start], redact_path(&path[end..])).into()
}

async fn unknown_url_auth_path() -> Response {
    error_response(StatusCode::NOT_FOUND, "not found: the URL-auth MCP endpoint is /v1/url_auth/<token>/mcp")
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("t={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn guard_host_origin(State(policy): State<Arc<OriginPolicy>>, req: Request, next: Next) -> Response {
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

async fn log_request(req: Request, next: Next) -> Response {
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
async fn limit_body(State(max): State<usize>, req: Request, next: Next) -> Response {
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

async fn require_token(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let presented: Result<String, TokenError> = match req.extensions().get::<UrlToken>() {
        Some(UrlToken(t)) => Ok(t.clone()),
        None => match req.headers().get(header::AUTHORIZATION) {
            None => Err(TokenError::Missing),
            Some(v) => {
                v.to_str().map_err(|_| TokenError::Malformed).and_then(|v| bearer_from_header(v).map(str::to_string))
            }
        },
    };
    let identity = presented
        .and_then(|raw| Token::parse(&raw))
        .and_then(|t| app.tokens.authenticate(&t))
        .map(|rec| Identity { session_id: rec.session_id, token_id: Some(rec.id), transport: Transport::Http });
    let identity = match identity {
        Ok(id) => id,
        Err(_) if app.settings().disable_auth => {
            Identity { session_id: DEFAULT_SESSION_ID.into(), token_id: None, transport: Transport::Http }
        }
        Err(e) => {
            match e {
                TokenError::Reserved => {
                    tracing::warn!("refused a reserved session name presented as a bearer token")
                }
                TokenError::Missing => tracing::debug!("request without a bearer token"),
                _ => tracing::warn!("refused an invalid bearer token ({e})"),
            }
            return unauthorized(e);
        }
    };
    req.extensions_mut().insert(identity);
    next.run(req).await
}

fn unauthorized(e: TokenError) -> Response {
    let code = if e == TokenError::Missing { "invalid_request" } else { "invalid_token" };
    let mut resp = error_response(StatusCode::UNAUTHORIZED, &format!("unauthorized: {e}"));
    let challenge = format!("Bearer realm=\"fast-mcp-telegram\", error=\"{code}\"");
    resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_str(&challenge).expect("ascii"));
    resp
}

async fn health(State(app): State<Arc<App>>) -> Response {
    let sessions = app.sessions.activity();
    let pool = app.sessions.stats();
    let body = json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": app.started.elapsed().as_secs(),
        "auth": if app.settings().disable_auth { "disabled" } else { "bearer" },
        "active_sessions": pool.active,
        "busy_sessions": pool.busy,
        "waiting_for_session": pool.waiting,
        "max_sessions": pool.max_active,
        "sessions": sessions,
        "at_rest": app.sessions.at_rest(),
        "tickets": crate::attachments::live_counts(&app),
    });
    no_store(axum::Json(body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOK: &str = "Abcdefghijklmnopqrstuvwxyz0123456789_-ABCDE";

    fn rewritten(path: &str) -> Request {
        rewrite_url_auth(Request::builder().uri(path).body(Body::empty()).unwrap())
    }

    fn shown(req: &Request) -> String {
        req.extensions().get::<ShownPath>().map(|ShownPath(p)| p.clone()).unwrap_or_default()
    }

    #[test]
    fn url_auth_mcp_paths_become_v1_mcp_with_the_token_aside() {
        for (path, expected) in [
            (format!("/v1/url_auth/{TOK}/mcp"), "/v1/mcp"),
            (format!("/v1/url_auth/{TOK}/mcp/"), "/v1/mcp/"),
            (format!("/v1/url_auth/{TOK}/mcp?x=1"), "/v1/mcp?x=1"),
            (format!("//V1/URL_AUTH//{TOK}/mcp"), "/v1/mcp"),
        ] {
            let req = rewritten(&path);
            assert_eq!(req.uri().to_string(), expected, "{path}");
            assert_eq!(req.extensions().get::<UrlToken>().map(|t| t.0.as_str()), Some(TOK), "{path}");
            assert_eq!(
                shown(&req),
                "/v1/url_auth/<redacted>/mcp".to_string()
                    + expected.strip_prefix("/v1/mcp").unwrap().split('?').next().unwrap()
            );
        }
    }

    #[test]
    fn every_other_url_auth_path_loses_its_token() {
        for tail in ["", "/", "/sse", "/messages", "/mcpx", "/mcp-x", "/MCP", "/sse/v1/url_auth/x"] {
            let path = format!("/v1/url_auth/{TOK}{tail}");
            let req = rewritten(&path);
            let uri = req.uri().to_string();
            assert!(uri.starts_with(URL_AUTH_UNKNOWN) && !uri.contains(TOK), "{path} -> {uri}");
            assert!(req.extensions().get::<UrlToken>().is_none(), "{path}");
            let s = shown(&req);
            assert!(s.starts_with("/v1/url_auth/<redacted>") && !s.contains(TOK), "{path} -> {s}");
        }
        // Paths elsewhere are untouched.
        let req = rewritten("/v1/mcp");
        assert_eq!(req.uri().path(), "/v1/mcp");
        assert!(req.extensions().get::<ShownPath>().is_none());
    }

    #[test]
    fn redaction_covers_any_url_auth_segment() {
        assert_eq!(redact_path("/x/URL_AUTH/secret/y/url_auth/other"), "/x/URL_AUTH/<redacted>/y/url_auth/<redacted>");
        assert_eq!(redact_path("/health"), "/health");
    }
}
