//! A stalled connection (the DC stops reading without closing, as after a laptop sleeps):
//! the call is answered within TELEGRAM_CALL_TIMEOUT_SECONDS with a clear retryable error,
//! /health says the session is offline, and once the link works again the next call
//! reconnects and /health says connected.

use crate::common;
use common::*;
use fake_tg_dc::demo;
use serde_json::{Value, json};

async fn session_health(h: &TgHarness) -> Value {
    let health: Value = reqwest::get(h.srv.url("/health")).await.unwrap().json().await.unwrap();
    health["sessions"][0].clone()
}

#[tokio::test]
async fn a_stalled_link_fails_fast_says_so_and_recovers() {
    let h = TgHarness::start(&[("TELEGRAM_CALL_TIMEOUT_SECONDS", "2")]).await;
    let token = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    h.ok(&token, "get_chat_info", json!({"chat_id": "me"})).await;
    let s = session_health(&h).await;
    assert_eq!(s["state"], "connected", "{s}");
    let first_ok = s["last_ok"].as_i64().unwrap();

    h.dc.set_stalled(true);
    let (err, v) = h.call(&token, "get_messages", json!({"chat_id": "me", "limit": 1})).await;
    assert!(err, "{v}");
    assert!(v["error"].as_str().unwrap().contains("did not answer within 2 s"), "{v}");
    assert_eq!(v["action"], "retry");
    let s = session_health(&h).await;
    assert_eq!(s["state"], "offline", "{s}");
    assert_eq!(s["connected"], false, "{s}");
    assert!(s["last_error"].as_str().unwrap().contains("stalled"), "{s}");

    h.dc.set_stalled(false);
    let v = h.ok(&token, "get_messages", json!({"chat_id": "me", "limit": 1})).await;
    assert_eq!(v["chat"]["id"], demo::A_ID);
    let s = session_health(&h).await;
    assert_eq!(s["state"], "connected", "{s}");
    assert!(s["last_error"].is_null(), "{s}");
    assert!(s["last_ok"].as_i64().unwrap() >= first_ok);
}
