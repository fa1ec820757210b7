//! Scoped tokens through MCP against the fake DC: access levels, chat scope, sensitive chats, the
//! raw API and the bridge, policy edits reaching a running client, and the activity log.

use crate::common;

use common::*;
use fake_tg_dc::{Draft, PeerKey, demo};
use serde_json::{Value, json};
use tgmcp_core::activity::Filter;
use tgmcp_core::policy::{Access, ChatRule, Policy};

const WIDEN: &str = "ask_user_to_widen_token_policy";

/// The whole `tools` array of a `tools/list` answer for `token`.
async fn tools_list_raw(h: &TgHarness, token: &str) -> Vec<Value> {
    let body = json!({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{}});
    let r = mcp_post(&h.srv.url("/v1/mcp"), &body, &[("authorization", &format!("Bearer {token}"))]).await;
    let v: Value = r.json().await.unwrap();
    v["result"]["tools"].as_array().unwrap_or_else(|| panic!("no tools: {v}")).clone()
}

async fn tools_list(h: &TgHarness, token: &str) -> Vec<String> {
    let mut names: Vec<String> =
        tools_list_raw(h, token).await.iter().map(|t| t["name"].as_str().unwrap().to_string()).collect();
    names.sort();
    names
}

fn refused(v: &Value) -> bool {
    v["action"] == WIDEN
}

fn only(ids: &[i64]) -> Policy {
    Policy { allow_chats: Some(ids.iter().map(|&id| ChatRule { id, title: None }).collect()), ..Policy::default() }
}

/// Telegram's service notifications send account A a login code.
fn login_code_arrives(h: &TgHarness, code: &str) {
    h.dc.with_world(|w| {
        let a = w.account_by_phone(demo::A_PHONE).unwrap();
        let service = w.add_service_notifications();
        w.deliver(service, PeerKey::User(a), Draft::text(format!("Login code: {code}. Do not give it to anyone.")));
    });
}

#[tokio::test]
async fn a_read_token_sees_only_read_tools_and_cannot_send() {
    let h = TgHarness::start(&[]).await;
    let read = Policy { access: Access::Read, ..Policy::default() };
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, read).await;
    assert_eq!(
        tools_list(&h, &tok).await,
        [
            "find_chats",
            "get_chat_info",
            "get_drafts",
            "get_inbox",
            "get_messages",
            "list_scheduled",
            "search_messages_globally",
            "transcribe_voice",
            "wait_for_messages"
        ]
    );
    h.ok(&tok, "get_messages", json!({"chat_id": demo::CAROL_ID, "limit": 2})).await;
    for (tool, args) in [
        ("send_message", json!({"chat_id": demo::CAROL_ID, "message": "hi"})),
        ("edit_message", json!({"chat_id": demo::CAROL_ID, "message_id": 1, "message": "x"})),
        ("invoke_mtproto", json!({"method": "help.getConfig", "params": {}})),
    ] {
        let (err, v) = h.call(&tok, tool, args).await;
        assert!(err && refused(&v), "{tool}: {v}");
        assert!(v["error"].as_str().unwrap().contains("read access"), "{v}");
    }
    assert_eq!(
        calls_of(&h, "messages.sendMessage") + calls_of(&h, "messages.editMessage"),
        0,
        "Telegram was never asked"
    );

    // A write token gets the write tools but not the raw API.
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, Policy::default()).await;
    let tools = tools_list(&h, &tok).await;
    assert!(tools.contains(&"send_message".to_string()) && !tools.contains(&"invoke_mtproto".to_string()), "{tools:?}");
}

/// `tools/list` is answered from one list per access level (and allowlist or not), built once:
/// tokens that differ there get different lists, asking again gives the same bytes, and a policy
/// edit changes the token's list at once.
#[tokio::test]
async fn tools_list_follows_each_tokens_policy_and_repeats_identically() {
    let h = TgHarness::start(&[]).await;
    let read =
        h.login_with(demo::A_PHONE, demo::A_CODE, None, Policy { access: Access::Read, ..Policy::default() }).await;
    let full = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let fenced = h
        .login_with(demo::A_PHONE, demo::A_CODE, None, Policy { access: Access::Full, ..only(&[demo::CAROL_ID]) })
        .await;
    let (read_list, full_list) = (tools_list_raw(&h, &read).await, tools_list_raw(&h, &full).await);
    assert_eq!(read_list.len(), 9, "{read_list:?}");
    assert_eq!(full_list.len(), 21);
    for t in &read_list {
        assert!(full_list.contains(t), "a read tool is listed the same way for a full token: {}", t["name"]);
    }
    for _ in 0..2 {
        assert_eq!(tools_list_raw(&h, &read).await, read_list, "the same answer again");
        assert_eq!(tools_list_raw(&h, &full).await, full_list, "the same answer again");
    }
    let fenced_names = tools_list(&h, &fenced).await;
    assert_eq!(fenced_names.len(), 20);
    assert!(!fenced_names.contains(&"send_message_to_phone".to_string()), "{fenced_names:?}");

    // The list is cached per scope, not per token: widening the read token widens its list.
    let id = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&read).unwrap()).unwrap().id;
    h.srv.app.tokens.set_policy(&id, Policy { access: Access::Full, ..Policy::default() }).unwrap();
    assert_eq!(tools_list_raw(&h, &read).await, full_list);
}

#[tokio::test]
async fn a_chat_scoped_token_never_reaches_or_sees_other_chats() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, only(&[demo::CAROL_ID])).await;
    let tools = tools_list(&h, &tok).await;
    assert!(!tools.contains(&"invoke_mtproto".to_string()) && !tools.contains(&"send_message_to_phone".to_string()));

    // In scope: by id and by name.
    h.ok(&tok, "get_messages", json!({"chat_id": demo::CAROL_ID, "limit": 3})).await;
    h.ok(&tok, "get_messages", json!({"chat_id": "@carol", "limit": 3})).await;
    // Out of scope by id: refused before Telegram is asked anything.
    let before = tool_calls(&h);
    for (tool, args) in [
        ("get_messages", json!({"chat_id": demo::DAVE_ID})),
        ("get_chat_info", json!({"chat_id": -demo::FAMILY_GROUP_ID})),
        ("send_message", json!({"chat_id": demo::DAVE_ID, "message": "hi"})),
    ] {
        let (err, v) = h.call(&tok, tool, args).await;
        assert!(err && refused(&v), "{tool}: {v}");
        assert!(v["error"].as_str().unwrap().contains("outside this token's chat scope"), "{v}");
    }
    assert_eq!(tool_calls(&h), before, "no Telegram call for an out-of-scope id");
    // Out of scope by name: refused once resolved.
    let (err, v) = h.call(&tok, "get_messages", json!({"chat_id": "@erin_e"})).await;
    assert!(err && refused(&v), "{v}");

    // Results that span chats only show Carol's chat.
    let found = h.ok(&tok, "search_messages_globally", json!({"query": "a", "limit": 50})).await;
    let chats: Vec<i64> =
        found["messages"].as_array().unwrap().iter().map(|m| m["chat"]["id"].as_i64().unwrap()).collect();
    assert!(!chats.is_empty() && chats.iter().all(|c| *c == demo::CAROL_ID), "{chats:?}");
    let everyone = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let all = h.ok(&everyone, "search_messages_globally", json!({"query": "a", "limit": 50})).await;
    assert!(
        all["messages"].as_array().unwrap().iter().any(|m| m["chat"]["id"] != demo::CAROL_ID),
        "the unscoped token sees other chats for the same query, so the filter did something"
    );
    for args in [json!({"query": "ar"}), json!({"min_date": "2000-01-01"})] {
        let v = h.ok(&tok, "find_chats", args.clone()).await;
        let ids: Vec<i64> = v["chats"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
        assert!(ids.iter().all(|id| *id == demo::CAROL_ID), "{args}: {ids:?}");
    }

    // The bridge: no raw API for a token with a chat list.
    let r = reqwest::Client::new()
        .post(h.srv.url("/mtproto-api/messages.getHistory"))
        .bearer_auth(&tok)
        .json(&json!({"peer": demo::CAROL_ID, "limit": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(refused(&r.json::<Value>().await.unwrap()));
}

#[tokio::test]
async fn sensitive_chats_are_blocked_by_default_everywhere_and_can_be_lifted() {
    let h = TgHarness::start(&[]).await;
    login_code_arrives(&h, "55511");
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await; // full access, defaults otherwise
    let (err, v) = h.call(&tok, "get_messages", json!({"chat_id": 777000})).await;
    assert!(err && refused(&v) && v["error"].as_str().unwrap().contains("login codes"), "{v}");
    let found = h.ok(&tok, "search_messages_globally", json!({"query": "Login code"})).await;
    assert!(!found.to_string().contains("55511"), "{found}");
    let chats = h.ok(&tok, "find_chats", json!({"min_date": "2000-01-01", "limit": 100})).await;
    assert!(!chats.to_string().contains("777000"), "{chats}");
    // The raw API: naming the chat is refused; answers spanning chats lose its messages.
    let (err, v) = h
        .call(
            &tok,
            "invoke_mtproto",
            json!({"method": "messages.getHistory", "params": {"peer": 777000, "offset_id": 0, "offset_date": 0,
            "add_offset": 0, "limit": 5, "max_id": 0, "min_id": 0, "hash": 0}}),
        )
        .await;
    assert!(err && refused(&v), "{v}");
    let dialogs = h
        .ok(
            &tok,
            "invoke_mtproto",
            json!({"method": "messages.getDialogs", "params": {"offset_date": 0, "offset_id": 0,
            "offset_peer": {"_": "inputPeerEmpty"}, "limit": 100, "hash": 0}}),
        )
        .await;
    assert!(!dialogs.to_string().contains("55511"), "the login code leaked through messages.getDialogs");
    assert!(dialogs.to_string().contains("messageEmpty"), "its top message is there, emptied");

    // Lifted for one token: it sees the code.
    let lifted = Policy { access: Access::Full, allow_sensitive: true, ..Policy::default() };
    let tok2 = h.login_with(demo::A_PHONE, demo::A_CODE, None, lifted).await;
    let v = h.ok(&tok2, "get_messages", json!({"chat_id": 777000})).await;
    assert!(v.to_string().contains("55511"), "{v}");
}

#[tokio::test]
async fn a_policy_change_reaches_a_connected_client_at_its_next_call() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let id = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&tok).unwrap()).unwrap().id;
    let (err, _) = h.call_stdio(&tok, "send_message", json!({"chat_id": demo::CAROL_ID, "message": "one"})).await;
    assert!(!err);
    h.srv.app.tokens.set_policy(&id, Policy { access: Access::Read, ..Policy::default() }).unwrap();
    let (err, v) = h.call(&tok, "send_message", json!({"chat_id": demo::CAROL_ID, "message": "two"})).await;
    assert!(err && refused(&v), "{v}");
    let (err, v) = h.call_stdio(&tok, "send_message", json!({"chat_id": demo::CAROL_ID, "message": "two"})).await;
    assert!(err && refused(&v), "{v}");
    assert_eq!(calls_of(&h, "messages.sendMessage"), 1);
}

#[tokio::test]
async fn every_call_is_in_the_activity_log_without_message_text() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let id = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&tok).unwrap()).unwrap().id;
    h.ok(&tok, "get_messages", json!({"chat_id": "@carol", "limit": 1})).await;
    let sent = h.ok(&tok, "send_message", json!({"chat_id": demo::CAROL_ID, "message": "secret plans"})).await;
    let sent_id = sent["messages"][0]["id"].as_i64().unwrap() as i32;
    h.ok(&tok, "invoke_mtproto", json!({"method": "users.getFullUser", "params": {"id": "me"}})).await;
    let (err, _) = h.call(&tok, "get_messages", json!({"chat_id": 777000})).await;
    assert!(err);

    let log = h.srv.app.activity.read(&Filter::default()).unwrap();
    let tools: Vec<&str> = log.iter().map(|e| e.tool.as_str()).collect();
    assert_eq!(tools, ["get_messages", "invoke_mtproto:users.getFullUser", "send_message", "get_messages"]);
    assert!(log.iter().all(|e| e.token_id.as_deref() == Some(id.as_str()) && e.transport == "http"));
    assert_eq!((log[0].outcome.as_str(), log[0].error_kind.as_deref()), ("error", Some("forbidden")));
    assert_eq!(log[2].chats, [demo::CAROL_ID]);
    assert_eq!(log[2].message_ids, [sent_id]);
    assert_eq!(log[3].chats, [demo::CAROL_ID], "a chat named by @username is logged by id");
    let text = std::fs::read_to_string(h.srv.app.activity.path()).unwrap();
    assert_eq!(text.lines().count(), 4, "one line per call");
    assert!(!text.contains("secret plans"), "no message text by default");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(h.srv.app.activity.path()).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // With ACTIVITY_LOG_TEXT on, sends carry their text.
    let mut s = h.srv.app.settings();
    s.activity_log_text = true;
    h.srv.app.update_settings(s).unwrap();
    h.ok(&tok, "send_message", json!({"chat_id": demo::CAROL_ID, "message": "visible plans"})).await;
    let f = Filter { tool: Some("send_message".into()), limit: Some(1), ..Filter::default() };
    assert_eq!(h.srv.app.activity.read(&f).unwrap()[0].text.as_deref(), Some("visible plans"));
}

#[tokio::test]
async fn development_mode_acts_as_the_chosen_token_with_its_policy() {
    let h = TgHarness::start(&[("DISABLE_AUTH", "true")]).await;
    let anonymous = async |tool: &str, args: Value| -> Value {
        let body = json!({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":tool,"arguments":args}});
        let v: Value = mcp_post(&h.srv.url("/v1/mcp"), &body, &[]).await.json().await.unwrap();
        v["result"].clone()
    };
    // No account logged in yet: the tools say so.
    let r = anonymous("get_chat_info", json!({"chat_id": "me"})).await;
    assert_eq!(r["isError"], true, "{r}");
    h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let bob = Policy { access: Access::Read, ..Policy::default() };
    let bob_tok = h.login_with(demo::B_PHONE, demo::B_CODE, Some(demo::B_PASSWORD), bob).await;
    // By default: the first logged-in token (Alice's).
    let r = anonymous("get_chat_info", json!({"chat_id": "me"})).await;
    assert_eq!(r["structuredContent"]["id"], demo::A_ID, "{r}");
    // Chosen in the settings: Bob's token, with its read-only policy.
    let bob_id = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&bob_tok).unwrap()).unwrap().id;
    let mut s = h.srv.app.settings();
    s.dev_token_id = Some(bob_id);
    h.srv.app.update_settings(s).unwrap();
    let r = anonymous("get_chat_info", json!({"chat_id": "me"})).await;
    assert_eq!(r["structuredContent"]["id"], demo::B_ID, "{r}");
    let r = anonymous("send_message", json!({"chat_id": "me", "message": "x"})).await;
    assert_eq!(r["structuredContent"]["action"], WIDEN, "{r}");
}

/// Calls the DC got, leaving out the update loop's own (`updates.getState`/`getDifference` run in
/// the background whenever the session's updates need them, whatever the tools do).
fn tool_calls(h: &TgHarness) -> usize {
    h.dc.calls().iter().filter(|c| !c.method.starts_with("updates.")).count()
}
