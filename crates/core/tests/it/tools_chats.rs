//! find_chats and get_chat_info through HTTP MCP → grammers → fake DC.

use crate::common;
use common::*;
use fake_tg_dc::demo;
use serde_json::json;

fn ids(v: &serde_json::Value) -> Vec<i64> {
    v["chats"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

fn channel(id: i64) -> i64 {
    -1_000_000_000_000 - id
}

#[tokio::test]
async fn global_search_with_type_and_public_filters() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "find_chats", json!({"query": "carol"})).await;
    assert_eq!(ids(&v)[0], demo::CAROL_ID, "{v}");
    let v = h.ok(&tok, "find_chats", json!({"query": "tech"})).await;
    assert!(ids(&v).contains(&channel(demo::TECH_NEWS_ID)) && ids(&v).contains(&channel(demo::TECH_CHAT_ID)), "{v}");
    let v = h.ok(&tok, "find_chats", json!({"query": "tech", "chat_type": "channel"})).await;
    assert_eq!(ids(&v), vec![channel(demo::TECH_NEWS_ID)]);
    let v = h.ok(&tok, "find_chats", json!({"query": "carol, erin"})).await;
    assert!(ids(&v).contains(&demo::CAROL_ID) && ids(&v).contains(&demo::ERIN_ID), "multi-term: {v}");
    let v = h.ok(&tok, "find_chats", json!({"query": "zzzznotachat"})).await;
    assert_eq!(v["chats"], json!([]));
    let (err, v) = h.call(&tok, "find_chats", json!({})).await;
    assert!(err);
    assert_eq!(v["error"], "give a query, a folder name (filter) or a date window (min_date/max_date)");
}

#[tokio::test]
async fn folders_apply_include_exclude_pinned_and_flags() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    // Work: groups (but not the muted Family Group) + Dev Forum, Tech News; Dev Forum pinned first.
    let v = h.ok(&tok, "find_chats", json!({"filter": "  work "})).await;
    let got = ids(&v);
    assert_eq!(got[0], channel(demo::DEV_FORUM_ID), "pinned first: {v}");
    assert!(got.contains(&channel(demo::TECH_NEWS_ID)));
    assert!(got.contains(&channel(demo::TECH_CHAT_ID)), "flag groups");
    assert!(!got.contains(&-demo::FAMILY_GROUP_ID), "exclude_muted");
    // Personal: contacts and non-contacts, minus the archived/excluded bot.
    let v = h.ok(&tok, "find_chats", json!({"filter": "Personal"})).await;
    let got = ids(&v);
    assert!(got.contains(&demo::CAROL_ID) && got.contains(&demo::ERIN_ID) && got.contains(&demo::B_ID), "{v}");
    assert!(!got.contains(&demo::BOT_ID));
    let (err, v) = h.call(&tok, "find_chats", json!({"filter": "Nope"})).await;
    assert!(err);
    assert_eq!(v["error"], "no folder named \"Nope\"; your folders: Work, Personal, Bots", "lists available folders");
}

#[tokio::test]
async fn dialog_window_by_activity() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let all = h.ok(&tok, "find_chats", json!({"min_date": "2000-01-01", "limit": 100})).await;
    let n = all["chats"].as_array().unwrap().len();
    assert!(n >= 9, "main list and archive: {all}");
    assert!(all["chats"].as_array().unwrap().iter().all(|c| c["last_activity_date"].is_string()));
    assert!(ids(&all).contains(&demo::BOT_ID), "archived dialogs are searched too");
    let none = h.ok(&tok, "find_chats", json!({"min_date": "2999-01-01"})).await;
    assert_eq!(none["chats"], json!([]));
    let q = h.ok(&tok, "find_chats", json!({"min_date": "2000-01-01", "query": "family"})).await;
    assert_eq!(ids(&q), vec![-demo::FAMILY_GROUP_ID]);
}

#[tokio::test]
async fn chat_info_for_users_groups_channels_and_forums() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let me = h.ok(&tok, "get_chat_info", json!({"chat_id": "me"})).await;
    assert_eq!(me["id"], demo::A_ID);
    assert_eq!(me["is_self"], true);
    let carol = h.ok(&tok, "get_chat_info", json!({"chat_id": "@carol"})).await;
    assert_eq!(carol["username"], "carol");
    let fam = h.ok(&tok, "get_chat_info", json!({"chat_id": (-demo::FAMILY_GROUP_ID).to_string()})).await;
    assert_eq!(fam["type"], "group");
    assert_eq!(fam["members_count"], 3);
    let news = h.ok(&tok, "get_chat_info", json!({"chat_id": "technews"})).await;
    assert_eq!(news["type"], "channel");
    assert_eq!(news["subscribers_count"], 3);
    assert_eq!(news["linked_chat_id"], channel(demo::TECH_CHAT_ID));
    let forum = h
        .ok(&tok, "get_chat_info", json!({"chat_id": channel(demo::DEV_FORUM_ID).to_string(), "topics_limit": 2}))
        .await;
    assert_eq!(forum["is_forum"], true);
    assert_eq!(forum["topics"].as_array().unwrap().len(), 2);
    assert_eq!(forum["topics_has_more"], true);
    let (err, v) = h.call(&tok, "get_chat_info", json!({"chat_id": "123456789"})).await;
    assert!(err, "unknown numeric ids are a clear error");
    assert_eq!(
        v["error"], "chat 123456789 is not known to this account; use @username or find it with find_chats first",
        "{v}"
    );
    assert!(v.get("telegram_code").is_none(), "refused before asking Telegram: {v}");
}

#[tokio::test]
async fn date_windows_filter_chats_and_messages() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    // find_chats by last activity: Carol 02:05, Tech News 02:08, Tech News Chat 02:11, Erin 02:18, ...
    let v =
        h.ok(&tok, "find_chats", json!({"min_date": "2024-01-01T02:06:00Z", "max_date": "2024-01-01T02:12:00Z"})).await;
    let mut got = ids(&v);
    got.sort_unstable();
    let mut want = vec![channel(demo::TECH_NEWS_ID), channel(demo::TECH_CHAT_ID)];
    want.sort_unstable();
    assert_eq!(got, want, "{v}");
    // Global search: "zebra" is in Carol's messages 30 (00:35), 60 (01:05), 90 (01:35), 120 (02:05).
    let v = h
        .ok(
            &tok,
            "search_messages_globally",
            json!({"query": "zebra", "min_date": "2024-01-01T01:00:00Z", "max_date": "2024-01-01T01:40:00Z"}),
        )
        .await;
    let found: Vec<i64> = v["messages"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(found, vec![90, 60], "{v}");
    // get_messages history (message n of Carol's chat is dated 00:05 + n minutes) and search.
    let v = h
        .ok(
            &tok,
            "get_messages",
            json!({"chat_id": "carol", "min_date": "2024-01-01T01:00:00Z", "max_date": "2024-01-01T01:10:00Z"}),
        )
        .await;
    let got: Vec<i64> = v["messages"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(got, (55..=65).rev().collect::<Vec<i64>>(), "{v}");
    let v = h
        .ok(&tok, "get_messages", json!({"chat_id": "carol", "query": "zebra", "max_date": "2024-01-01T01:00:00Z"}))
        .await;
    let got: Vec<i64> = v["messages"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(got, vec![30], "{v}");
}

#[tokio::test]
async fn chat_info_shows_a_users_bio() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let carol = h.ok(&tok, "get_chat_info", json!({"chat_id": "@carol"})).await;
    assert_eq!(carol["bio"], "Carol likes zebras", "{carol}");
    h.dc.with_world(|w| w.users.get_mut(&demo::CAROL_ID).unwrap().about = None);
    let carol = h.ok(&tok, "get_chat_info", json!({"chat_id": "@carol"})).await;
    assert!(carol.get("bio").is_none(), "no bio, no field: {carol}");
}
