//! The HTTP auth matrix, DNS-rebinding defences, body limits and /health contents,
//! against a real server on 127.0.0.1.

mod common;
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
    let srv = TestServer::start(&[]).await;
    let issued = srv.app.tokens.create("h").unwrap();
    let tok = issued.token.expose().to_string();
    let h: Value = reqwest::get(srv.url("/health")).await.unwrap().json().await.unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["max_sessions"], 10);
    assert!(h["uptime_seconds"].is_u64());
    assert_eq!(h["version"], env!("CARGO_PKG_VERSION"));
    let text = h.to_string();
    assert!(!text.contains(&tok));
    assert!(!text.contains(&tok[..8]), "token prefix leaked");
    let digest = serde_json::to_value(&issued.record.digest).unwrap();
    assert!(!text.contains(digest.as_str().unwrap()));
}

#[tokio::test]
async fn the_bound_loopback_ip_is_an_allowed_host() {
    // Any 127/8 address works on Linux loopback; the Host guard must accept the one we bind.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_string_lossy().into_owned();
    let config = tgmcp_core::config::Config::from_lookup(|k| (k == "SESSION_DIR").then(|| d.clone())).unwrap();
    let app = tgmcp_core::app::App::new(config, tgmcp_core::keystore::KeyStore::none()).unwrap();
    let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.2:0").await else {
        eprintln!("skipped: this system cannot bind 127.0.0.2");
        return;
    };
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tgmcp_core::transport::http::serve(app, listener, std::future::pending()));
    let r = reqwest::get(format!("http://{addr}/health")).await.unwrap();
    assert_eq!(r.status(), 200);
    let r =
        reqwest::Client::new().get(format!("http://{addr}/health")).header("host", "127.0.0.3").send().await.unwrap();
    assert_eq!(r.status(), 403, "only the bound literal, not the whole range");
}
