//! delete_messages, forward_messages, send_reaction, pin_message and unpin_message through HTTP MCP → grammers → fake DC.

use crate::common;
use common::*;
use fake_tg_dc::{Draft, Media, PeerKey, demo};
use serde_json::{Value, json};
use tgmcp_core::policy::{Access, Policy};

fn channel(id: i64) -> i64 {
    -1_000_000_000_000 - id
}

/// Sends `text` as A to `chat` and returns the new message's id.
async fn send(h: &TgHarness, tok: &str, chat: Value, text: &str) -> i32 {
    let v = h.ok(tok, "send_message", json!({"chat_id": chat, "message": text})).await;
    v["messages"][0]["id"].as_i64().unwrap() as i32
}

/// One message of A's chat, as get_messages returns it.
async fn message(h: &TgHarness, tok: &str, chat: Value, id: i32) -> Value {
    h.ok(tok, "get_messages", json!({"chat_id": chat, "message_ids": [id]})).await["messages"][0].clone()
}

fn in_box(h: &TgHarness, owner: i64, peer: PeerKey, text: &str) -> bool {
    h.dc.with_world(|w| w.history(owner, peer).iter().any(|m| m.text == text))
}

#[tokio::test]
async fn deleting_removes_the_message_for_you_and_revoke_removes_it_for_the_other_side_too() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let mine = send(&h, &tok, json!("@bob_b"), "delete me only here").await;
    let v = h.ok(&tok, "delete_messages", json!({"chat_id": "@bob_b", "message_ids": [mine]})).await;
    assert_eq!(
        (v["status"].as_str(), v["deleted_count"].as_i64(), v["revoked"].as_bool()),
        (Some("deleted"), Some(1), Some(false))
    );
    assert_eq!(v["chat"]["id"], demo::B_ID);
    assert!(message(&h, &tok, json!("@bob_b"), mine).await.get("error").is_some(), "gone for A");
    assert!(in_box(&h, demo::B_ID, PeerKey::User(demo::A_ID), "delete me only here"), "still there for B");

    let both = send(&h, &tok, json!("@bob_b"), "delete me everywhere").await;
    let v = h.ok(&tok, "delete_messages", json!({"chat_id": "@bob_b", "message_ids": [both], "revoke": true})).await;
    assert_eq!(v["revoked"], true);
    assert!(!in_box(&h, demo::A_ID, PeerKey::User(demo::B_ID), "delete me everywhere"));
    assert!(!in_box(&h, demo::B_ID, PeerKey::User(demo::A_ID), "delete me everywhere"), "gone for B too");
}

#[tokio::test]
async fn deleting_refuses_ids_that_are_not_in_the_named_chat() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    // Message 5 is in the chat with Carol, not with Erin: messages.deleteMessages names no chat.
    let (err, v) = h.call(&tok, "delete_messages", json!({"chat_id": "@erin_e", "message_ids": [5]})).await;
    assert!(err && v["error"] == "message 5 does not exist in this chat", "{v}");
    assert!(!h.dc.calls().iter().any(|c| c.method == "messages.deleteMessages"));
    assert!(in_box(&h, demo::A_ID, PeerKey::User(demo::CAROL_ID), "Carol history message 5"));
    let (err, v) = h.call(&tok, "delete_messages", json!({"chat_id": "@carol", "message_ids": []})).await;
    assert!(err, "{v}");
}

#[tokio::test]
async fn deleting_in_a_supergroup_is_for_everyone() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let forum = channel(demo::DEV_FORUM_ID);
    let v = h.ok(&tok, "delete_messages", json!({"chat_id": forum, "message_ids": [9]})).await;
    assert_eq!((v["deleted_count"].as_i64(), v["revoked"].as_bool()), (Some(1), Some(true)), "{v}");
    assert!(message(&h, &tok, json!(forum), 9).await.get("error").is_some());
    assert!(h.dc.calls().iter().any(|c| c.method == "channels.deleteMessages"));
}

#[tokio::test]
async fn forwarding_keeps_the_order_and_the_origin_and_drop_author_sends_copies() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h
        .ok(&tok, "forward_messages", json!({"from_chat_id": "@carol", "message_ids": [3, 1, 2], "to_chat_id": "me"}))
        .await;
    assert_eq!(v["status"], "forwarded");
    assert_eq!(v["chat"]["id"], demo::A_ID);
    assert_eq!(texts(&v), ["Carol history message 3", "Carol history message 1", "Carol history message 2"]);
    let senders: Vec<&Value> =
        v["messages"].as_array().unwrap().iter().map(|m| &m["forwarded_from"]["sender"]["id"]).collect();
    assert_eq!(senders, [&json!(demo::CAROL_ID), &json!(demo::CAROL_ID), &json!(demo::A_ID)], "{v}");

    let v = h
        .ok(
            &tok,
            "forward_messages",
            json!({"from_chat_id": "@carol", "message_ids": [5], "to_chat_id": "@erin_e", "drop_author": true}),
        )
        .await;
    assert_eq!(texts(&v), ["Carol history message 5"]);
    assert!(v["messages"][0].get("forwarded_from").is_none(), "{v}");
    assert!(in_box(&h, demo::A_ID, PeerKey::User(demo::ERIN_ID), "Carol history message 5"));
}

#[tokio::test]
async fn forwarding_an_album_keeps_it_one_album() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let ids = h.dc.with_world(|w| {
        let album = |t: &str| Draft { grouped_id: Some(77), ..Draft::text(t).media(Media::Photo(demo::PHOTO_FILE_ID)) };
        [
            w.deliver(demo::ERIN_ID, PeerKey::User(demo::A_ID), album("first")).id,
            w.deliver(demo::ERIN_ID, PeerKey::User(demo::A_ID), album("second")).id,
        ]
    });
    let v = h
        .ok(&tok, "forward_messages", json!({"from_chat_id": "@erin_e", "message_ids": ids, "to_chat_id": "@carol"}))
        .await;
    let new: Vec<i32> = v["messages"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap() as i32).collect();
    let groups = h.dc.with_world(|w| {
        new.iter()
            .map(|id| w.message(demo::A_ID, PeerKey::User(demo::CAROL_ID), *id).unwrap().grouped_id)
            .collect::<Vec<_>>()
    });
    assert!(groups[0].is_some() && groups[0] == groups[1] && groups[0] != Some(77), "{groups:?}");
}

#[tokio::test]
async fn reacting_sets_replaces_and_removes_your_reaction() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "send_reaction", json!({"chat_id": "@carol", "message_id": 5, "emoji": "👍"})).await;
    assert_eq!(v["status"], "reacted");
    assert_eq!(v["reactions"], json!([{"emoji": "👍", "count": 1, "chosen": true}]));
    let v = h.ok(&tok, "send_reaction", json!({"chat_id": "@carol", "message_id": 5, "emoji": "❤️"})).await;
    assert_eq!(v["reactions"], json!([{"emoji": "❤️", "count": 1, "chosen": true}]), "replaced, not added");
    assert_eq!(message(&h, &tok, json!("@carol"), 5).await["reactions"], v["reactions"]);
    let v = h.ok(&tok, "send_reaction", json!({"chat_id": "@carol", "message_id": 5})).await;
    assert_eq!((v["status"].as_str(), &v["reactions"]), (Some("removed"), &json!([])));
    assert!(message(&h, &tok, json!("@carol"), 5).await.get("reactions").is_none());
    let (err, v) =
        h.call(&tok, "send_reaction", json!({"chat_id": "@carol", "message_id": 5, "emoji": "thumbs up"})).await;
    assert!(err && v["error"].as_str().unwrap().contains("reaction"), "{v}");
    let (err, v) =
        h.call(&tok, "send_reaction", json!({"chat_id": "@carol", "message_id": 99999, "emoji": "👍"})).await;
    assert!(err && v["error"] == "message 99999 does not exist in this chat", "{v}");
}

#[tokio::test]
async fn pinning_and_unpinning_show_in_get_messages() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "pin_message", json!({"chat_id": "@carol", "message_id": 7})).await;
    assert_eq!((v["status"].as_str(), v["message_id"].as_i64()), (Some("pinned"), Some(7)));
    assert_eq!(message(&h, &tok, json!("@carol"), 7).await["pinned"], true);
    let forum = channel(demo::DEV_FORUM_ID);
    h.ok(&tok, "pin_message", json!({"chat_id": forum, "message_id": 4, "notify": true})).await;
    assert_eq!(message(&h, &tok, json!(forum), 4).await["pinned"], true);
    let v = h.ok(&tok, "unpin_message", json!({"chat_id": "@carol", "message_id": 7})).await;
    assert_eq!(v["status"], "unpinned");
    assert!(message(&h, &tok, json!("@carol"), 7).await.get("pinned").is_none());
    let (err, v) = h.call(&tok, "pin_message", json!({"chat_id": "@carol", "message_id": 99999})).await;
    assert!(err && v["error"] == "message 99999 does not exist in this chat", "{v}");
}

#[tokio::test]
async fn a_read_only_token_does_not_see_the_write_tools_and_is_refused_them() {
    let h = TgHarness::start(&[]).await;
    let tok =
        h.login_with(demo::A_PHONE, demo::A_CODE, None, Policy { access: Access::Read, ..Policy::default() }).await;
    let body = json!({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{}});
    let r = mcp_post(&h.srv.url("/v1/mcp"), &body, &[("authorization", &format!("Bearer {tok}"))]).await;
    let v: Value = r.json().await.unwrap();
    let names: Vec<&str> =
        v["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"get_inbox"), "{names:?}");
    assert!(names.contains(&"list_scheduled") && names.contains(&"get_drafts"), "{names:?}");
    let writes = [
        "mark_read",
        "delete_messages",
        "forward_messages",
        "send_reaction",
        "pin_message",
        "unpin_message",
        "delete_scheduled",
    ];
    for tool in writes {
        assert!(!names.contains(&tool), "{tool} listed for a read-only token");
    }
    let (err, v) = h.call(&tok, "delete_messages", json!({"chat_id": "@carol", "message_ids": [5]})).await;
    assert!(err && v["action"] == "ask_user_to_widen_token_policy", "{v}");
    assert!(in_box(&h, demo::A_ID, PeerKey::User(demo::CAROL_ID), "Carol history message 5"));
}

#[tokio::test]
async fn the_new_tools_carry_their_mcp_annotations() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let body = json!({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{}});
    let r = mcp_post(&h.srv.url("/v1/mcp"), &body, &[("authorization", &format!("Bearer {tok}"))]).await;
    let v: Value = r.json().await.unwrap();
    let tools = v["result"]["tools"].as_array().unwrap();
    let hints = |name: &str| {
        let a = &tools.iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("{name} not listed"))["annotations"];
        (a["readOnlyHint"].as_bool(), a["destructiveHint"].as_bool(), a["idempotentHint"].as_bool())
    };
    assert_eq!(hints("get_inbox"), (Some(true), None, Some(true)));
    assert_eq!(hints("mark_read"), (Some(false), Some(false), Some(true)));
    assert_eq!(hints("delete_messages"), (Some(false), Some(true), Some(true)));
    assert_eq!(hints("forward_messages"), (Some(false), Some(true), Some(false)));
    assert_eq!(hints("send_reaction"), (Some(false), Some(false), Some(true)));
    assert_eq!(hints("pin_message"), (Some(false), Some(false), Some(true)));
    assert_eq!(hints("unpin_message"), (Some(false), Some(false), Some(true)));
    assert_eq!(hints("list_scheduled"), (Some(true), None, Some(true)));
    assert_eq!(hints("delete_scheduled"), (Some(false), Some(true), Some(true)));
    assert_eq!(hints("save_draft"), (Some(false), Some(true), Some(true)));
    assert_eq!(hints("get_drafts"), (Some(true), None, Some(true)));
}
