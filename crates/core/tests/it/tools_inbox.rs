//! get_inbox and mark_read through HTTP MCP → grammers → fake DC.

use crate::common;
use common::*;
use fake_tg_dc::{Draft, PeerKey, demo};
use serde_json::{Value, json};
use tgmcp_core::policy::{Access, ChatRule, Policy};

fn channel(id: i64) -> i64 {
    -1_000_000_000_000 - id
}

fn ids(v: &Value) -> Vec<i64> {
    v["chats"].as_array().unwrap().iter().map(|c| c["chat"]["id"].as_i64().unwrap()).collect()
}

fn entry(v: &Value, id: i64) -> Value {
    v["chats"].as_array().unwrap().iter().find(|c| c["chat"]["id"] == id).cloned().unwrap_or(Value::Null)
}

/// Besides Carol's 10 unread messages (the demo's): a mention of Alice in Dev Forum, a new
/// message in the muted Family Group and one from the archived Helper Bot.
fn add_unread(h: &TgHarness) {
    h.dc.with_world(|w| {
        w.deliver(demo::CAROL_ID, PeerKey::Channel(demo::DEV_FORUM_ID), Draft::text("@alice_a can you review this?"));
        w.deliver(demo::CAROL_ID, PeerKey::Chat(demo::FAMILY_GROUP_ID), Draft::text("Dinner at eight"));
        w.deliver(demo::BOT_ID, PeerKey::User(demo::A_ID), Draft::text("Your daily digest is ready"));
    });
}

fn method_called(h: &TgHarness, method: &str) -> bool {
    h.dc.calls().iter().any(|c| c.method == method)
}

#[tokio::test]
async fn the_inbox_lists_unread_chats_newest_first_and_reading_it_marks_nothing_read() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    add_unread(&h);
    let v = h.ok(&tok, "get_inbox", json!({})).await;
    assert_eq!(ids(&v), vec![channel(demo::DEV_FORUM_ID), demo::CAROL_ID], "muted and archived left out: {v}");
    let forum = entry(&v, channel(demo::DEV_FORUM_ID));
    assert_eq!((forum["unread_count"].as_i64(), forum["unread_mentions_count"].as_i64()), (Some(1), Some(1)));
    assert_eq!(forum["last_message"]["text"], "@alice_a can you review this?");
    let carol = entry(&v, demo::CAROL_ID);
    assert_eq!((carol["unread_count"].as_i64(), carol["pinned"].as_bool()), (Some(10), Some(true)), "{carol}");
    assert_eq!(v["has_more"], false);

    let all = h.ok(&tok, "get_inbox", json!({"include_muted": true, "include_archived": true})).await;
    assert_eq!(
        ids(&all),
        vec![demo::BOT_ID, -demo::FAMILY_GROUP_ID, channel(demo::DEV_FORUM_ID), demo::CAROL_ID],
        "{all}"
    );
    assert_eq!(entry(&all, -demo::FAMILY_GROUP_ID)["muted"], true);
    assert_eq!(entry(&all, demo::BOT_ID)["archived"], true);

    assert!(!method_called(&h, "messages.readHistory") && !method_called(&h, "channels.readHistory"));
    assert!(!method_called(&h, "messages.readMentions"));
    let again = h.ok(&tok, "get_inbox", json!({})).await;
    assert_eq!(again["chats"], v["chats"], "reading the inbox changed nothing");
}

#[tokio::test]
async fn following_the_inbox_cursor_yields_every_chat_once_in_order() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    add_unread(&h);
    let args = json!({"include_muted": true, "include_archived": true});
    let whole = ids(&h.ok(&tok, "get_inbox", args.clone()).await);
    let (mut paged, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let mut a = args.clone();
        a["limit"] = json!(1);
        if let Some(c) = &cursor {
            a["cursor"] = json!(c);
        }
        let v = h.ok(&tok, "get_inbox", a).await;
        paged.extend(ids(&v));
        assert_eq!(v["has_more"], v.get("next_cursor").is_some());
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(paged.len() <= whole.len(), "pagination must end");
    }
    assert_eq!(paged, whole);
    let (err, v) = h.call(&tok, "get_inbox", json!({"limit": 0})).await;
    assert!(err && v["error"].as_str().unwrap().contains("limit"), "{v}");
}

#[tokio::test]
async fn a_muted_chat_with_an_unread_mention_is_listed_without_include_muted() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    h.dc.with_world(|w| {
        w.deliver(demo::ERIN_ID, PeerKey::Chat(demo::FAMILY_GROUP_ID), Draft::text("@Alice_A are you coming?"))
    });
    let v = h.ok(&tok, "get_inbox", json!({})).await;
    let family = entry(&v, -demo::FAMILY_GROUP_ID);
    assert_eq!((family["muted"].as_bool(), family["unread_mentions_count"].as_i64()), (Some(true), Some(1)), "{v}");
}

#[tokio::test]
async fn mark_read_takes_the_chat_out_of_the_inbox_and_clears_its_mentions() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    add_unread(&h);
    let forum = channel(demo::DEV_FORUM_ID);
    let v = h.ok(&tok, "mark_read", json!({"chat_id": forum})).await;
    assert_eq!(v["status"], "read");
    assert_eq!(v["chat"]["id"], forum);
    assert_eq!((v["unread_count"].as_i64(), v["unread_mentions_count"].as_i64()), (Some(0), Some(0)), "{v}");
    assert!(method_called(&h, "channels.readHistory") && method_called(&h, "messages.readMentions"));
    let inbox = h.ok(&tok, "get_inbox", json!({})).await;
    assert_eq!(ids(&inbox), vec![demo::CAROL_ID]);

    let v = h.ok(&tok, "mark_read", json!({"chat_id": "@carol"})).await;
    assert_eq!((v["read_up_to_id"].as_i64(), v["unread_count"].as_i64()), (Some(120), Some(0)), "{v}");
    assert!(method_called(&h, "messages.readHistory"));
    assert_eq!(h.ok(&tok, "get_inbox", json!({})).await["chats"], json!([]));
}

#[tokio::test]
async fn mark_read_up_to_an_id_leaves_newer_messages_unread() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "mark_read", json!({"chat_id": demo::CAROL_ID, "max_id": 110})).await;
    // Carol sent the odd ids: 111, 113, 115, 117 and 119 are still unread.
    assert_eq!((v["read_up_to_id"].as_i64(), v["unread_count"].as_i64()), (Some(110), Some(5)), "{v}");
    assert!(!method_called(&h, "messages.readMentions"), "mentions are per chat, so kept with max_id");
    let inbox = h.ok(&tok, "get_inbox", json!({})).await;
    assert_eq!(entry(&inbox, demo::CAROL_ID)["unread_count"], 5);
    let (err, v) = h.call(&tok, "mark_read", json!({"chat_id": demo::CAROL_ID, "max_id": 0})).await;
    assert!(err, "{v}");
}

#[tokio::test]
async fn a_token_limited_to_some_chats_sees_only_those_in_its_inbox_and_a_read_token_cannot_mark_read() {
    let h = TgHarness::start(&[]).await;
    let policy = Policy {
        access: Access::Read,
        allow_chats: Some(vec![ChatRule { id: channel(demo::DEV_FORUM_ID), title: None }]),
        ..Policy::default()
    };
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, policy).await;
    add_unread(&h);
    let v = h.ok(&tok, "get_inbox", json!({"include_muted": true, "include_archived": true})).await;
    assert_eq!(ids(&v), vec![channel(demo::DEV_FORUM_ID)], "{v}");
    let (err, v) = h.call(&tok, "mark_read", json!({"chat_id": channel(demo::DEV_FORUM_ID)})).await;
    assert!(err && v["action"] == "ask_user_to_widen_token_policy", "{v}");
    assert!(!method_called(&h, "channels.readHistory"));
}

#[tokio::test]
async fn the_inbox_of_one_folder_follows_the_folder_s_own_rules() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    add_unread(&h);
    let all = json!({"include_muted": true, "include_archived": true});
    // `Work` takes groups but leaves out muted ones: Dev Forum (included), not the muted Family Group.
    let work = h.ok(&tok, "get_inbox", json!({"folder": "  work ", "include_muted": true})).await;
    assert_eq!(ids(&work), vec![channel(demo::DEV_FORUM_ID)], "{work}");
    // `Personal` (by id 3) takes people and excludes Helper Bot.
    let mut args = all.clone();
    args["folder"] = json!("3");
    assert_eq!(ids(&h.ok(&tok, "get_inbox", args).await), vec![demo::CAROL_ID]);
    // `Bots` takes the archived bot once archived chats are asked for.
    let mut args = all.clone();
    args["folder"] = json!("Bots");
    assert_eq!(ids(&h.ok(&tok, "get_inbox", args).await), vec![demo::BOT_ID]);
    assert_eq!(
        ids(&h.ok(&tok, "get_inbox", json!({"folder": "Bots"})).await),
        Vec::<i64>::new(),
        "still no archived chat by default"
    );

    let (is_error, e) = h.call(&tok, "get_inbox", json!({"folder": "Holidays"})).await;
    assert!(is_error);
    let text = e.to_string();
    assert!(
        text.contains("no chat folder is named") && text.contains("Holidays") && text.contains("Work (id 2)"),
        "{text}"
    );
}
