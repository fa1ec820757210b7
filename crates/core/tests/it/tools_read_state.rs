//! mark_read for a forum topic, and for mentions or reactions only, through HTTP MCP → grammers → fake DC.

use crate::common;
use common::*;
use fake_tg_dc::{Draft, PeerKey, demo};
use serde_json::json;

fn forum() -> i64 {
    -1_000_000_000_000 - demo::DEV_FORUM_ID
}

#[tokio::test]
async fn mentions_only_clears_the_mentions_and_leaves_the_messages_unread() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    h.dc.with_world(|w| w.deliver(demo::CAROL_ID, PeerKey::Channel(demo::DEV_FORUM_ID), Draft::text("@alice_a look")));
    let v = h.ok(&tok, "mark_read", json!({"chat_id": forum(), "only": "mentions"})).await;
    assert_eq!((v["unread_mentions_count"].as_i64(), v["unread_count"].as_i64()), (Some(0), Some(1)), "{v}");
    assert_eq!(v["only"], "mentions");
    let (err, bad) = h.call(&tok, "mark_read", json!({"chat_id": forum(), "only": "mentions", "max_id": 3})).await;
    assert!(err && bad["error"].as_str().unwrap().contains("only"), "{bad}");
}

#[tokio::test]
async fn reactions_only_clears_the_reactions_others_left_on_your_messages() {
    let h = TgHarness::start(&[]).await;
    let alice = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let bob = h.login(demo::B_PHONE, demo::B_CODE, Some(demo::B_PASSWORD)).await;
    // Bob reacts to Alice's "Hi Bob, Alice here…" (the first message of their chat in his box).
    let first = h.ok(&bob, "get_messages", json!({"chat_id": "@alice_a", "limit": 10})).await;
    let hers = first["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["text"].as_str().unwrap().starts_with("Hi Bob"))
        .unwrap();
    h.ok(&bob, "send_reaction", json!({"chat_id": "@alice_a", "message_id": hers["id"], "emoji": "👍"})).await;
    let unread = |h: &TgHarness| h.dc.with_world(|w| w.accounts[&demo::A_ID].unread_reactions.len());
    assert_eq!(unread(&h), 1);
    let v = h.ok(&alice, "mark_read", json!({"chat_id": "@bob_b", "only": "reactions"})).await;
    assert_eq!((v["unread_reactions_count"].as_i64(), v["only"].as_str()), (Some(0), Some("reactions")), "{v}");
    assert_eq!(unread(&h), 0);
}

#[tokio::test]
async fn a_forum_topic_is_marked_read_on_its_own() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "mark_read", json!({"chat_id": forum(), "topic_id": demo::TOPIC_BUGS})).await;
    assert_eq!(v["topic_id"], demo::TOPIC_BUGS);
    let read = h.dc.with_world(|w| {
        w.accounts[&demo::A_ID].read_threads.get(&(PeerKey::Channel(demo::DEV_FORUM_ID), demo::TOPIC_BUGS)).copied()
    });
    assert_eq!(read, Some(7), "Bugs holds messages 6 and 7");
    let call = h.dc.calls().into_iter().find(|c| c.method == "messages.readDiscussion").unwrap();
    assert!(call.request.contains("read_max_id: 7"), "{}", call.request);
    let (err, v) = h.call(&tok, "mark_read", json!({"chat_id": forum(), "topic_id": 999})).await;
    assert!(err && v["error"].as_str().unwrap().contains("no topic or thread 999"), "{v}");
}
