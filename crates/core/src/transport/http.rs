//! Localhost streamable HTTP: `/v1/mcp` (bearer auth), `/v1/url_auth/{token}/mcp`,
//! `POST /mtproto-api/{method}` (bearer auth), `GET /v1/attachments/{ticket}` (the
//! ticket is the capability), `/setup` + `/api/*` (loopback only, setup key) and
//! `/health`. Host and Origin are checked on every route (DNS-rebinding
//! defence); bodies are size-limited; requests time out.

use crate::app::{App, Identity};
use crate::config::Transport;
use crate::mcp::TelegramMcp;
use crate::sessions::DEFAULT_SESSION_ID;
use crate::tokens::{Token, TokenError, bearer_from_header};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

/// Marks a request that arrived on `/v1/url_auth/{token}/mcp`; carries the token.
#[derive(Clone)]
struct UrlToken(String);

/// Which Hosts and Origins this server answers to.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    hosts: Vec<String>,
    origins: Vec<String>,
}

impl OriginPolicy {
    /// Loopback names and the bound IP literal on `local`'s port, plus the public DOMAIN if configured.
    /// (IP literals cannot be re-bound by DNS, so allowing the one we listen on is safe.)
    pub fn new(local: SocketAddr, domain: Option<&url::Url>) -> Self {
        let port = local.port();
        let mut hosts = vec!["localhost".to_string(), "127.0.0.1".to_string(), "[::1]".to_string()];
        if !local.ip().is_unspecified() {
            let lit = match local.ip() {
                std::net::IpAddr::V4(v4) => v4.to_string(),
                std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            };
            if !hosts.contains(&lit) {
                hosts.push(lit);
            }
        }
        let mut origins: Vec<String> = hosts.iter().map(|h| format!("http://{h}:{port}")).collect();
        if let Some(d) = domain
            && let Some(h) = d.host_str()
        {
            hosts.push(h.to_ascii_lowercase());
            origins.push(d.origin().ascii_serialization());
        }
        OriginPolicy { hosts, origins }
    }

    fn host_ok(&self, host: &str) -> bool {
        let name = match host.rfind(':') {
            Some(i) if !host.ends_with(']') => &host[..i],
            _ => host,
        };
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    fn origin_ok(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }
}

/// Builds the router for a server listening on `local_addr`.
pub fn router(app: Arc<App>, local_addr: SocketAddr) -> Router {
    let policy = Arc::new(OriginPolicy::new(local_addr, app.config.domain.as_ref()));
    let mcp_config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_allowed_hosts(policy.hosts.iter().map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string()))
        .with_allowed_origins(policy.origins.clone())
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
        .merge(crate::tools::mtproto::bridge_routes())
        .layer(middleware::from_fn_with_state(app.clone(), require_token));
    Router::new()
        .route("/health", get(health))
        .route("/v1/attachments/{ticket}", get(crate::attachments::download))
        .route("/v1/attachments/{ticket}/{name}", get(crate::attachments::download))
        .merge(mcp_routes)
        .merge(crate::transport::setup::routes(app.clone(), local_addr))
        .with_state(app.clone())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(app.config.max_request_body_bytes))
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

/// Turns `/v1/url_auth/{token}/mcp…` into `/v1/mcp…` and keeps the token in an extension.
pub fn rewrite_url_auth(mut req: Request) -> Request {
    let path = req.uri().path();
    let Some(rest) = path.strip_prefix("/v1/url_auth/") else {
        return req;
    };
    let Some((token, tail)) = rest.split_once('/') else {
        return req;
    };
    let Some(after) = tail.strip_prefix("mcp") else {
        return req;
    };
    if !(after.is_empty() || after.starts_with('/')) {
        return req;
    }
    let token = percent_decode(token);
    let new_path = format!("/v1/mcp{after}");
    let pq = match req.uri().query() {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path,
    };
    let mut parts = req.uri().clone().into_parts();
    parts.path_and_query = pq.parse().ok();
    if let Ok(uri) = axum::http::Uri::from_parts(parts) {
        *req.uri_mut() = uri;
        req.extensions_mut().insert(UrlToken(token));
    }
    req
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
    let path = req.uri().path().to_string();
    let via_url = req.extensions().get::<UrlToken>().is_some();
    let resp = next.run(req).await;
    let shown = if via_url { "/v1/url_auth/<redacted>/mcp" } else { path.as_str() };
    if path != "/health" {
        tracing::info!(%method, path = shown, status = resp.status().as_u16(), "http");
    }
    resp
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

/// A JSON error body `{ "error": msg }` with `status`.
pub fn error_response(status: StatusCode, msg: &str) -> Response {
    no_store((status, axum::Json(json!({ "error": msg }))).into_response())
}

/// Marks a response `Cache-Control: no-store` (everything here is per-user and live).
pub fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
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
    });
    no_store(axum::Json(body).into_response())
}

#[allow(dead_code)]
fn _assert_body(_: Body) {}
