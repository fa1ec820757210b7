//! The raw API under a token's policy, through MCP against the fake DC: a token limited to some
//! chats makes raw calls only about them (every chat named is checked, however it is named;
//! calls naming none are refused or their answers confined to the scope), and raw writes wait
//! for approval like the write tools.

use crate::common;

use common::*;
use fake_tg_dc::demo;
use serde_json::{Value, json};
use std::sync::Arc;
use tgmcp_core::approvals::Decision;
use tgmcp_core::policy::{Access, Approval, ChatRule, Policy};

const WIDEN: &str = "ask_user_to_widen_token_policy";

fn history(peer: Value) -> Value {
    json!({"method": "messages.getHistory", "params": {"peer": peer, "offset_id": 0, "offset_date": 0,
        "add_offset": 0, "limit": 20, "max_id": 0, "min_id": 0, "hash": 0}})
}

/// Every Bot API chat id a decoded answer's messages and dialogs belong to.
fn chats_in(v: &Value, out: &mut Vec<i64>) {
    match v {
        Value::Array(a) => a.iter().for_each(|i| chats_in(i, out)),
        Value::Object(o) => {
            let peer = match o.get("_").and_then(Value::as_str) {
                Some("message" | "messageService") => o.get("peer_id"),
                Some("dialog") => o.get("peer"),
                _ => None,
            };
            if let Some(p) = peer {
                out.push(match p["_"].as_str().unwrap() {
                    "peerUser" => p["user_id"].as_i64().unwrap(),
                    "peerChat" => -p["chat_id"].as_i64().unwrap(),
                    _ => -1_000_000_000_000 - p["channel_id"].as_i64().unwrap(),
                });
            }
            o.values().for_each(|f| chats_in(f, out));
        }
        _ => {}
    }
}

fn ids_of(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn a_token_limited_to_some_chats_makes_raw_calls_only_about_them() {
    let h = TgHarness::start(&[]).await;
    let carol_only = Policy {
        access: Access::Full,
        allow_chats: Some(vec![ChatRule { id: demo::CAROL_ID, title: None }]),
        ..Policy::default()
    };
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, carol_only).await;
    let everyone = h.login(demo::A_PHONE, demo::A_CODE, None).await;

    // Its own chat, named any way: answered.
    for peer in [json!(demo::CAROL_ID), json!("@carol")] {
        let v = h.ok(&tok, "invoke_mtproto", history(peer)).await;
        let mut chats = vec![];
        chats_in(&v["result"], &mut chats);
        assert!(!chats.is_empty() && chats.iter().all(|c| *c == demo::CAROL_ID), "{chats:?}");
    }

    // Another chat, named by spec, by explicit constructor, by bare id, inside a wrapper:
    // refused before Telegram is asked anything.
    let before = h.dc.calls().len();
    let explicit = json!({"_": "inputPeerUser", "user_id": demo::DAVE_ID, "access_hash": 0});
    let family_full = json!({"method": "messages.getFullChat", "params": {"chat_id": demo::FAMILY_GROUP_ID}});
    let wrapped = json!({"method": "invokeWithoutUpdates", "params": {"query": {"_": "messages.getHistory",
        "peer": demo::DAVE_ID, "offset_id": 0, "offset_date": 0, "add_offset": 0, "limit": 1, "max_id": 0,
        "min_id": 0, "hash": 0}}});
    let reply_elsewhere = json!({"method": "messages.sendMessage", "params": {"peer": demo::CAROL_ID,
        "message": "x", "random_id": 1, "reply_to": {"_": "inputReplyToMessage", "reply_to_msg_id": 1,
        "reply_to_peer_id": demo::DAVE_ID}}});
    for (what, args) in [
        ("by id", history(json!(demo::DAVE_ID))),
        ("explicit constructor", history(explicit)),
        ("bare chat_id", family_full),
        ("inside a wrapper", wrapped),
        ("in a nested field", reply_elsewhere),
    ] {
        let (err, v) = h.call(&tok, "invoke_mtproto", args).await;
        assert!(err && v["action"] == WIDEN, "{what}: {v}");
        assert!(v["error"].as_str().unwrap().contains("outside this token's chat scope"), "{what}: {v}");
    }
    assert_eq!(h.dc.calls().len(), before, "Telegram was asked nothing");
    // By name: refused once resolved.
    let (err, v) = h.call(&tok, "invoke_mtproto", history(json!("@erin_e"))).await;
    assert!(err && v["action"] == WIDEN, "{v}");

    // Calls that name no chat: writes are refused, listing reads are confined to the scope.
    let read_contents = json!({"method": "messages.readMessageContents", "params": {"id": [1, 2, 3]}});
    let (err, v) = h.call(&tok, "invoke_mtproto", read_contents).await;
    assert!(err && v["action"] == WIDEN && v["error"].as_str().unwrap().contains("without naming"), "{v}");
    let contacts = json!({"method": "contacts.getContacts", "params": {"hash": 0}});
    let (err, v) = h.call(&tok, "invoke_mtproto", contacts).await;
    assert!(err && v["action"] == WIDEN, "{v}");

    let dialogs = json!({"method": "messages.getDialogs", "params": {"offset_date": 0, "offset_id": 0,
        "offset_peer": {"_": "inputPeerEmpty"}, "limit": 100, "hash": 0}});
    let all = h.ok(&everyone, "invoke_mtproto", dialogs.clone()).await;
    let mine = h.ok(&tok, "invoke_mtproto", dialogs).await;
    let (mut all_chats, mut my_chats) = (vec![], vec![]);
    chats_in(&all["result"], &mut all_chats);
    chats_in(&mine["result"], &mut my_chats);
    assert!(all_chats.iter().any(|c| *c != demo::CAROL_ID), "the unscoped token sees other chats: {all_chats:?}");
    assert!(!my_chats.is_empty() && my_chats.iter().all(|c| *c == demo::CAROL_ID), "{my_chats:?}");
    assert!(mine["result"]["chats"].as_array().unwrap().is_empty(), "no group or channel: {}", mine["result"]["chats"]);
    let users = ids_of(&mine["result"]["users"]);
    assert!(users.contains(&demo::CAROL_ID), "{users:?}");
    assert!(users.iter().all(|u| [demo::CAROL_ID, demo::A_ID].contains(u)), "only Carol and the user: {users:?}");
    let all_users = ids_of(&all["result"]["users"]);
    assert!(all_users.contains(&demo::ERIN_ID), "other users are in the unscoped answer: {all_users:?}");

    // Messages by id reach any private chat: the ones outside the scope are left out.
    let erin = h.ok(&everyone, "get_messages", json!({"chat_id": demo::ERIN_ID, "limit": 3})).await;
    let carol = h.ok(&everyone, "get_messages", json!({"chat_id": demo::CAROL_ID, "limit": 3})).await;
    let msg_ids: Vec<Value> = [&erin, &carol]
        .iter()
        .flat_map(|v| v["messages"].as_array().unwrap().iter().map(|m| json!({"_": "inputMessageID", "id": m["id"]})))
        .collect();
    let by_id = json!({"method": "messages.getMessages", "params": {"id": msg_ids}});
    let got = h.ok(&tok, "invoke_mtproto", by_id.clone()).await;
    let mut chats = vec![];
    chats_in(&got["result"], &mut chats);
    assert_eq!(chats.len(), 3, "Carol's three messages: {}", got["result"]);
    assert!(chats.iter().all(|c| *c == demo::CAROL_ID), "{chats:?}");
    let mut unscoped = vec![];
    chats_in(&h.ok(&everyone, "invoke_mtproto", by_id).await["result"], &mut unscoped);
    assert!(unscoped.contains(&demo::ERIN_ID), "the same call without a scope returns Erin's: {unscoped:?}");

    // A write about its own chat goes through.
    let sent = json!({"method": "messages.sendMessage", "params": {"peer": demo::CAROL_ID, "message": "raw hello",
        "random_id": 42}});
    h.ok(&tok, "invoke_mtproto", sent).await;
    assert_eq!(calls_of(&h, "messages.sendMessage"), 1);

    // The bridge runs the same checks.
    let r = reqwest::Client::new()
        .post(h.srv.url("/mtproto-api/messages.getHistory"))
        .bearer_auth(&tok)
        .json(&json!({"peer": demo::DAVE_ID, "offset_id": 0, "offset_date": 0, "add_offset": 0, "limit": 1,
            "max_id": 0, "min_id": 0, "hash": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["action"], WIDEN);
}

#[tokio::test]
async fn raw_writes_wait_for_approval_like_the_write_tools() {
    let h = Arc::new(TgHarness::start(&[]).await);
    let policy = Policy { access: Access::Full, approval: Approval::EveryWrite, ..Policy::default() };
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, policy).await;
    let raw = |args: Value| {
        let (h, tok) = (h.clone(), tok.clone());
        tokio::spawn(async move { h.call(&tok, "invoke_mtproto", args).await })
    };
    let send = |text: &str| json!({"method": "messages.sendMessage", "params": {"peer": demo::CAROL_ID, "message": text, "random_id": 7}});

    // Approved: sent only after the answer.
    let call = raw(send("approved raw"));
    let p = next_pending(&h).await;
    assert_eq!((p.tool.as_str(), p.chat_id), ("invoke_mtproto: messages.sendMessage", demo::CAROL_ID));
    assert!(p.preview.contains("approved raw"), "{p:?}");
    assert_eq!(calls_of(&h, "messages.sendMessage"), 0, "nothing is sent before the approval");
    h.srv.app.approvals.decide(&p.id, Decision::Approved { always: false }).unwrap();
    let (err, v) = call.await.unwrap();
    assert!(!err, "{v}");
    assert_eq!(calls_of(&h, "messages.sendMessage"), 1);

    // Declined: never sent.
    let call = raw(send("declined raw"));
    let p = next_pending(&h).await;
    h.srv.app.approvals.decide(&p.id, Decision::Denied).unwrap();
    let (err, v) = call.await.unwrap();
    assert!(err && v["action"] == "user_declined", "{v}");
    assert_eq!(calls_of(&h, "messages.sendMessage"), 1);

    // A write to the account itself (no chat named) is asked about too.
    let import = json!({"method": "contacts.importContacts", "params": {"contacts": [{"_": "inputPhoneContact",
        "client_id": 1, "phone": "+15550009", "first_name": "New", "last_name": ""}]}});
    let call = raw(import);
    let p = next_pending(&h).await;
    assert_eq!(
        (p.tool.as_str(), p.chat_id, p.chat_title.as_str()),
        ("invoke_mtproto: contacts.importContacts", 0, "your account")
    );
    h.srv.app.approvals.decide(&p.id, Decision::Denied).unwrap();
    assert!(call.await.unwrap().0);
    assert_eq!(calls_of(&h, "contacts.importContacts"), 0);

    // Reads are never held.
    h.ok(&tok, "invoke_mtproto", history(json!(demo::CAROL_ID))).await;
}
