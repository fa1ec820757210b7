//! The browser setup page of the headless server: `GET /setup` serves the
//! same static `ui/` as the tray app (embedded in the binary) and
//! `POST /api/{command}` runs [`Control`] commands; `GET /api/events` pushes what changed
//! (server-sent events), so the open page never polls.
//!
//! Mounted only when the server listens on a loopback address. Besides the
//! Host/Origin guard of the HTTP router (DNS rebinding, foreign pages), every
//! API call must carry the per-launch random setup key in `X-Setup-Key` (the
//! server prints `SETUP http://127.0.0.1:PORT/setup#key=…` at start; the page
//! reads it from the URL fragment, which browsers never send to servers) and
//! `Content-Type: application/json` (no HTML form can send that cross-site
//! without a CORS preflight, which this server never grants).

use crate::app::App;
use crate::control::{Control, HostKind, ServerState};
use crate::transport::http::no_store;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use include_dir::{Dir, include_dir};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

/// The static UI (the same files the tray app shows), embedded at build time.
pub static UI: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../ui");

/// Header carrying the setup key.
pub const SETUP_KEY_HEADER: &str = "x-setup-key";

/// Content-Security-Policy of the setup page: only its own files, no framing.
pub const SETUP_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                             base-uri 'self'; form-action 'none'; frame-ancestors 'none'";

static KEY: OnceLock<String> = OnceLock::new();

/// The random setup key of this process (256 bits, URL-safe base64), created on first use.
pub fn setup_key() -> &'static str {
    KEY.get_or_init(|| {
        let mut bytes = [0u8; 32];
        rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut bytes)
            .expect("the OS random number generator failed");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    })
}

/// `http://127.0.0.1:PORT/setup#key=…` for a server on `local`; `None` when it is not loopback (no setup API then).
pub fn setup_url(local: SocketAddr) -> Option<String> {
    local.ip().is_loopback().then(|| format!("http://{local}/setup#key={}", setup_key()))
}

struct SetupState {
    control: Arc<Control>,
}

/// The setup routes for a server listening on `local`; empty unless `local` is a loopback address.
pub fn routes<S: Clone + Send + Sync + 'static>(app: Arc<App>, local: SocketAddr) -> Router<S> {
    if !local.ip().is_loopback() {
        return Router::new();
    }
    let state =
        Arc::new(SetupState { control: Arc::new(Control::new(app, HostKind::Http, ServerState::running(local))) });
    Router::new()
        .route("/", get(|| async { axum::response::Redirect::temporary("/setup") }))
        .route("/setup", get(page))
        .route("/setup/", get(page))
        .route("/setup/{*path}", get(asset))
        .route("/api/events", get(events))
        .route("/api/{command}", post(api))
        .with_state(state)
}

async fn page() -> Response {
    let Some(html) = UI.get_file("index.html").and_then(|f| f.contents_utf8()) else {
        return (StatusCode::NOT_FOUND, "setup UI not built in").into_response();
    };
    // The page lives at /setup; its relative asset links resolve under /setup/.
    let html = html.replacen("<head>", "<head>\n<base href=\"/setup/\">", 1);
    with_page_headers(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

async fn asset(Path(path): Path<String>) -> Response {
    if path == "index.html" {
        return page().await;
    }
    match UI.get_file(&path) {
        Some(f) => with_page_headers(([(header::CONTENT_TYPE, mime_of(&path))], f.contents()).into_response()),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn with_page_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(SETUP_CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    no_store(r)
}

fn mime_of(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The refusal of a request without this process's setup key (`None`: the key is right).
fn refuse_without_key(headers: &HeaderMap) -> Option<Response> {
    let presented = headers.get(SETUP_KEY_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    if crate::tokens::constant_time_eq(presented.as_bytes(), setup_key().as_bytes()) {
        return None;
    }
    tracing::warn!("refused a setup API call without the right setup key");
    Some(api_error(
        StatusCode::FORBIDDEN,
        "forbidden",
        "missing or wrong setup key: open the SETUP link the server printed at start",
    ))
}

/// `GET /api/events`: a `ready` event, then one `changed` event (`{"status","tokens","approvals",
/// "activity"}` booleans) per burst of changes. Nothing is sent while nothing changes.
async fn events(State(st): State<Arc<SetupState>>, headers: HeaderMap) -> Response {
    if let Some(refused) = refuse_without_key(&headers) {
        return refused;
    }
    use axum::response::sse::{Event, Sse};
    let ready =
        futures::stream::once(async { Ok::<_, std::convert::Infallible>(Event::default().event("ready").data("{}")) });
    let changes = futures::stream::unfold(st.control.changes(), |mut feed| async move {
        let changed = feed.next().await;
        let event = Event::default().event("changed").json_data(changed).expect("booleans serialise");
        Some((Ok(event), feed))
    });
    no_store(Sse::new(futures::StreamExt::chain(ready, changes)).into_response())
}

async fn api(
    State(st): State<Arc<SetupState>>,
    Path(command): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = refuse_without_key(&headers) {
        return refused;
    }
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if !json_body {
        return api_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send Content-Type: application/json",
        );
    }
    let args: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => {
                return api_error(StatusCode::BAD_REQUEST, "invalid_input", "the body is not valid JSON");
            }
        }
    };
    no_store(match st.control.call(&command, args).await {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            (status, axum::Json(e.to_json())).into_response()
        }
    })
}

fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    no_store((status, axum::Json(json!({ "error": { "message": message, "code": code } }))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::keystore::KeyStore;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    fn router_for(local: &str) -> (tempfile::TempDir, Router) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().into_owned();
        let config = Config::from_lookup(|k| match k {
            "SESSION_DIR" => Some(d.clone()),
            "SERVER_MODE" => Some("http".into()),
            _ => None,
        })
        .unwrap();
        let app = App::new(config, KeyStore::none()).unwrap();
        (dir, crate::transport::http::router(app, local.parse().unwrap()))
    }

    fn req(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Request<Body> {
        let mut b = Request::builder().method(method).uri(path).header("host", "127.0.0.1:4567");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::from(body.to_string())).unwrap()
    }

    async fn send(r: &Router, rq: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let resp = r.clone().oneshot(rq).await.unwrap();
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (parts.status, parts.headers, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn page_and_assets_are_served_with_strict_headers() {
        let (_d, r) = router_for("127.0.0.1:4567");
        let (status, headers, body) = send(&r, req("GET", "/setup", &[], "")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("<base href=\"/setup/\">"));
        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], SETUP_CSP);
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
        let (status, headers, _) = send(&r, req("GET", "/setup/app.js", &[], "")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"));
        let (status, _, _) = send(&r, req("GET", "/setup/../Cargo.toml", &[], "")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn events_need_the_key_and_push_a_change_made_through_the_api() {
        use futures::StreamExt;
        let (_d, r) = router_for("127.0.0.1:4567");
        let key = setup_key();
        let (status, _, _) = send(&r, req("GET", "/api/events", &[], "")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let evil = [("origin", "http://evil.example"), (SETUP_KEY_HEADER, key)];
        assert_eq!(send(&r, req("GET", "/api/events", &evil, "")).await.0, StatusCode::FORBIDDEN);

        let resp = r.clone().oneshot(req("GET", "/api/events", &[(SETUP_KEY_HEADER, key)], "")).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/event-stream");
        let mut body = resp.into_body().into_data_stream();
        let mut next =
            async || String::from_utf8(body.next().await.expect("the stream stays open").unwrap().to_vec()).unwrap();
        assert!(next().await.starts_with("event: ready"));
        let json_ct = ("content-type", "application/json");
        let (status, _, _) =
            send(&r, req("POST", "/api/settings_set", &[json_ct, (SETUP_KEY_HEADER, key)], r#"{"disable_auth":true}"#))
                .await;
        assert_eq!(status, StatusCode::OK);
        let changed = next().await;
        assert!(changed.starts_with("event: changed"), "{changed}");
        assert!(changed.contains(r#""status":true"#), "{changed}");
    }

    #[tokio::test]
    async fn api_needs_the_key_json_and_a_local_origin() {
        let (_d, r) = router_for("127.0.0.1:4567");
        let key = setup_key();
        let json_ct = ("content-type", "application/json");
        let (status, _, body) = send(&r, req("POST", "/api/status", &[json_ct], "{}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("\"code\":\"forbidden\""));
        let (status, _, _) = send(&r, req("POST", "/api/status", &[json_ct, (SETUP_KEY_HEADER, "wrong")], "{}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) =
            send(&r, req("POST", "/api/status", &[("content-type", "text/plain"), (SETUP_KEY_HEADER, key)], "{}"))
                .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let evil = ("origin", "http://evil.example");
        let (status, _, _) =
            send(&r, req("POST", "/api/status", &[json_ct, (SETUP_KEY_HEADER, key), evil], "{}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, body) = send(&r, req("POST", "/api/status", &[json_ct, (SETUP_KEY_HEADER, key)], "")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["host"], "http");
        assert_eq!(v["server"]["addr"], "127.0.0.1:4567");
        let (status, _, body) = send(&r, req("POST", "/api/nope", &[json_ct, (SETUP_KEY_HEADER, key)], "{}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("unknown_command"));
        let (status, _, _) = send(&r, req("GET", "/api/status", &[(SETUP_KEY_HEADER, key)], "")).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    }

    #[tokio::test]
    async fn not_mounted_on_non_loopback_binds() {
        assert!(setup_url("0.0.0.0:8000".parse().unwrap()).is_none());
        assert!(
            setup_url("127.0.0.1:8000".parse().unwrap()).unwrap().ends_with(&format!("/setup#key={}", setup_key()))
        );
        let (_d, r) = router_for("0.0.0.0:4567");
        let (status, _, _) = send(&r, req("GET", "/setup", &[], "")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let key = setup_key();
        let (status, _, _) = send(
            &r,
            req("POST", "/api/status", &[("content-type", "application/json"), (SETUP_KEY_HEADER, key)], "{}"),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
