//! Chat folders in token scopes, through MCP against the fake DC: allowed folders read narrowly, denied folders widely, changes seen at once after a write, and failures that never widen a scope.

use crate::common;

use common::*;
use fake_tg_dc::demo;
use serde_json::{Value, json};
use tgmcp_core::policy::{Access, FolderRule, Policy};

const WIDEN: &str = "ask_user_to_widen_token_policy";

fn channel(id: i64) -> i64 {
    -1_000_000_000_000 - id
}

fn folders(allow: &[&str], deny: &[&str]) -> Policy {
    Policy {
        allow_folders: allow.iter().map(|s| FolderRule::parse(s)).collect(),
        deny_folders: deny.iter().map(|s| FolderRule::parse(s)).collect(),
        ..Policy::default()
    }
}

async fn refused(h: &TgHarness, tok: &str, tool: &str, args: Value) -> String {
    let (err, v) = h.call(tok, tool, args.clone()).await;
    assert!(err && v["action"] == WIDEN, "{tool} {args}: {v}");
    v["error"].as_str().unwrap().to_string()
}

fn chat_ids(v: &Value, list: &str) -> Vec<i64> {
    v[list].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

/// Account A's folder `Work` (id 2): groups except muted ones, plus Dev Forum (pinned) and Tech
/// News (included). So: Dev Forum, Tech News, Tech News Chat; not Family Group (a muted group).
#[tokio::test]
async fn a_token_allowed_one_folder_reaches_only_its_chats() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, folders(&["work"], &[])).await;
    let work = [channel(demo::DEV_FORUM_ID), channel(demo::TECH_NEWS_ID), channel(demo::TECH_CHAT_ID)];
    for id in work {
        h.ok(&tok, "get_messages", json!({"chat_id": id, "limit": 1})).await;
    }
    h.ok(&tok, "get_messages", json!({"chat_id": "@technews_chat", "limit": 1})).await;
    let history = calls_of(&h, "messages.getHistory") + calls_of(&h, "channels.getMessages");
    for (tool, args) in [
        ("get_messages", json!({"chat_id": -demo::FAMILY_GROUP_ID})),
        ("get_messages", json!({"chat_id": demo::CAROL_ID})),
        ("get_chat_info", json!({"chat_id": demo::BOT_ID})),
        ("send_message", json!({"chat_id": demo::ERIN_ID, "message": "hi"})),
        ("get_messages", json!({"chat_id": "@carol"})),
    ] {
        let e = refused(&h, &tok, tool, args).await;
        assert!(e.contains("outside this token's chat scope"), "{e}");
    }
    assert_eq!(calls_of(&h, "messages.getHistory") + calls_of(&h, "channels.getMessages"), history);
    assert_eq!(calls_of(&h, "messages.sendMessage"), 0);

    // Results spanning chats show only the folder's.
    let found = h.ok(&tok, "search_messages_globally", json!({"query": "a", "limit": 50})).await;
    let chats: Vec<i64> =
        found["messages"].as_array().unwrap().iter().map(|m| m["chat"]["id"].as_i64().unwrap()).collect();
    assert!(!chats.is_empty() && chats.iter().all(|c| work.contains(c)), "{chats:?}");
    let listed = chat_ids(&h.ok(&tok, "find_chats", json!({"min_date": "2000-01-01", "limit": 100})).await, "chats");
    let mut sorted = listed.clone();
    sorted.sort();
    let mut want = work.to_vec();
    want.sort();
    assert_eq!(sorted, want, "exactly the folder's chats");
    let personal = chat_ids(&h.ok(&tok, "find_chats", json!({"filter": "Personal"})).await, "chats");
    assert!(personal.is_empty(), "another folder's chats stay hidden: {personal:?}");

    // No raw API, no phone numbers: they reach chats the folder cannot name in advance.
    let e =
        refused(&h, &tok, "send_message_to_phone", json!({"phone_number": demo::FRANK_PHONE, "message": "x"})).await;
    assert!(e.contains("outside this token's chat list"), "{e}");
    let r = reqwest::Client::new()
        .post(h.srv.url("/mtproto-api/messages.getHistory"))
        .bearer_auth(&tok)
        .json(&json!({"peer": demo::CAROL_ID, "limit": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

/// `Personal` (id 3): contacts and non-contacts except archived ones, never Helper Bot.
#[tokio::test]
async fn a_denied_folder_is_read_widely_and_beats_an_allowed_one() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, folders(&[], &["Personal"])).await;
    let e = refused(&h, &tok, "get_messages", json!({"chat_id": demo::CAROL_ID})).await;
    assert!(e.contains("in the folder \"Personal\""), "{e}");
    refused(&h, &tok, "send_message", json!({"chat_id": "@erin_e", "message": "hi"})).await;
    // Dave is not in A's dialogs: he may be a contact or not, so whether the folder holds him
    // cannot be decided, and he is refused.
    let e = refused(&h, &tok, "get_chat_info", json!({"chat_id": demo::DAVE_ID})).await;
    assert!(e.contains("cannot be checked"), "{e}");
    // Excluded by name: decided, not in the folder. Groups and channels: the folder takes none.
    h.ok(&tok, "get_messages", json!({"chat_id": demo::BOT_ID, "limit": 1})).await;
    h.ok(&tok, "get_messages", json!({"chat_id": -demo::FAMILY_GROUP_ID, "limit": 1})).await;
    let listed = chat_ids(&h.ok(&tok, "find_chats", json!({"min_date": "2000-01-01", "limit": 100})).await, "chats");
    for id in [demo::CAROL_ID, demo::ERIN_ID, demo::B_ID] {
        assert!(!listed.contains(&id), "{id} listed: {listed:?}");
    }
    assert!(listed.contains(&-demo::FAMILY_GROUP_ID), "{listed:?}");

    // `Work` excludes muted chats; denied, it is read widely and Family Group (muted) is denied too.
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, folders(&[], &["2"])).await;
    let e = refused(&h, &tok, "get_messages", json!({"chat_id": -demo::FAMILY_GROUP_ID})).await;
    assert!(e.contains("folder id 2"), "{e}");
    h.ok(&tok, "get_messages", json!({"chat_id": demo::CAROL_ID, "limit": 1})).await;

    // Allowed and denied at once: deny wins.
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, folders(&["Work"], &["2"])).await;
    refused(&h, &tok, "get_messages", json!({"chat_id": channel(demo::DEV_FORUM_ID)})).await;
}

#[tokio::test]
async fn folder_changes_reach_the_scope_and_failures_never_widen_it() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, folders(&["Work"], &["Bots"])).await;
    let rec = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&tok).unwrap()).unwrap();
    let owner = h.srv.app.tokens.create_for_session("owner", &rec.session_id).unwrap();
    let full = Policy { access: Access::Full, ..Policy::default() };
    h.srv.app.tokens.set_policy(&owner.record.id, full).unwrap();
    let owner = owner.token.expose().to_string();

    refused(&h, &tok, "get_messages", json!({"chat_id": demo::CAROL_ID})).await;
    let reads = calls_of(&h, "messages.getDialogFilters");
    refused(&h, &tok, "get_messages", json!({"chat_id": demo::CAROL_ID})).await;
    assert_eq!(calls_of(&h, "messages.getDialogFilters"), reads, "read once, then cached");

    // The user adds Carol to `Work` (through the raw API of the same account): the next call sees it.
    let work = json!({"_": "dialogFilter", "groups": true, "exclude_muted": true, "id": 2,
        "title": {"_": "textWithEntities", "text": "Work", "entities": []},
        "pinned_peers": [], "include_peers": [channel(demo::DEV_FORUM_ID), channel(demo::TECH_NEWS_ID), demo::CAROL_ID],
        "exclude_peers": []});
    h.ok(
        &owner,
        "invoke_mtproto",
        json!({"method": "messages.updateDialogFilter", "params": {"id": 2, "filter": work}}),
    )
    .await;
    h.ok(&tok, "get_messages", json!({"chat_id": demo::CAROL_ID, "limit": 1})).await;

    // The denied folder is deleted: no chat can be cleared any more.
    h.ok(&owner, "invoke_mtproto", json!({"method": "messages.updateDialogFilter", "params": {"id": 4}})).await;
    let e = refused(&h, &tok, "get_messages", json!({"chat_id": demo::CAROL_ID})).await;
    assert!(e.contains("cannot be found among your Telegram folders"), "{e}");

    // A policy change applies at the next call (the folders stay cached, the rules do not).
    h.srv.app.tokens.set_policy(&rec.id, folders(&["Work"], &[])).unwrap();
    h.ok(&tok, "get_messages", json!({"chat_id": demo::CAROL_ID, "limit": 1})).await;

    // Telegram cannot be asked for the folders: the call fails, nothing is allowed.
    let tok2 = h.login_with(demo::A_PHONE, demo::A_CODE, None, folders(&["Work"], &[])).await;
    h.dc.inject_error("messages.getDialogFilters", 500, "INTERNAL_SERVER_ERROR");
    let (err, v) = h.call(&tok2, "get_messages", json!({"chat_id": channel(demo::DEV_FORUM_ID), "limit": 1})).await;
    assert!(err && v["error"].as_str().unwrap().contains("INTERNAL_SERVER_ERROR"), "{v}");
    h.ok(&tok2, "get_messages", json!({"chat_id": channel(demo::DEV_FORUM_ID), "limit": 1})).await;
}

#[tokio::test]
async fn a_folder_changed_in_another_telegram_app_reaches_the_scope_at_once() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, folders(&["Work"], &[])).await;
    let session = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&tok).unwrap()).unwrap().session_id;
    // Another login of the same account stands for the user's phone app.
    let phone_app =
        h.login_with(demo::A_PHONE, demo::A_CODE, None, Policy { access: Access::Full, ..Policy::default() }).await;

    refused(&h, &tok, "get_messages", json!({"chat_id": demo::CAROL_ID})).await;
    let reads = calls_of(&h, "messages.getDialogFilters");
    let mut edits = h.srv.app.sessions.client(&session).await.unwrap().watch_folder_edits();
    let seen = *edits.borrow();

    let work = json!({"_": "dialogFilter", "groups": true, "exclude_muted": true, "id": 2,
        "title": {"_": "textWithEntities", "text": "Work", "entities": []},
        "pinned_peers": [], "include_peers": [channel(demo::DEV_FORUM_ID), channel(demo::TECH_NEWS_ID), demo::CAROL_ID],
        "exclude_peers": []});
    h.ok(
        &phone_app,
        "invoke_mtproto",
        json!({"method": "messages.updateDialogFilter", "params": {"id": 2, "filter": work}}),
    )
    .await;
    // Telegram tells the token's session (updateDialogFilter); the cached folders are dropped.
    tokio::time::timeout(std::time::Duration::from_secs(30), edits.wait_for(|n| *n > seen))
        .await
        .expect("the folder change reached the session's update stream")
        .unwrap();
    h.ok(&tok, "get_messages", json!({"chat_id": demo::CAROL_ID, "limit": 1})).await;
    assert_eq!(calls_of(&h, "messages.getDialogFilters"), reads + 1, "read again, well inside the cache's 10 s");
}
