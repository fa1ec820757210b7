//! Attachment tickets against the fake DC: round trip (bytes equal), expiry, unknown
//! tickets, size limit; and media as MCP content when no DOMAIN is set.

use crate::common;
use common::*;
use fake_tg_dc::demo;
use serde_json::json;

const DOMAIN_HOST: &str = "tg.example.test";

async fn get(h: &TgHarness, url: &str) -> reqwest::Response {
    // DOMAIN is a public name; reach the local server with that Host header.
    let path = url.split_once(DOMAIN_HOST).map(|(_, p)| p).unwrap_or(url);
    reqwest::Client::new().get(h.srv.url(path)).header("host", DOMAIN_HOST).send().await.unwrap()
}

#[tokio::test]
async fn ticket_round_trip_streams_the_exact_bytes() {
    let h = TgHarness::start(&[("DOMAIN", DOMAIN_HOST)]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "get_messages", json!({"chat_id": "@erin_e", "message_ids": [123]})).await;
    assert!(v["messages"][0]["media"]["attachment_download_url"].is_string(), "by-id reads get links too: {v}");
    let v = h.ok(&tok, "get_messages", json!({"chat_id": "@erin_e", "limit": 10})).await;
    let doc = v["messages"].as_array().unwrap().iter().find(|m| m["id"] == 123).unwrap().clone();
    let url = doc["media"]["attachment_download_url"].as_str().expect("link minted").to_string();
    assert!(url.starts_with(&format!("https://{DOMAIN_HOST}/v1/attachments/")), "{url}");
    let r = get(&h, &url).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], fake_tg_dc::DEMO_DOCUMENT_LEN.to_string().as_str());
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("report.pdf"));
    assert_eq!(r.headers()["cache-control"], "private, no-store");
    let body = r.bytes().await.unwrap();
    assert_eq!(body.as_ref(), fake_tg_dc::demo_document_bytes().as_slice());
    // Polls get no link; photos do.
    let poll = v["messages"].as_array().unwrap().iter().find(|m| m["id"] == 125).unwrap();
    assert!(poll["media"].get("attachment_download_url").is_none());
    let photo = v["messages"].as_array().unwrap().iter().find(|m| m["id"] == 122).unwrap();
    let r = get(&h, photo["media"]["attachment_download_url"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
}

#[tokio::test]
async fn unknown_expired_and_malformed_tickets_are_404() {
    let h = TgHarness::start(&[("DOMAIN", DOMAIN_HOST)]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    for path in [
        format!("/v1/attachments/{}", uuid::Uuid::new_v4()),
        "/v1/attachments/not-a-uuid".into(),
        "/v1/attachments/..%2F..%2Ftokens.json".into(),
    ] {
        assert_eq!(get(&h, &path).await.status(), 404, "{path}");
    }
    // A ticket past its TTL.
    let rec = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&tok).unwrap()).unwrap();
    let client = h.srv.app.sessions.client(&rec.session_id).await.unwrap();
    let erin = client.resolve("@erin_e").await.unwrap();
    let dead = h.srv.app.tickets.mint(&rec.session_id, None, erin, 123, std::time::Duration::ZERO);
    assert_eq!(get(&h, &format!("/v1/attachments/{dead}")).await.status(), 404);
    let live = h.srv.app.tickets.mint(&rec.session_id, None, erin, 123, std::time::Duration::from_secs(60));
    assert_eq!(get(&h, &format!("/v1/attachments/{live}/anything.pdf")).await.status(), 200);
}

#[tokio::test]
async fn links_need_a_domain_and_http() {
    // No DOMAIN: no links.
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "get_messages", json!({"chat_id": "@erin_e", "limit": 10})).await;
    assert!(!v.to_string().contains("attachment_download_url"));
    assert_eq!(h.srv.app.tickets.len(), 0);
    // A DOMAIN, but a stdio client: no links either (it gets no use of a URL)...
    let h = TgHarness::start(&[("DOMAIN", DOMAIN_HOST)]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let (err, v) = h.call_stdio(&tok, "get_messages", json!({"chat_id": "@erin_e", "limit": 10})).await;
    assert!(!err, "{v}");
    assert!(v["messages"].as_array().unwrap().iter().any(|m| m["id"] == 123), "the document is read: {v}");
    assert!(!v.to_string().contains("attachment_download_url"), "{v}");
    assert_eq!(h.srv.app.tickets.len(), 0);
    // ...while the same call over HTTP gets one.
    let v = h.ok(&tok, "get_messages", json!({"chat_id": "@erin_e", "limit": 10})).await;
    assert!(v.to_string().contains("attachment_download_url"), "{v}");
}

#[tokio::test]
async fn links_live_for_the_configured_ttl() {
    for ttl in [120u64, 7200] {
        let h = TgHarness::start(&[("DOMAIN", DOMAIN_HOST), ("ATTACHMENT_TICKET_TTL_SECONDS", &ttl.to_string())]).await;
        let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
        let before = std::time::Instant::now();
        let path = link(&h, &tok).await;
        let after = std::time::Instant::now();
        let id: uuid::Uuid = path.trim_start_matches("/v1/attachments/").parse().unwrap();
        let t = h.srv.app.tickets.get(&id).expect("live ticket");
        let ttl = std::time::Duration::from_secs(ttl);
        assert!(t.expires >= before + ttl && t.expires <= after + ttl, "ticket lifetime is the configured {ttl:?}");
    }
}

#[tokio::test]
async fn links_die_on_restart() {
    let h = TgHarness::start(&[("DOMAIN", DOMAIN_HOST)]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let path = link(&h, &tok).await;
    assert_eq!(get(&h, &path).await.status(), 200);
    let h = h.restart(&[("DOMAIN", DOMAIN_HOST)]).await;
    // The token and its session survive the restart; the link does not.
    h.ok(&tok, "get_messages", json!({"chat_id": "@erin_e", "message_ids": [123]})).await;
    assert_eq!(get(&h, &path).await.status(), 404);
    let fresh = link(&h, &tok).await;
    assert_eq!(get(&h, &fresh).await.status(), 200);
}

#[tokio::test]
async fn oversize_files_are_refused() {
    let h = TgHarness::start(&[("DOMAIN", DOMAIN_HOST), ("MAX_FILE_SIZE_MB", "1")]).await;
    h.dc.with_world(|w| w.files.get_mut(&demo::REPORT_FILE_ID).unwrap().bytes = vec![7u8; 1_500_000]);
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "get_messages", json!({"chat_id": "@erin_e", "limit": 10})).await;
    let doc = v["messages"].as_array().unwrap().iter().find(|m| m["id"] == 123).unwrap();
    assert_eq!(doc["media"]["size_bytes"], 1_500_000);
    let r = get(&h, doc["media"]["attachment_download_url"].as_str().unwrap()).await;
    assert_eq!(r.status(), 413);
    // And as MCP content it is skipped with a note, not downloaded.
    let (err, _, content) = h
        .call_full(&tok, "get_messages", json!({"chat_id": "@erin_e", "message_ids": [123], "download_media": true}))
        .await;
    assert!(!err);
    let blocks = content.as_array().unwrap();
    assert!(blocks.iter().all(|b| b["type"] == "text"), "nothing over the limit is inlined");
    assert!(blocks.iter().any(|b| b["text"].as_str().unwrap_or("").contains("over the download limit")), "{content}");
}

#[tokio::test]
async fn media_as_mcp_content_without_domain() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let (err, v, content) =
        h.call_full(&tok, "get_messages", json!({"chat_id": "@erin_e", "limit": 10, "download_media": true})).await;
    assert!(!err, "{v}");
    let blocks = content.as_array().unwrap();
    let image = blocks.iter().find(|b| b["type"] == "image").expect("photo as image content");
    assert_eq!(image["mimeType"], "image/jpeg");
    let audio = blocks.iter().find(|b| b["type"] == "audio").expect("voice as audio content");
    assert!(audio["data"].as_str().unwrap().len() > 100);
    let res = blocks.iter().find(|b| b["type"] == "resource").expect("document as embedded resource");
    let blob =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, res["resource"]["blob"].as_str().unwrap())
            .unwrap();
    assert_eq!(blob, fake_tg_dc::demo_document_bytes());
}

/// Reads Erin's document and returns its attachment link (path part).
async fn link(h: &TgHarness, tok: &str) -> String {
    let v = h.ok(tok, "get_messages", json!({"chat_id": "@erin_e", "message_ids": [123]})).await;
    let url = v["messages"][0]["media"]["attachment_download_url"].as_str().expect("link minted").to_string();
    url.split_once(DOMAIN_HOST).unwrap().1.to_string()
}

async fn health_tickets(h: &TgHarness) -> serde_json::Value {
    let r = reqwest::Client::new().get(h.srv.url("/health")).send().await.unwrap();
    r.json::<serde_json::Value>().await.unwrap()["tickets"].clone()
}

#[tokio::test]
async fn links_die_with_their_token_at_once() {
    let h = TgHarness::start(&[("DOMAIN", DOMAIN_HOST)]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let rec = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&tok).unwrap()).unwrap();
    // A second token on the same session: its links must survive the first one's revocation.
    let other = h.srv.app.tokens.create_for_session("second", &rec.session_id).unwrap();
    let other_tok = other.token.expose().to_string();

    let first = link(&h, &tok).await;
    let second = link(&h, &other_tok).await;
    assert_eq!(get(&h, &first).await.status(), 200);
    assert_eq!(health_tickets(&h).await, json!({ rec.session_id.clone(): 2 }));

    // Rotation (another process, as the CLI would) ends the old token's links at the next GET.
    let cli =
        tgmcp_core::token_index::TokenIndex::open(h.srv.dir.path(), tgmcp_core::keystore::KeyStore::none()).unwrap();
    let rotated = cli.rotate(&rec.id).unwrap();
    let r = get(&h, &first).await;
    assert_eq!(r.status(), 410);
    assert!(r.text().await.unwrap().contains("revoked"));
    assert_eq!(get(&h, &first).await.status(), 404, "a dead ticket is forgotten");
    assert_eq!(get(&h, &second).await.status(), 200, "the other token's link still works");
    assert_eq!(health_tickets(&h).await, json!({ rec.session_id.clone(): 1 }));

    // Revocation likewise.
    let third = link(&h, rotated.token.expose()).await;
    assert_eq!(get(&h, &third).await.status(), 200);
    cli.revoke(&rec.id).unwrap();
    assert_eq!(get(&h, &third).await.status(), 410);

    // Signing the session out (its file is deleted) ends the links of every token on it.
    h.srv.app.sessions.delete(&rec.session_id).await.unwrap();
    assert_eq!(get(&h, &second).await.status(), 410);
    assert_eq!(health_tickets(&h).await, json!({}));
}

#[tokio::test]
async fn dev_mode_links_are_bound_to_the_token_it_acts_as() {
    let h = TgHarness::start(&[("DOMAIN", DOMAIN_HOST), ("DISABLE_AUTH", "true")]).await;
    // Development mode acts as the first logged-in token: its links are that token's.
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let rec = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&tok).unwrap()).unwrap();
    let v = h.ok("", "get_messages", json!({"chat_id": "@erin_e", "message_ids": [123]})).await;
    let url = v["messages"][0]["media"]["attachment_download_url"].as_str().expect("link minted").to_string();
    let path = url.split_once(DOMAIN_HOST).unwrap().1.to_string();
    assert_eq!(get(&h, &path).await.status(), 200);
    // Revoking that token ends them, as for a request that carried it.
    h.srv.app.tokens.revoke(&rec.id).unwrap();
    assert_eq!(get(&h, &path).await.status(), 410);
}
