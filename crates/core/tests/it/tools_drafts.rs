//! save_draft and get_drafts through HTTP MCP → grammers → fake DC.

use crate::common;
use common::*;
use fake_tg_dc::{PeerKey, SavedDraft, demo};
use serde_json::{Value, json};
use tgmcp_core::policy::{Access, ChatRule, Policy};

fn chats_of(v: &Value) -> Vec<i64> {
    v["drafts"].as_array().unwrap().iter().map(|d| d["chat"]["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn a_saved_draft_is_listed_with_its_formatting_and_reply_and_never_sent() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h
        .ok(&tok, "save_draft", json!({"chat_id": "@carol", "message": "**thinking** about it", "reply_to_id": 5}))
        .await;
    assert_eq!((v["status"].as_str(), &v["chat"]["id"]), (Some("saved"), &json!(demo::CAROL_ID)), "{v}");
    assert_eq!(
        (v["draft"]["text"].as_str(), v["draft"]["reply_to_msg_id"].as_i64()),
        (Some("**thinking** about it"), Some(5))
    );
    let all = h.ok(&tok, "get_drafts", json!({})).await;
    assert_eq!(chats_of(&all), [demo::CAROL_ID]);
    assert_eq!(all["drafts"][0]["text"], "**thinking** about it");
    assert_eq!(h.ok(&tok, "get_drafts", json!({"chat_id": "@erin_e"})).await["drafts"], json!([]));
    assert_eq!(chats_of(&h.ok(&tok, "get_drafts", json!({"chat_id": demo::CAROL_ID})).await), [demo::CAROL_ID]);
    let stored = h.dc.with_world(|w| {
        w.history(demo::A_ID, PeerKey::User(demo::CAROL_ID)).iter().any(|m| m.text.contains("about it"))
    });
    assert!(!stored, "a draft is not a message");
    assert!(!h.dc.calls().iter().any(|c| c.method.starts_with("messages.send")));
}

#[tokio::test]
async fn sending_leaves_the_draft_alone_and_an_empty_message_clears_it() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    h.ok(&tok, "save_draft", json!({"chat_id": "@carol", "message": "half a thought"})).await;
    h.ok(&tok, "send_message", json!({"chat_id": "@carol", "message": "something else"})).await;
    let v = h.ok(&tok, "get_drafts", json!({"chat_id": "@carol"})).await;
    assert_eq!(v["drafts"][0]["text"], "half a thought", "a send never replaces or consumes the draft: {v}");
    let v = h.ok(&tok, "save_draft", json!({"chat_id": "@carol", "message": ""})).await;
    assert_eq!(v["status"], "cleared");
    assert!(v.get("draft").is_none());
    assert_eq!(h.ok(&tok, "get_drafts", json!({})).await["drafts"], json!([]));
}

#[tokio::test]
async fn a_token_limited_to_some_chats_sees_only_their_drafts_and_a_read_token_cannot_save() {
    let h = TgHarness::start(&[]).await;
    h.dc.with_world(|w| {
        let drafts = &mut w.accounts.get_mut(&demo::A_ID).unwrap().drafts;
        for (peer, text) in [(demo::CAROL_ID, "for carol"), (demo::ERIN_ID, "for erin")] {
            let d = SavedDraft { text: text.into(), entities: vec![], reply_to: None, date: 1_750_000_000 };
            drafts.insert(PeerKey::User(peer), d);
        }
    });
    let policy = Policy {
        access: Access::Read,
        allow_chats: Some(vec![ChatRule { id: demo::CAROL_ID, title: None }]),
        ..Policy::default()
    };
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, policy).await;
    let v = h.ok(&tok, "get_drafts", json!({})).await;
    assert_eq!(chats_of(&v), [demo::CAROL_ID], "{v}");
    let (err, v) = h.call(&tok, "get_drafts", json!({"chat_id": "@erin_e"})).await;
    assert!(err && v["action"] == "ask_user_to_widen_token_policy", "{v}");
    let (err, v) = h.call(&tok, "save_draft", json!({"chat_id": "@carol", "message": "x"})).await;
    assert!(err && v["action"] == "ask_user_to_widen_token_policy", "{v}");
}
