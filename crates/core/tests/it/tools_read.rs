//! get_messages and search_messages_globally through HTTP MCP → grammers → fake DC.

use crate::common;
use common::*;
use fake_tg_dc::demo;
use serde_json::json;

#[tokio::test]
async fn browse_paginates_to_the_end_without_gaps() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({"chat_id": "@carol", "limit": 50});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let v = h.ok(&tok, "get_messages", args).await;
        assert_eq!(v["chat"]["username"], "carol");
        for m in v["messages"].as_array().unwrap() {
            assert!(m.get("chat").is_none(), "per-chat results omit chat");
            ids.push(m["id"].as_i64().unwrap());
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(ids.len() <= demo::CAROL_CHAT_LEN);
    }
    let expected: Vec<i64> = (1..=demo::CAROL_CHAT_LEN as i64).rev().collect();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn search_in_chat_multi_term_and_from_user_and_ids() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let ids = |v: &serde_json::Value| -> Vec<i64> {
        v["messages"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect()
    };
    let v =
        h.ok(&tok, "get_messages", json!({"chat_id": "carol", "query": "zebra", "include_total_count": true})).await;
    assert_eq!(v["messages"].as_array().unwrap().len(), 4);
    assert!(texts(&v).iter().all(|t| t.ends_with("zebra")));
    assert_eq!(v["total_count"], 4, "{v}");
    // Two terms: the union, newest first, each message once; "message 12" also finds 120 (a zebra).
    let v = h
        .ok(&tok, "get_messages", json!({"chat_id": "carol", "query": "zebra, message 7", "include_total_count": true}))
        .await;
    assert_eq!(ids(&v), vec![120, 90, 79, 78, 77, 76, 75, 74, 73, 72, 71, 70, 60, 30, 7], "{v}");
    assert_eq!(v["total_count"], 15, "{v}");
    let v = h
        .ok(&tok, "get_messages", json!({"chat_id": "carol", "query": "message 12,zebra", "include_total_count": true}))
        .await;
    assert_eq!(ids(&v), vec![120, 90, 60, 30, 12], "{v}");
    assert_eq!(v["total_count"], 5, "a message found by both terms counts once: {v}");
    // from_user: only Carol's (odd) messages.
    let v = h.ok(&tok, "get_messages", json!({"chat_id": "carol", "from_user": "@carol", "limit": 10})).await;
    let ms = v["messages"].as_array().unwrap();
    assert_eq!(ms.len(), 10);
    assert!(ms.iter().all(|m| m["sender"]["id"] == demo::CAROL_ID && m["id"].as_i64().unwrap() % 2 == 1));
    // By ids keeps the order and reports missing ones.
    let v = h.ok(&tok, "get_messages", json!({"chat_id": "carol", "message_ids": [3, 999999, 1]})).await;
    let ms = v["messages"].as_array().unwrap();
    assert_eq!(ms[0]["id"], 3);
    assert!(ms[1]["error"].is_string());
    assert_eq!(ms[2]["id"], 1);
    // Empty results are empty lists, not errors.
    let v = h.ok(&tok, "get_messages", json!({"chat_id": "carol", "query": "nonexistentword"})).await;
    assert_eq!(v["messages"], json!([]));
    assert_eq!(v["has_more"], false);
}

#[tokio::test]
async fn threads_topics_and_channel_comments() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    // Channel post comments come from the linked discussion group.
    let v = h.ok(&tok, "get_messages", json!({"chat_id": "@technews", "reply_to_id": demo::COMMENTED_POST_ID})).await;
    let t = texts(&v);
    assert!(t.contains(&"Quantum keyboards sound fake".to_string()), "{v}");
    assert!(t.contains(&"I want one".to_string()));
    assert!(v["discussion_chat_id"].as_i64().unwrap() < 0);
    // Forum topic "Bugs".
    let forum = -1_000_000_000_000 - demo::DEV_FORUM_ID;
    let v = h.ok(&tok, "get_messages", json!({"chat_id": forum.to_string(), "reply_to_id": demo::TOPIC_BUGS})).await;
    let t = texts(&v);
    assert!(t.iter().any(|x| x.contains("Fixed the settings crash")), "{v}");
    assert!(!t.iter().any(|x| x.contains("octopus")));
}

#[tokio::test]
async fn media_and_entities_are_described() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "get_messages", json!({"chat_id": "@erin_e", "limit": 20})).await;
    let ms = v["messages"].as_array().unwrap();
    let by_id = |id: i64| ms.iter().find(|m| m["id"] == id).unwrap_or_else(|| panic!("no {id} in {v}"));
    assert!(by_id(121)["text"].as_str().unwrap().contains("**quarterly report**"));
    assert_eq!(by_id(122)["media"]["type"], "photo");
    assert_eq!(by_id(123)["media"]["file_name"], "report.pdf");
    assert_eq!(by_id(123)["media"]["size_bytes"], fake_tg_dc::DEMO_DOCUMENT_LEN);
    assert_eq!(by_id(124)["media"]["type"], "voice");
    assert_eq!(by_id(125)["media"]["type"], "poll");
    assert_eq!(by_id(125)["media"]["options"].as_array().unwrap().len(), 2);
    assert_eq!(by_id(126)["reply_to_msg_id"], 122);
    assert!(by_id(127)["forwarded_from"].is_object());
}

#[tokio::test]
async fn global_search_dedups_filters_and_pages() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "search_messages_globally", json!({"query": "sunset, beach"})).await;
    let ids: Vec<(i64, i64)> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["chat"]["id"].as_i64().unwrap(), m["id"].as_i64().unwrap()))
        .collect();
    let mut d = ids.clone();
    d.sort();
    d.dedup();
    assert_eq!(d.len(), ids.len(), "no duplicates: {ids:?}");
    assert!(ids.contains(&(demo::ERIN_ID, 122)) && ids.contains(&(demo::ERIN_ID, 126)), "{v}");
    // chat_type filter.
    let v = h.ok(&tok, "search_messages_globally", json!({"query": "pineapple", "chat_type": "channel"})).await;
    assert_eq!(v["messages"], json!([]));
    let v = h.ok(&tok, "search_messages_globally", json!({"query": "pineapple", "chat_type": "group"})).await;
    assert_eq!(v["messages"].as_array().unwrap().len(), 2);
    // Paging with limit 1 over "Carol history" walks all 120 without repeats.
    let mut seen = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    let mut calls = 0;
    loop {
        let mut args = json!({"query": "Carol history", "limit": 40});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let v = h.ok(&tok, "search_messages_globally", args).await;
        for m in v["messages"].as_array().unwrap() {
            assert!(seen.insert(m["id"].as_i64().unwrap()), "repeat {m}");
        }
        calls += 1;
        assert!(calls < 10);
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), demo::CAROL_CHAT_LEN);
}

#[tokio::test]
async fn bad_input_gets_clear_errors() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    for (args, needle) in [
        (json!({"chat_id": "carol", "min_date": "last tuesday"}), "min_date"),
        (json!({"chat_id": "carol", "message_ids": [1], "query": "x"}), "cannot be combined"),
        (json!({"chat_id": "@nosuchuser_xyz"}), "no chat with username"),
        (json!({"chat_id": "carol", "cursor": "garbage!"}), "cursor"),
        (json!({"chat_id": "carol", "min_date": "2026-02-01", "max_date": "2026-01-01"}), "after"),
    ] {
        let (err, v) = h.call(&tok, "get_messages", args.clone()).await;
        assert!(err, "{args}");
        assert_eq!(v["ok"], false);
        assert_eq!(v["tool"], "get_messages");
        assert!(v["error"].as_str().unwrap().contains(needle), "{args} → {v}");
    }
}

#[tokio::test]
async fn flood_wait_is_surfaced_with_retry_after() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    h.dc.inject_error("messages.getHistory", 420, "FLOOD_WAIT_7");
    let (err, v) = h.call(&tok, "get_messages", json!({"chat_id": "carol"})).await;
    assert!(err);
    assert_eq!(v["retry_after"], 7);
    assert_eq!(v["telegram_code"], 420);
}

#[tokio::test]
async fn two_tokens_on_two_accounts_never_mix() {
    let h = TgHarness::start(&[]).await;
    let a = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let b = h.login(demo::B_PHONE, demo::B_CODE, Some(demo::B_PASSWORD)).await;
    // Concurrently: each token sees its own Saved Messages.
    let (va, vb) = tokio::join!(
        h.ok(&a, "get_messages", json!({"chat_id": "me"})),
        h.ok(&b, "get_messages", json!({"chat_id": "me"}))
    );
    let ta = texts(&va).join("\n");
    let tb = texts(&vb).join("\n");
    assert!(ta.contains("buy milk") && !ta.contains("walnut"), "{ta}");
    assert!(tb.contains("walnut") && !tb.contains("buy milk"), "{tb}");
    let ia = h.ok(&a, "get_chat_info", json!({"chat_id": "me"})).await;
    let ib = h.ok(&b, "get_chat_info", json!({"chat_id": "me"})).await;
    assert_eq!(ia["id"], demo::A_ID);
    assert_eq!(ib["id"], demo::B_ID);
}

#[tokio::test]
async fn request_timeout_ends_a_call_telegram_never_answers() {
    let h = TgHarness::start(&[("REQUEST_TIMEOUT_SECONDS", "1")]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    h.dc.inject_fault("messages.getHistory", fake_tg_dc::Fault::Stall);
    let body = json!({"jsonrpc":"2.0","id":7,"method":"tools/call",
        "params":{"name":"get_messages","arguments":{"chat_id":"carol","limit":1}}});
    // A hang guard, far above the 1 s setting and far below the 300 s default it must override.
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        mcp_post(&h.srv.url("/v1/mcp"), &body, &[("authorization", &format!("Bearer {tok}"))]),
    )
    .await
    .expect("the 1 s REQUEST_TIMEOUT_SECONDS was not applied");
    assert_eq!(r.status(), 408, "REQUEST_TIMEOUT_SECONDS ends the HTTP request");
    assert!(h.dc.calls().iter().any(|c| c.request.contains("fault Stall")), "the call was waiting on Telegram");
    // The session is not wedged by the abandoned call.
    h.ok(&tok, "get_messages", json!({"chat_id": "carol", "limit": 1})).await;
}
