//! Localhost streamable HTTP: `/v1/mcp` (bearer auth), `/v1/url_auth/{token}/mcp`,
//! `POST /mtproto-api/{method}` (bearer auth), `GET /v1/attachments/{ticket}` (the
//! ticket is the capability), `/setup` + `/api/*` (loopback only, setup key) and
//! `/health`. Host and Origin are checked on every route against one
//! [`OriginPolicy`] (DNS-rebinding defence, host and port compared); the token of
//! any path under `/v1/url_auth/` is taken out before routing and logging; bodies
//! over the limit are a JSON 413 on every route; requests time out.

mod attachments;
mod auth;
mod bridge;
mod guard;
mod health;
mod origin;
mod responses;
pub mod setup;

pub use responses::{error_response, no_store};

pub use auth::rewrite_url_auth;

use crate::app::App;
use crate::mcp::TelegramMcp;
use auth::{URL_AUTH_UNKNOWN, require_token, unknown_url_auth_path};
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{any, get};
use guard::{guard_host_origin, limit_body, log_request};
use health::health;
use origin::OriginPolicy;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

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
        .route("/v1/attachments/{ticket}", get(attachments::download))
        .route("/v1/attachments/{ticket}/{name}", get(attachments::download))
        .route(&format!("{URL_AUTH_UNKNOWN}/{{*rest}}"), any(unknown_url_auth_path))
        .route(URL_AUTH_UNKNOWN, any(unknown_url_auth_path))
        .merge(mcp_routes)
        .merge(setup::routes(app.clone(), local_addr))
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
pub(crate) async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    if app.settings().disable_auth {
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
