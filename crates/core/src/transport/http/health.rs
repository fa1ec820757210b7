//! `GET /health`: liveness, version, auth mode, the session pool, how sessions are stored and live attachment tickets (no secrets).

use super::responses::no_store;
use crate::app::App;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

pub(super) async fn health(State(app): State<Arc<App>>) -> Response {
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
