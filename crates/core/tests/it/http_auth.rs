//! The HTTP auth matrix, DNS-rebinding defences, body limits and /health contents,
//! against a real server on 127.0.0.1.

use crate::common;
use common::*;
use serde_json::Value;

#[tokio::test]
async fn auth_matrix() {
    let srv = TestServer::start(&[]).await;
    let issued = srv.app.tokens.create("matrix").unwrap();
    let tok = issued.token.expose().to_string();
    let mcp = srv.url("/v1/mcp");
    let init = initialize_body();

    // Header auth works and reaches the MCP handler.
    let r = mcp_post(&mcp, &init, &[("authorization", &format!("Bearer {tok}"))]).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["result"]["serverInfo"]["name"], "fast-mcp-telegram");

    // URL auth works for clients that cannot send headers.
    let r = mcp_post(&srv.url(&format!("/v1/url_auth/{tok}/mcp")), &init, &[]).await;
    assert_eq!(r.status(), 200);

    // Failures: 401 with a Bearer challenge, and never a hint of the real token.
    let long_traversal = format!("..%2F..%2F..%2Fetc%2Fpasswd{}", "a".repeat(20));
    let cases: Vec<(String, Vec<(&str, String)>)> = vec![
        (mcp.clone(), vec![]),
        (mcp.clone(), vec![("authorization", "Bearer ".into())]),
        (mcp.clone(), vec![("authorization", format!("Basic {tok}"))]),
        (mcp.clone(), vec![("authorization", format!("Bearer {}", tgmcp_core::tokens::Token::generate().expose()))]),
        (mcp.clone(), vec![("authorization", "Bearer telegram".into())]),
        (mcp.clone(), vec![("authorization", "Bearer DEFAULT".into())]),
        (mcp.clone(), vec![("authorization", "Bearer ../../tokens.json".into())]),
        (srv.url("/v1/url_auth/telegram/mcp"), vec![]),
        (srv.url("/v1/url_auth/Session/mcp"), vec![]),
        (srv.url(&format!("/v1/url_auth/{long_traversal}/mcp")), vec![]),
        (srv.url("/v1/url_auth/..%2Ftokens.json/mcp"), vec![]),
        (srv.url(&format!("/v1/url_auth/{}x/mcp", &tok[..42])), vec![]),
    ];
    for (url, headers) in cases {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = mcp_post(&url, &init, &h).await;
        assert_eq!(r.status(), 401, "{url} {headers:?}");
        let challenge = r.headers().get("www-authenticate").expect("challenge").to_str().unwrap().to_string();
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        let body = r.text().await.unwrap();
        assert!(!body.contains(&tok));
    }
}

#[tokio::test]
async fn rotation_and_revocation_take_effect_immediately_even_from_another_process() {
    let srv = TestServer::start(&[]).await;
    // A second index on the same dir stands in for the CLI or the tray app.
    let other =
        tgmcp_core::token_index::TokenIndex::open(srv.dir.path(), tgmcp_core::keystore::KeyStore::none()).unwrap();
    let issued = other.create("cli").unwrap();
    let bearer = |t: &str| format!("Bearer {t}");
    let mcp = srv.url("/v1/mcp");
    assert_eq!(
        mcp_post(&mcp, &initialize_body(), &[("authorization", &bearer(issued.token.expose()))]).await.status(),
        200
    );
    let rotated = other.rotate(&issued.record.id).unwrap();
    assert_eq!(
        mcp_post(&mcp, &initialize_body(), &[("authorization", &bearer(issued.token.expose()))]).await.status(),
        401
    );
    assert_eq!(
        mcp_post(&mcp, &initialize_body(), &[("authorization", &bearer(rotated.token.expose()))]).await.status(),
        200
    );
    other.revoke(&issued.record.id).unwrap();
    assert_eq!(
        mcp_post(&mcp, &initialize_body(), &[("authorization", &bearer(rotated.token.expose()))]).await.status(),
        401
    );
}

#[tokio::test]
async fn disable_auth_lets_tokenless_requests_through() {
    let srv = TestServer::start(&[("DISABLE_AUTH", "true")]).await;
    let r = mcp_post(&srv.url("/v1/mcp"), &initialize_body(), &[]).await;
    assert_eq!(r.status(), 200);
    let h: Value = reqwest::get(srv.url("/health")).await.unwrap().json().await.unwrap();
    assert_eq!(h["auth"], "disabled");
}

#[tokio::test]
async fn foreign_origin_and_host_are_refused() {
    let srv = TestServer::start(&[]).await;
    let tok = srv.app.tokens.create("o").unwrap().token.expose().to_string();
    let auth = format!("Bearer {tok}");
    let mcp = srv.url("/v1/mcp");
    let own_origin = format!("http://127.0.0.1:{}", srv.addr.port());
    let wrong_port = format!("http://127.0.0.1:{}", srv.addr.port().wrapping_add(1));
    for origin in ["http://evil.example", "null", "http://localhost.evil.example", wrong_port.as_str()] {
        let r = mcp_post(&mcp, &initialize_body(), &[("authorization", &auth), ("origin", origin)]).await;
        assert_eq!(r.status(), 403, "{origin}");
    }
    assert_eq!(
        mcp_post(&mcp, &initialize_body(), &[("authorization", &auth), ("origin", &own_origin)]).await.status(),
        200
    );
    // DNS rebinding: a foreign Host header is refused on every route, even /health.
    for path in ["/v1/mcp", "/health"] {
        let r = reqwest::Client::new().get(srv.url(path)).header("host", "attacker.example").send().await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let r = reqwest::Client::new()
        .get(srv.url("/health"))
        .header("host", format!("localhost:{}", srv.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let srv = TestServer::start(&[("MAX_REQUEST_BODY_BYTES", "4096")]).await;
    let tok = srv.app.tokens.create("b").unwrap().token.expose().to_string();
    let big = serde_json::json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"pad":"x".repeat(10_000)}});
    let r = mcp_post(&srv.url("/v1/mcp"), &big, &[("authorization", &format!("Bearer {tok}"))]).await;
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn health_reports_activity_without_secrets() {
    // A logged-in session that was used through both token forms and minted an attachment link,
    // so every field of /health has something to report (and something it could leak).
    let h = TgHarness::start(&[("DOMAIN", "tg.example.test")]).await;
    let tok = h.login(fake_tg_dc::demo::A_PHONE, fake_tg_dc::demo::A_CODE, None).await;
    let rec = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&tok).unwrap()).unwrap();
    let v = h.ok(&tok, "get_messages", serde_json::json!({"chat_id": "@erin_e", "message_ids": [123]})).await;
    assert!(v.to_string().contains("attachment_download_url"), "{v}");
    let body = serde_json::json!({"jsonrpc":"2.0","id":3,"method":"tools/call",
        "params":{"name":"get_chat_info","arguments":{"chat_id":"me"}}});
    let r = mcp_post(&h.srv.url(&format!("/v1/url_auth/{tok}/mcp")), &body, &[]).await;
    assert_eq!(r.status(), 200);

    let r = reqwest::get(h.srv.url("/health")).await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let health: Value = r.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["auth"], "bearer");
    assert_eq!(health["max_sessions"], 10);
    assert!(health["uptime_seconds"].is_u64());
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(health["active_sessions"], 1, "{health}");
    let sessions = health["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{health}");
    assert_eq!(sessions[0]["session_id"], rec.session_id.as_str());
    assert_eq!(sessions[0]["connected"], true);
    assert_eq!(health["tickets"], serde_json::json!({ rec.session_id.clone(): 1 }), "live attachment tickets");

    let text = health.to_string();
    let digest = serde_json::to_value(&rec.digest).unwrap();
    for (what, secret) in [
        ("token", tok.as_str()),
        ("token prefix", &tok[..8]),
        ("token digest", digest.as_str().unwrap()),
        ("phone", fake_tg_dc::demo::A_PHONE.trim_start_matches('+')),
        ("username", "alice_a"),
        ("name", "Alice"),
        ("session dir", &h.srv.dir.path().to_string_lossy()),
    ] {
        assert!(!text.contains(secret), "{what} leaked into /health: {text}");
    }
}

#[tokio::test]
async fn the_bound_loopback_ip_is_an_allowed_host() {
    // Any 127/8 address works on Linux loopback; the Host guard must accept the one we bind.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_string_lossy().into_owned();
    let config = tgmcp_core::config::Config::from_lookup(|k| (k == "SESSION_DIR").then(|| d.clone())).unwrap();
    let app = tgmcp_core::app::App::new(config, tgmcp_core::keystore::KeyStore::none()).unwrap();
    let Ok(bound) = tgmcp_core::server::bind("127.0.0.2:0".parse().unwrap()).await else {
        eprintln!("skipped: this system cannot bind 127.0.0.2");
        return;
    };
    let addr = bound.addr();
    let _running = bound.spawn(app);
    let r = reqwest::get(format!("http://{addr}/health")).await.unwrap();
    assert_eq!(r.status(), 200);
    let r =
        reqwest::Client::new().get(format!("http://{addr}/health")).header("host", "127.0.0.3").send().await.unwrap();
    assert_eq!(r.status(), 403, "only the bound literal, not the whole range");
}

/// Every route the server has, as (method, path) with a bearer token or setup key where it needs one.
fn all_routes(tok: &str) -> Vec<(reqwest::Method, String)> {
    use reqwest::Method;
    vec![
        (Method::POST, "/v1/mcp".into()),
        (Method::POST, format!("/v1/url_auth/{tok}/mcp")),
        (Method::POST, "/mtproto-api/users.getFullUser".into()),
        (Method::POST, "/mtproto-api/v1/users.getFullUser".into()),
        (Method::POST, "/api/settings_get".into()),
        (Method::GET, "/setup".into()),
        (Method::GET, "/health".into()),
        (Method::GET, format!("/v1/attachments/{}", uuid::Uuid::new_v4())),
        (Method::GET, "/no/such/route".into()),
    ]
}

/// Sends `len` bytes of body over a raw HTTP/1.1 connection (chunked or with Content-Length),
/// so the encoding is exactly what the test says; returns the status and the response body.
async fn raw_request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    tok: &str,
    len: usize,
    chunked: bool,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let framing = if chunked { "transfer-encoding: chunked".to_string() } else { format!("content-length: {len}") };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {tok}\r\ncontent-type: application/json\r\n\
         accept: application/json, text/event-stream\r\nx-setup-key: {}\r\nconnection: close\r\n{framing}\r\n\r\n",
        tgmcp_core::transport::http::setup::setup_key()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut sent = 0;
    while sent < len {
        let n = (len - sent).min(1000);
        let chunk = vec![b'x'; n];
        // The server may answer and close before everything is sent; that is fine.
        let ok = if chunked {
            s.write_all(format!("{n:x}\r\n").as_bytes()).await.is_ok()
                && s.write_all(&chunk).await.is_ok()
                && s.write_all(b"\r\n").await.is_ok()
        } else {
            s.write_all(&chunk).await.is_ok()
        };
        if !ok {
            break;
        }
        sent += n;
    }
    if chunked {
        let _ = s.write_all(b"0\r\n\r\n").await;
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn over_limit_bodies_are_a_json_413_on_every_route_for_every_encoding() {
    let srv = TestServer::start(&[("MAX_REQUEST_BODY_BYTES", "4096")]).await;
    let tok = srv.app.tokens.create("b").unwrap().token.expose().to_string();
    for (method, path) in all_routes(&tok) {
        for chunked in [false, true] {
            let (status, body) = raw_request(srv.addr, method.as_str(), &path, &tok, 10_000, chunked).await;
            assert_eq!(status, 413, "{method} {path} chunked={chunked}: {body}");
            let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: not JSON: {e}: {body}"));
            assert!(v["error"].as_str().unwrap().contains("MAX_REQUEST_BODY_BYTES"), "{path}: {v}");
        }
    }
    // A chunked body under the limit still works.
    let init = serde_json::to_vec(&initialize_body()).unwrap();
    let r = reqwest::Client::new()
        .post(srv.url("/v1/mcp"))
        .header("authorization", format!("Bearer {tok}"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(
            init.chunks(50).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>(),
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn wrong_ports_foreign_hosts_and_origins_fail_on_every_route() {
    let srv = TestServer::start(&[]).await;
    let tok = srv.app.tokens.create("o").unwrap().token.expose().to_string();
    let p = srv.addr.port();
    let other = p.wrapping_add(1);
    let bad_hosts = [
        "localhost".to_string(),
        format!("localhost:{other}"),
        format!("127.0.0.1:{other}"),
        format!("attacker.example:{p}"),
        format!("[::1]:{other}"),
    ];
    let bad_origins = [
        format!("http://localhost:{other}"),
        format!("https://localhost:{p}"),
        "http://evil.example".into(),
        "null".into(),
        format!("http://127.0.0.1:{p}/x"),
    ];
    let send = |method: reqwest::Method, path: &str, extra: (&'static str, String)| {
        reqwest::Client::new()
            .request(method, srv.url(path))
            .header("authorization", format!("Bearer {tok}"))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header(extra.0, extra.1)
            .body(serde_json::to_vec(&initialize_body()).unwrap())
            .send()
    };
    for (method, path) in all_routes(&tok) {
        for h in &bad_hosts {
            let r = send(method.clone(), &path, ("host", h.clone())).await.unwrap();
            assert_eq!(r.status(), 403, "{method} {path} Host: {h}");
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["error"], "forbidden: Host not allowed");
        }
        for o in &bad_origins {
            let r = send(method.clone(), &path, ("origin", o.clone())).await.unwrap();
            assert_eq!(r.status(), 403, "{method} {path} Origin: {o}");
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["error"], "forbidden: Origin not allowed");
        }
    }
    // Our own names on our port pass both our guard and rmcp's.
    for h in [format!("localhost:{p}"), format!("127.0.0.1:{p}"), format!("[::1]:{p}")] {
        assert_eq!(send(reqwest::Method::POST, "/v1/mcp", ("host", h.clone())).await.unwrap().status(), 200, "{h}");
    }
}

#[tokio::test]
async fn the_public_domain_passes_our_guard_and_rmcps_alike() {
    let srv = TestServer::start(&[("DOMAIN", "tg.example.test")]).await;
    let tok = srv.app.tokens.create("d").unwrap().token.expose().to_string();
    let auth = format!("Bearer {tok}");
    for (k, v, status) in [
        ("host", "tg.example.test", 200),
        ("host", "tg.example.test:443", 200),
        ("host", "TG.EXAMPLE.TEST", 200),
        ("host", "tg.example.test:8443", 403),
        ("origin", "https://tg.example.test", 200),
        ("origin", "https://tg.example.test:443", 200),
        ("origin", "http://tg.example.test", 403),
    ] {
        let r = mcp_post(&srv.url("/v1/mcp"), &initialize_body(), &[("authorization", &auth), (k, v)]).await;
        assert_eq!(r.status(), status, "{k}: {v}");
    }
}

#[tokio::test]
async fn url_auth_paths_other_than_mcp_are_404_and_never_echo_the_token() {
    let srv = TestServer::start(&[]).await;
    let tok = srv.app.tokens.create("u").unwrap().token.expose().to_string();
    for tail in ["", "/", "/sse", "/messages", "/mcpx", "/v1/mcp"] {
        let url = srv.url(&format!("/v1/url_auth/{tok}{tail}"));
        let r = mcp_post(&url, &initialize_body(), &[]).await;
        assert_eq!(r.status(), 404, "{tail}");
        let body = r.text().await.unwrap();
        assert!(body.contains("/v1/url_auth/<token>/mcp") && !body.contains(&tok), "{tail}: {body}");
    }
    // Case and slashes do not get around the rewrite.
    let r = mcp_post(&srv.url(&format!("/V1/URL_AUTH/{tok}/mcp")), &initialize_body(), &[]).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn setup_page_and_assets_carry_the_security_headers() {
    // Written out here, not taken from the code: loosening a directive must fail this test.
    let expected_csp = [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'self'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ];
    let srv = TestServer::start(&[]).await;
    for path in ["/setup", "/setup/", "/setup/app.js", "/setup/style.css"] {
        let r = reqwest::get(srv.url(path)).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        let mut got: Vec<&str> = csp.split(';').map(str::trim).filter(|d| !d.is_empty()).collect();
        got.sort_unstable();
        let mut want = expected_csp.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "{path}: {csp}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(h["cache-control"].to_str().unwrap().contains("no-store"), "{path}");
    }
}

#[tokio::test]
async fn domain_is_an_allowed_origin_and_host() {
    // Behind a reverse proxy: the browser's Origin and the Host are the public DOMAIN.
    for (domain, origin, host) in [
        ("https://tg.example.test", "https://tg.example.test", "tg.example.test"),
        ("tg.example.test", "https://tg.example.test", "tg.example.test"),
        ("https://tg.example.test:8443", "https://tg.example.test:8443", "tg.example.test:8443"),
    ] {
        let srv = TestServer::start(&[("DOMAIN", domain)]).await;
        let tok = srv.app.tokens.create("o").unwrap().token.expose().to_string();
        let auth = format!("Bearer {tok}");
        let mcp = srv.url("/v1/mcp");
        let with = |o: &str, hst: Option<&str>| {
            let mut hs: Vec<(&str, String)> = vec![("authorization", auth.clone()), ("origin", o.to_string())];
            if let Some(hst) = hst {
                hs.push(("host", hst.to_string()));
            }
            hs
        };
        for (o, hst, want) in [
            (origin, None, 200),
            (origin, Some(host), 200),
            ("http://tg.example.test", None, 403),
            ("https://evil.tg.example.test", None, 403),
            ("https://tg.example.test.evil", None, 403),
        ] {
            let hs = with(o, hst);
            let hs: Vec<(&str, &str)> = hs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(
                mcp_post(&mcp, &initialize_body(), &hs).await.status(),
                want,
                "DOMAIN={domain} origin={o} host={hst:?}"
            );
        }
    }
    // Without DOMAIN the same origin is foreign.
    let srv = TestServer::start(&[]).await;
    let tok = srv.app.tokens.create("o").unwrap().token.expose().to_string();
    let r = mcp_post(
        &srv.url("/v1/mcp"),
        &initialize_body(),
        &[("authorization", &format!("Bearer {tok}")), ("origin", "https://tg.example.test")],
    )
    .await;
    assert_eq!(r.status(), 403);
}
