//! The session pool under load: many sessions busy at once are all answered (no call cut by
//! an eviction), only idle clients are closed, a full pool of busy clients gives a clear
//! retryable error, and usernames resolve once per session.

use crate::common;
use common::*;
use fake_tg_dc::demo;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Logs in `n` separate sessions (each its own auth key) of demo account A; returns their tokens.
async fn many_sessions(h: &TgHarness, n: usize) -> Vec<String> {
    let mut tokens = Vec::with_capacity(n);
    for _ in 0..n {
        tokens.push(h.login(demo::A_PHONE, demo::A_CODE, None).await);
    }
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_busy_sessions_under_the_default_limit_all_get_answers() {
    let h = TgHarness::start(&[]).await;
    assert_eq!(h.srv.app.sessions.max_active(), 10, "the default limit");
    let tokens = many_sessions(&h, 100).await;
    // Each login left its client connected: start from a pool that must evict to serve anyone.
    for round in 0..3 {
        let calls = tokens.iter().flat_map(|t| std::iter::repeat_n(t.clone(), 3));
        let results = futures::future::join_all(calls.map(|t| {
            let h = &h;
            async move { h.call(&t, "get_messages", json!({"chat_id": "me", "limit": 5})).await }
        }))
        .await;
        let failed: Vec<&Value> = results.iter().filter(|(err, _)| *err).map(|(_, v)| v).collect();
        assert!(
            failed.is_empty(),
            "round {round}: {} of {} calls failed, e.g. {}",
            failed.len(),
            results.len(),
            failed[0]
        );
        for (_, v) in &results {
            assert!(!v["messages"].as_array().unwrap().is_empty(), "a real answer: {v}");
        }
        let stats = h.srv.app.sessions.stats();
        assert!(stats.active <= 10, "never more clients than the limit: {stats:?}");
        assert_eq!(stats.busy, 0, "every lease ended with its call");
    }
}

#[tokio::test]
async fn a_client_in_use_is_never_closed_to_make_room() {
    let h = TgHarness::start(&[("MAX_ACTIVE_SESSIONS", "2")]).await;
    let tokens = many_sessions(&h, 6).await;
    let first = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&tokens[0]).unwrap()).unwrap();
    // A long call (or a stream) holds a lease on the first session...
    let lease = h.srv.app.sessions.client(&first.session_id).await.unwrap();
    // ...while many other sessions come and go through the one remaining slot.
    for t in &tokens[1..] {
        for _ in 0..2 {
            assert_eq!(h.ok(t, "get_chat_info", json!({"chat_id": "me"})).await["id"], demo::A_ID);
        }
    }
    assert!(lease.is_connected(), "the client with a call in flight was not disconnected");
    assert!(lease.is_authorized().await.unwrap(), "and its connection still answers");
    let activity = h.srv.app.sessions.activity();
    let mine = activity.iter().find(|a| a.session_id == first.session_id).unwrap();
    assert!(mine.connected && mine.in_flight == 1, "{mine:?}");
    drop(lease);
    assert_eq!(h.srv.app.sessions.stats().busy, 0);
}

#[tokio::test]
async fn a_full_pool_of_busy_clients_answers_a_clear_retryable_error() {
    let h = TgHarness::start(&[("MAX_ACTIVE_SESSIONS", "1"), ("SESSION_SLOT_WAIT_SECONDS", "1")]).await;
    let tokens = many_sessions(&h, 2).await;
    let first = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&tokens[0]).unwrap()).unwrap();
    let lease = h.srv.app.sessions.client(&first.session_id).await.unwrap();
    let (err, v) = h.call(&tokens[1], "get_chat_info", json!({"chat_id": "me"})).await;
    assert!(err, "{v}");
    assert!(v["error"].as_str().unwrap().contains("session slots are busy"), "{v}");
    assert_eq!(v["action"], "retry", "{v}");
    assert!(lease.is_connected(), "the busy client was kept");
    drop(lease);
    // Once the first call is over, the waiting session gets the slot.
    assert_eq!(h.ok(&tokens[1], "get_chat_info", json!({"chat_id": "me"})).await["id"], demo::A_ID);
}

#[tokio::test]
async fn health_shows_the_callers_waiting_for_a_slot() {
    let h = TgHarness::start(&[("MAX_ACTIVE_SESSIONS", "1"), ("SESSION_SLOT_WAIT_SECONDS", "30")]).await;
    let tokens = many_sessions(&h, 2).await;
    let first = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&tokens[0]).unwrap()).unwrap();
    let lease = h.srv.app.sessions.client(&first.session_id).await.unwrap();
    let waiting_call = {
        let t = tokens[1].clone();
        let url = h.srv.url("/v1/mcp");
        tokio::spawn(async move {
            let body = json!({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_chat_info","arguments":{"chat_id":"me"}}});
            mcp_post(&url, &body, &[("authorization", &format!("Bearer {t}"))]).await.json::<Value>().await.unwrap()
        })
    };
    let health = loop {
        let health: Value = reqwest::get(h.srv.url("/health")).await.unwrap().json().await.unwrap();
        if health["waiting_for_session"] == 1 {
            break health;
        }
        assert!(!waiting_call.is_finished(), "the call should wait for the busy slot: {health}");
        tokio::task::yield_now().await;
    };
    assert_eq!(health["busy_sessions"], 1, "{health}");
    assert_eq!(health["max_sessions"], 1, "{health}");
    drop(lease);
    let answer = waiting_call.await.unwrap();
    assert_eq!(answer["result"]["structuredContent"]["id"], demo::A_ID, "{answer}");
}

#[tokio::test]
async fn idle_clients_are_closed_after_the_idle_time_even_under_the_limit() {
    let h = TgHarness::start(&[("SESSION_IDLE_SECONDS", "1")]).await;
    let token = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    h.ok(&token, "get_chat_info", json!({"chat_id": "me"})).await;
    assert_eq!(h.srv.app.sessions.stats().active, 1);
    assert_eq!(h.srv.app.sessions.close_idle(), 0, "just used: kept");
    // Idle time is measured on a monotonic clock; wait it out once, then the reaper pass closes it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while h.srv.app.sessions.close_idle() == 0 {
        assert!(std::time::Instant::now() < deadline, "an idle client was never closed");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(h.srv.app.sessions.stats().active, 0);
    // The file stays and the next call reconnects.
    assert_eq!(h.ok(&token, "get_chat_info", json!({"chat_id": "me"})).await["id"], demo::A_ID);
}

#[tokio::test]
async fn usernames_are_resolved_once_then_served_from_the_cache() {
    let h = TgHarness::start(&[]).await;
    let token = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    for spelling in ["@carol", "carol", "https://t.me/carol", "@Carol"] {
        assert_eq!(
            h.ok(&token, "get_chat_info", json!({"chat_id": spelling})).await["id"],
            demo::CAROL_ID,
            "{spelling}"
        );
    }
    let resolves = h.dc.calls().iter().filter(|c| c.method == "contacts.resolveUsername").count();
    assert_eq!(resolves, 1, "one lookup for four spellings of the same name");
    // Another session has its own cache.
    let other = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    h.ok(&other, "get_chat_info", json!({"chat_id": "@carol"})).await;
    let resolves = h.dc.calls().iter().filter(|c| c.method == "contacts.resolveUsername").count();
    assert_eq!(resolves, 2);
}

#[tokio::test]
async fn a_rejected_cached_peer_is_resolved_again() {
    let h = TgHarness::start(&[]).await;
    let token = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    h.ok(&token, "get_messages", json!({"chat_id": "@carol", "limit": 1})).await;
    h.dc.inject_error("messages.getHistory", 400, "PEER_ID_INVALID");
    let (err, v) = h.call(&token, "get_messages", json!({"chat_id": "@carol", "limit": 1})).await;
    assert!(err && v["telegram_error"] == "PEER_ID_INVALID", "{v}");
    h.ok(&token, "get_messages", json!({"chat_id": "@carol", "limit": 1})).await;
    let counts: HashMap<String, usize> = h.dc.calls().iter().fold(HashMap::new(), |mut m, c| {
        *m.entry(c.method.clone()).or_default() += 1;
        m
    });
    assert_eq!(counts.get("contacts.resolveUsername"), Some(&2), "asked again after the rejection: {counts:?}");
}
