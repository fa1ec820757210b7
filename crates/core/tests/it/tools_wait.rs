//! wait_for_messages through HTTP MCP → grammers' update stream → fake DC pushes and getDifference.

use crate::common;
use common::*;
use fake_tg_dc::{Draft, PeerKey, demo};
use serde_json::{Value, json};
use tgmcp_core::policy::{Access, ChatRule, Policy};

fn texts_of(v: &Value) -> Vec<String> {
    v["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap_or("").to_string()).collect()
}

/// Calls wait_for_messages from `cursor` until `n` messages came (each call waits up to 30 s);
/// returns their texts in order and the cursor after them. Fails on a repeat.
async fn collect(h: &TgHarness, tok: &str, chats: Option<Value>, mut cursor: String, n: usize) -> (Vec<Value>, String) {
    let mut got: Vec<Value> = Vec::new();
    while got.len() < n {
        let mut args = json!({"cursor": cursor, "timeout_seconds": 30});
        if let Some(c) = &chats {
            args["chat_ids"] = c.clone();
        }
        let v = h.ok(tok, "wait_for_messages", args).await;
        assert_eq!(v["timed_out"], false, "nothing came within 30 s after {got:?}");
        for m in v["messages"].as_array().unwrap() {
            let key = (&m["chat"]["id"], &m["id"]);
            assert!(!got.iter().any(|g| (&g["chat"]["id"], &g["id"]) == key), "repeated: {m}");
            got.push(m.clone());
        }
        cursor = v["next_cursor"].as_str().unwrap().to_string();
    }
    (got, cursor)
}

/// The cursor of "now" (a call that does not wait).
async fn now_cursor(h: &TgHarness, tok: &str) -> String {
    let v = h.ok(tok, "wait_for_messages", json!({"timeout_seconds": 0})).await;
    assert_eq!((v["timed_out"].as_bool(), v["messages"].as_array().map(Vec::len)), (Some(true), Some(0)), "{v}");
    v["next_cursor"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_message_another_account_sends_while_waiting_arrives_and_the_cursor_continues_without_loss_or_repeats() {
    let h = TgHarness::start(&[]).await;
    let alice = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let bob = h.login(demo::B_PHONE, demo::B_CODE, Some(demo::B_PASSWORD)).await;
    let start = now_cursor(&h, &alice).await;
    // Bob sends through his own session while Alice's call is waiting.
    let waiting = h.call(&alice, "wait_for_messages", json!({"cursor": start, "timeout_seconds": 60}));
    let sending = async { h.ok(&bob, "send_message", json!({"chat_id": "@alice_a", "message": "hi from bob"})).await };
    let ((err, got), _) = tokio::join!(waiting, sending);
    assert!(!err, "{got}");
    assert_eq!(texts_of(&got), ["hi from bob"], "{got}");
    let m = &got["messages"][0];
    assert_eq!((m["chat"]["id"].as_i64(), m["sender"]["id"].as_i64()), (Some(demo::B_ID), Some(demo::B_ID)), "{m}");
    let cursor = got["next_cursor"].as_str().unwrap().to_string();

    // More arrive between calls (and Telegram's login-code chat, which no token may read by default).
    h.dc.with_world(|w| w.add_service_notifications());
    h.ok(&bob, "send_message", json!({"chat_id": "@alice_a", "message": "two"})).await;
    h.dc.send_as(777_000, PeerKey::User(demo::A_ID), Draft::text("Login code: 55555"), true);
    h.ok(&bob, "send_message", json!({"chat_id": "@alice_a", "message": "three"})).await;
    let (more, cursor) = collect(&h, &alice, None, cursor, 2).await;
    assert_eq!(more.iter().map(|m| m["text"].as_str().unwrap()).collect::<Vec<_>>(), ["two", "three"]);
    // Nothing new: the wait times out with an empty list and the same position.
    let idle = h.ok(&alice, "wait_for_messages", json!({"cursor": cursor, "timeout_seconds": 1})).await;
    assert_eq!((idle["timed_out"].as_bool(), texts_of(&idle).len()), (Some(true), 0), "{idle}");
    assert!(!idle.to_string().contains("55555"), "the login-code chat leaked: {idle}");
    // Bob's own view: his sends are outgoing, so he sees them only when he asks for them.
    let bob_start = now_cursor(&h, &bob).await;
    let idle = h.ok(&bob, "wait_for_messages", json!({"cursor": bob_start, "timeout_seconds": 0})).await;
    assert!(texts_of(&idle).is_empty());
}

#[tokio::test]
async fn a_lost_update_is_fetched_with_get_difference_in_order() {
    let h = TgHarness::start(&[]).await;
    let alice = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let start = now_cursor(&h, &alice).await;
    // The first message never reaches Alice's connection; the second shows the gap in her pts.
    h.dc.send_as(demo::CAROL_ID, PeerKey::User(demo::A_ID), Draft::text("lost on the way"), false);
    h.dc.send_as(demo::CAROL_ID, PeerKey::User(demo::A_ID), Draft::text("pushed after it"), true);
    let (got, _) = collect(&h, &alice, None, start, 2).await;
    assert_eq!(
        got.iter().map(|m| m["text"].as_str().unwrap()).collect::<Vec<_>>(),
        ["lost on the way", "pushed after it"]
    );
    assert!(h.dc.calls().iter().any(|c| c.method == "updates.getDifference"), "the gap was filled by getDifference");
}

#[tokio::test]
async fn a_lost_channel_message_is_fetched_with_get_channel_difference() {
    let h = TgHarness::start(&[]).await;
    let alice = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    // Alice's session learns the forum's access hash (needed to ask for its difference).
    h.ok(&alice, "get_chat_info", json!({"chat_id": -1_000_000_000_000 - demo::DEV_FORUM_ID})).await;
    let start = now_cursor(&h, &alice).await;
    let forum = PeerKey::Channel(demo::DEV_FORUM_ID);
    h.dc.send_as(demo::CAROL_ID, forum, Draft::text("forum one"), true);
    h.dc.send_as(demo::CAROL_ID, forum, Draft::text("forum two (lost)"), false);
    h.dc.send_as(demo::CAROL_ID, forum, Draft::text("forum three"), true);
    let (got, _) = collect(&h, &alice, None, start, 3).await;
    assert_eq!(
        got.iter().map(|m| m["text"].as_str().unwrap()).collect::<Vec<_>>(),
        ["forum one", "forum two (lost)", "forum three"]
    );
    assert!(h.dc.calls().iter().any(|c| c.method == "updates.getChannelDifference"));
}

#[tokio::test]
async fn a_chat_limited_token_waits_only_on_its_chats() {
    let h = TgHarness::start(&[]).await;
    let carol_only = Policy {
        access: Access::Read,
        allow_chats: Some(vec![ChatRule { id: demo::CAROL_ID, title: None }]),
        ..Policy::default()
    };
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, carol_only).await;
    let (err, refused) =
        h.call(&tok, "wait_for_messages", json!({"chat_ids": ["@erin_e"], "timeout_seconds": 0})).await;
    assert!(err && refused["action"] == "ask_user_to_widen_token_policy", "{refused}");
    let start = now_cursor(&h, &tok).await;
    h.dc.send_as(demo::ERIN_ID, PeerKey::User(demo::A_ID), Draft::text("secret from erin"), true);
    h.dc.send_as(demo::CAROL_ID, PeerKey::Chat(demo::FAMILY_GROUP_ID), Draft::text("secret in family"), true);
    h.dc.send_as(demo::CAROL_ID, PeerKey::User(demo::A_ID), Draft::text("for alice"), true);
    let (got, cursor) = collect(&h, &tok, None, start.clone(), 1).await;
    assert_eq!(got.iter().map(|m| m["text"].as_str().unwrap()).collect::<Vec<_>>(), ["for alice"]);
    let (got, _) = collect(&h, &tok, Some(json!([demo::CAROL_ID])), start, 1).await;
    assert_eq!(got[0]["text"], "for alice");
    h.dc.send_as(demo::ERIN_ID, PeerKey::User(demo::A_ID), Draft::text("another secret"), true);
    let rest = h.ok(&tok, "wait_for_messages", json!({"cursor": cursor, "timeout_seconds": 1})).await;
    assert!(!rest.to_string().contains("secret"), "{rest}");
    assert!(rest.get("missed_count").is_none());
}

/// Alice logged in, a cursor taken, the server restarted, and a message sent to her while no
/// client of her session was connected (the push reached nobody): (harness, token, cursor).
async fn restarted_with_a_message_waiting() -> (TgHarness, String, String) {
    let h = TgHarness::start(&[]).await;
    let alice = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let before = now_cursor(&h, &alice).await;
    let h = h.restart(&[]).await;
    h.dc.send_as(demo::CAROL_ID, PeerKey::User(demo::A_ID), Draft::text("sent while you were away"), true);
    (h, alice, before)
}

#[tokio::test]
async fn what_arrived_while_the_server_was_stopped_is_fetched_when_it_reconnects() {
    let (h, alice, before) = restarted_with_a_message_waiting().await;
    let v = h.ok(&alice, "wait_for_messages", json!({"cursor": before, "timeout_seconds": 30})).await;
    assert_eq!(v["cursor_reset"], true, "a cursor of the previous run: {v}");
    assert_eq!(texts_of(&v), ["sent while you were away"], "{v}");
}

/// The update loop of a session logged in at open does not catch up while the first use of its
/// client runs (it would share the new connection and the CPU with the call that opened it); once
/// that use ends it still fetches what came while the server was stopped.
#[tokio::test]
async fn a_fresh_client_catches_up_only_after_its_first_use_ends() {
    let (h, alice, before) = restarted_with_a_message_waiting().await;
    let rec = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&alice).unwrap()).unwrap();
    let from = h.dc.calls().len();
    let lease = h.srv.app.sessions.client(&rec.session_id).await.unwrap();
    lease.me().await.unwrap();
    let updates_calls =
        |h: &TgHarness| h.dc.calls()[from..].iter().filter(|c| c.method.starts_with("updates.")).count();
    assert_eq!(updates_calls(&h), 0, "no catch-up while the first use runs: {:?}", h.dc.calls()[from..].to_vec());
    drop(lease);
    let v = h.ok(&alice, "wait_for_messages", json!({"cursor": before, "timeout_seconds": 30})).await;
    assert_eq!(texts_of(&v), ["sent while you were away"], "{v}");
    assert!(updates_calls(&h) > 0);
}
