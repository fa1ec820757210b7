//! invoke_mtproto and the HTTP-MTProto bridge through HTTP → our server → grammers → fake DC.

use crate::common;
use common::*;
use fake_tg_dc::demo;
use serde_json::{Value, json};

fn history_params(peer: &str, limit: i32) -> Value {
    json!({"peer": peer, "offset_id": 0, "offset_date": 0, "add_offset": 0, "limit": limit, "max_id": 0, "min_id": 0, "hash": 0})
}

fn called(h: &TgHarness, method: &str) -> Vec<fake_tg_dc::Call> {
    h.dc.calls().into_iter().filter(|c| c.method == method).collect()
}

/// POSTs to the bridge; returns (status, Retry-After, body).
async fn bridge(h: &TgHarness, path: &str, token: Option<&str>, body: Value) -> (u16, Option<String>, Value) {
    let mut req = reqwest::Client::new().post(h.srv.url(path)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let text = r.text().await.unwrap();
    (status, retry, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn get_full_user_by_me_and_username() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "invoke_mtproto", json!({"method": "users.getFullUser", "params": {"id": "me"}})).await;
    assert_eq!(v["method"], "users.getFullUser");
    let r = &v["result"];
    assert_eq!(r["_"], "users.userFull");
    assert_eq!(r["full_user"]["_"], "userFull");
    assert_eq!(r["full_user"]["id"], demo::A_ID);
    let me = r["users"].as_array().unwrap().iter().find(|u| u["id"] == demo::A_ID).expect("self in users");
    assert_eq!(me["self"], true);
    assert_eq!(me["username"], "alice_a");
    assert!(me.get("flags").is_none() && me.get("flags2").is_none(), "flags are not output: {me}");
    // The request reached the DC naming the account itself (inputUserSelf, or its id once the session knows it).
    let calls = called(&h, "users.getFullUser");
    let req = &calls.last().unwrap().request;
    assert!(req.contains("UserSelf") || req.contains(&format!("user_id: {}", demo::A_ID)), "{req}");

    // Other spelling, and a @username resolved because the field's TL type is InputUser.
    let v =
        h.ok(&tok, "invoke_mtproto", json!({"method": "users.GetFullUserRequest", "params": {"id": "@carol"}})).await;
    assert_eq!(v["method"], "users.getFullUser");
    assert_eq!(v["result"]["full_user"]["id"], demo::CAROL_ID);
    assert_eq!(v["result"]["full_user"]["about"], "Carol likes zebras");
    let carol = v["result"]["users"].as_array().unwrap().iter().find(|u| u["id"] == demo::CAROL_ID).unwrap();
    assert!(carol["access_hash"].is_number() || carol["access_hash"].is_string());
    assert_eq!(carol["_"], "user");
}

#[tokio::test]
async fn get_history_decodes_messages() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h
        .ok(&tok, "invoke_mtproto", json!({"method": "messages.getHistory", "params": history_params("@carol", 5)}))
        .await;
    let r = &v["result"];
    assert_eq!(r["_"], "messages.messagesSlice", "{r}");
    assert_eq!(r["count"], demo::CAROL_CHAT_LEN);
    let msgs = r["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 5);
    let ids: Vec<i64> = msgs.iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![120, 119, 118, 117, 116]);
    for m in msgs {
        assert_eq!(m["_"], "message");
        assert_eq!(m["peer_id"]["_"], "peerUser");
        assert!(m["message"].as_str().unwrap().starts_with("Carol history message"), "{m}");
        assert!(m["date"].is_number());
    }
    assert_eq!(msgs[0]["message"], "Carol history message 120 zebra");
    assert_eq!(msgs[0]["out"], true, "even ids are A's own");
    assert!(msgs[1].get("out").is_none(), "unset true-flags are absent");
    assert!(r["users"].as_array().unwrap().iter().any(|u| u["id"] == demo::CAROL_ID));
}

#[tokio::test]
async fn search_with_flags_and_filter_object() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let params = json!({"peer": "@erin_e", "q": "report", "from_id": "@erin_e",
        "filter": {"_": "inputMessagesFilterDocument"}, "min_date": 0, "max_date": 0, "offset_id": 0,
        "add_offset": 0, "limit": 10, "max_id": 0, "min_id": 0, "hash": 0});
    let v = h.ok(&tok, "invoke_mtproto", json!({"method": "messages.search", "params": params})).await;
    let msgs = v["result"]["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1, "{v}");
    assert_eq!(msgs[0]["id"], 123);
    assert_eq!(msgs[0]["message"], "Quarterly report PDF attached");
    assert_eq!(msgs[0]["media"]["_"], "messageMediaDocument");
    assert!(msgs[0]["media"]["document"]["file_reference"].is_string(), "bytes are base64 strings");
    let req = called(&h, "messages.search").last().unwrap().request.clone();
    assert!(req.contains("InputMessagesFilterDocument") && req.contains("from_id: Some("), "{req}");
    // Without the filter the text match also finds message 121.
    let mut params = params.clone();
    params["filter"] = json!({"_": "inputMessagesFilterEmpty"});
    params.as_object_mut().unwrap().remove("from_id");
    let v = h.ok(&tok, "invoke_mtproto", json!({"method": "messages.search", "params": params})).await;
    let ids: Vec<i64> = v["result"]["messages"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&121) && ids.contains(&123), "{ids:?}");
}

#[tokio::test]
async fn peers_resolve_by_declared_type_not_by_key_name() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    // InputChannel field.
    let v = h
        .ok(&tok, "invoke_mtproto", json!({"method": "channels.getFullChannel", "params": {"channel": "@technews"}}))
        .await;
    assert_eq!(v["result"]["_"], "messages.chatFull");
    assert_eq!(v["result"]["full_chat"]["_"], "channelFull");
    assert_eq!(v["result"]["full_chat"]["id"], demo::TECH_NEWS_ID);
    let (err, v) = h
        .call(&tok, "invoke_mtproto", json!({"method": "channels.getFullChannel", "params": {"channel": "@carol"}}))
        .await;
    assert!(err);
    assert!(v["error"].as_str().unwrap().contains("needs a channel or supergroup"), "{v}");
    // Vector<InputDialogPeer>.
    let v = h
        .ok(&tok, "invoke_mtproto", json!({"method": "messages.getPeerDialogs", "params": {"peers": ["@carol", "me"]}}))
        .await;
    assert_eq!(v["result"]["_"], "messages.peerDialogs");
    assert_eq!(v["result"]["dialogs"].as_array().unwrap().len(), 2, "{v}");
    // `chat_id` of messages.getFullChat is a plain long: the number is passed through, not resolved.
    let v = h
        .ok(
            &tok,
            "invoke_mtproto",
            json!({"method": "messages.getFullChat", "params": {"chat_id": demo::FAMILY_GROUP_ID}}),
        )
        .await;
    assert_eq!(v["result"]["full_chat"]["_"], "chatFull");
    assert_eq!(v["result"]["full_chat"]["id"], demo::FAMILY_GROUP_ID);
    assert!(called(&h, "messages.getFullChat")[0].request.contains(&format!("chat_id: {}", demo::FAMILY_GROUP_ID)));
    // A wrapper's result is decoded as its inner method's result.
    let v = h
        .ok(
            &tok,
            "invoke_mtproto",
            json!({"method": "invokeWithoutUpdates", "params": {"query": {"_": "users.getFullUser", "id": "@carol"}}}),
        )
        .await;
    assert_eq!(v["method"], "invokeWithoutUpdates");
    assert_eq!(v["result"]["_"], "users.userFull");
    assert_eq!(v["result"]["full_user"]["id"], demo::CAROL_ID);
}

#[tokio::test]
async fn input_errors_are_clear_and_nothing_is_sent() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let before = tool_calls(&h);
    let (err, v) = h.call(&tok, "invoke_mtproto", json!({"method": "messages.getHistroy", "params": {}})).await;
    assert!(err);
    let msg = v["error"].as_str().unwrap();
    assert!(msg.contains("did you mean") && msg.contains("messages.getHistory"), "{msg}");
    let (err, v) = h
        .call(
            &tok,
            "invoke_mtproto",
            json!({"method": "messages.getHistory", "params": {"peer": "@carol", "limit": 5}}),
        )
        .await;
    assert!(err);
    let msg = v["error"].as_str().unwrap();
    assert!(msg.contains("missing required field `offset_id` (int)"), "{msg}");
    let (err, v) =
        h.call(&tok, "invoke_mtproto", json!({"method": "users.getFullUser", "params": {"user_id": "me"}})).await;
    assert!(err);
    let msg = v["error"].as_str().unwrap();
    assert!(msg.contains("unknown field `user_id`") && msg.contains("id (InputUser)"), "{msg}");
    assert_eq!(tool_calls(&h), before, "validation happens before any request");
    // A peer that does not resolve names the field.
    let (err, v) =
        h.call(&tok, "invoke_mtproto", json!({"method": "users.getFullUser", "params": {"id": "@nobody_here"}})).await;
    assert!(err);
    let msg = v["error"].as_str().unwrap();
    assert!(msg.contains("cannot resolve `id`") && msg.contains("@nobody_here"), "{msg}");
    assert!(called(&h, "users.getFullUser").is_empty());
}

#[tokio::test]
async fn dangerous_methods_are_refused_by_default_whatever_the_params() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    for args in [
        json!({"method": "messages.deleteMessages", "params": {"id": [5], "revoke": true}}),
        json!({"method": "messages.DeleteMessagesRequest", "params": {"id": [5], "allow_dangerous": true}}),
        json!({"method": "invokeWithoutUpdates", "params": {"query": {"_": "messages.deleteMessages", "id": [5]}}}),
    ] {
        let (err, v) = h.call(&tok, "invoke_mtproto", args.clone()).await;
        assert!(err, "{args}");
        let msg = v["error"].as_str().unwrap();
        assert!(
            msg.contains("messages.deleteMessages is blocked") && msg.contains("ALLOW_DANGEROUS_MTPROTO=true"),
            "{msg}"
        );
        assert_eq!(v["action"], tgmcp_core::tools::mtproto::ACTION_UNLOCK_DANGEROUS);
    }
    assert!(called(&h, "messages.deleteMessages").is_empty());
    // The user's setting (here changed live, as the tray app does) is the only unlock.
    let mut s = h.srv.app.settings();
    s.allow_dangerous_mtproto = true;
    h.srv.app.update_settings(s).unwrap();
    let v = h
        .ok(&tok, "invoke_mtproto", json!({"method": "messages.deleteMessages", "params": {"id": [7], "revoke": true}}))
        .await;
    assert_eq!(v["result"]["_"], "messages.affectedMessages");
    assert_eq!(v["result"]["pts_count"], 1);
    let calls = called(&h, "messages.deleteMessages");
    assert_eq!(calls.len(), 1);
    assert!(calls[0].request.contains("revoke: true") && calls[0].request.contains("[7]"), "{}", calls[0].request);
}

#[tokio::test]
async fn dangerous_methods_allowed_by_env_setting_reach_the_dc() {
    let h = TgHarness::start(&[("ALLOW_DANGEROUS_MTPROTO", "true")]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "invoke_mtproto", json!({"method": "messages.deleteMessages", "params": {"id": [5, 6]}})).await;
    assert_eq!(v["method"], "messages.deleteMessages");
    assert_eq!(v["result"]["pts_count"], 2);
    let calls = called(&h, "messages.deleteMessages");
    assert_eq!(calls.len(), 1);
    assert!(calls[0].request.contains("[5, 6]"), "{}", calls[0].request);
    // Message 5 is gone from the chat with Carol.
    let v = h
        .ok(
            &tok,
            "invoke_mtproto",
            json!({"method": "messages.getMessages", "params": {"id": [{"_": "inputMessageID", "id": 5}]}}),
        )
        .await;
    let m = &v["result"]["messages"][0];
    assert_eq!(m["_"], "messageEmpty", "{v}");
}

#[tokio::test]
async fn telegram_errors_carry_code_name_and_retry_after() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    h.dc.inject_error("users.getFullUser", 420, "FLOOD_WAIT_30");
    let (err, v) = h.call(&tok, "invoke_mtproto", json!({"method": "users.getFullUser", "params": {"id": "me"}})).await;
    assert!(err);
    assert_eq!(v["retry_after"], 30);
    assert_eq!(v["telegram_code"], 420);
    assert_eq!(v["telegram_error"], "FLOOD_WAIT");
    h.dc.inject_error("users.getFullUser", 400, "USER_ID_INVALID");
    let (err, v) = h.call(&tok, "invoke_mtproto", json!({"method": "users.getFullUser", "params": {"id": "me"}})).await;
    assert!(err);
    assert_eq!(v["telegram_code"], 400);
    assert_eq!(v["telegram_error"], "USER_ID_INVALID");
    assert!(v.get("retry_after").is_none());
}

#[tokio::test]
async fn users_and_chats_of_results_are_remembered() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "invoke_mtproto", json!({"method": "contacts.getContacts", "params": {"hash": 0}})).await;
    assert!(v["result"]["users"].as_array().unwrap().iter().any(|u| u["id"] == demo::ERIN_ID), "{v}");
    // Erin by numeric id: known from the result above, so no dialog walk is needed.
    let v = h.ok(&tok, "invoke_mtproto", json!({"method": "users.getFullUser", "params": {"id": demo::ERIN_ID}})).await;
    assert_eq!(v["result"]["full_user"]["id"], demo::ERIN_ID);
    assert!(called(&h, "messages.getDialogs").is_empty(), "resolved from the cache");
}

#[tokio::test]
async fn bridge_auth_success_denylist_and_errors() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;

    let (status, _, _) = bridge(&h, "/mtproto-api/users.getFullUser", None, json!({"id": "me"})).await;
    assert_eq!(status, 401);
    let (status, _, _) = bridge(&h, "/mtproto-api/users.getFullUser", Some("not-a-token"), json!({"id": "me"})).await;
    assert_eq!(status, 401);
    assert!(called(&h, "users.getFullUser").is_empty());

    let (status, _, v) = bridge(&h, "/mtproto-api/users.getFullUser", Some(&tok), json!({"id": "me"})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["ok"], true);
    assert_eq!(v["result"]["_"], "users.userFull");
    assert_eq!(v["result"]["full_user"]["id"], demo::A_ID);

    let (status, _, v) =
        bridge(&h, "/mtproto-api/v1/messages.getHistory", Some(&tok), history_params("@carol", 3)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["result"]["messages"].as_array().unwrap().len(), 3);
    // The reference's wrapper body works too.
    let (status, _, v) =
        bridge(&h, "/mtproto-api/messages.GetHistory", Some(&tok), json!({"params": history_params("@carol", 2)}))
            .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["method"], "messages.getHistory");
    assert_eq!(v["result"]["messages"].as_array().unwrap().len(), 2);

    // Denylisted: 403, even when the body asks for it.
    let (status, _, v) = bridge(
        &h,
        "/mtproto-api/messages.deleteMessages",
        Some(&tok),
        json!({"params": {"id": [1]}, "allow_dangerous": true}),
    )
    .await;
    assert_eq!(status, 403, "{v}");
    assert_eq!(v["ok"], false);
    assert_eq!(v["action"], tgmcp_core::tools::mtproto::ACTION_UNLOCK_DANGEROUS);
    assert!(called(&h, "messages.deleteMessages").is_empty());

    // Invalid input: 400 with the message.
    let (status, _, v) = bridge(&h, "/mtproto-api/messages.getHistroy", Some(&tok), json!({})).await;
    assert_eq!(status, 400);
    assert!(v["error"].as_str().unwrap().contains("messages.getHistory"), "{v}");

    // Flood wait: 429 + Retry-After.
    h.dc.inject_error("users.getFullUser", 420, "FLOOD_WAIT_17");
    let (status, retry, v) = bridge(&h, "/mtproto-api/users.getFullUser", Some(&tok), json!({"id": "me"})).await;
    assert_eq!(status, 429, "{v}");
    assert_eq!(retry.as_deref(), Some("17"));
    assert_eq!(v["retry_after"], 17);

    // Other Telegram errors: 502 with the Telegram error.
    h.dc.inject_error("users.getFullUser", 400, "USER_ID_INVALID");
    let (status, _, v) = bridge(&h, "/mtproto-api/users.getFullUser", Some(&tok), json!({"id": "me"})).await;
    assert_eq!(status, 502, "{v}");
    assert_eq!(v["telegram_error"], "USER_ID_INVALID");

    // A token without full access: 403, and Telegram is not asked.
    let fresh = h.srv.app.tokens.create("fresh").unwrap();
    let (status, _, v) =
        bridge(&h, "/mtproto-api/users.getFullUser", Some(fresh.token.expose()), json!({"id": "me"})).await;
    assert_eq!(status, 403, "{v}");
    assert_eq!(v["action"], "ask_user_to_widen_token_policy");
    // A valid full token whose session is not logged in to Telegram: 401.
    let full = tgmcp_core::policy::Policy { access: tgmcp_core::policy::Access::Full, ..Default::default() };
    h.srv.app.tokens.set_policy(&fresh.record.id, full).unwrap();
    let (status, _, v) =
        bridge(&h, "/mtproto-api/users.getFullUser", Some(fresh.token.expose()), json!({"id": "me"})).await;
    assert_eq!(status, 401, "{v}");
    assert_eq!(v["telegram_error"], "AUTH_KEY_UNREGISTERED");
}

#[tokio::test]
async fn classification_refuses_money_and_security_calls_through_both_doors() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    // (method spelling, params, the canonical name the refusal must name)
    let cases = [
        (
            "payments.sendStarsForm",
            json!({"form_id": 1, "invoice": {"_": "inputInvoiceSlug", "slug": "x"}}),
            "payments.sendStarsForm is blocked",
        ),
        ("Account.DeleteAccount", json!({"reason": "x"}), "account.deleteAccount is blocked"),
        (" account.deleteAccount ", json!({"reason": "x"}), "account.deleteAccount is blocked"),
        ("auth.resetAuthorizations", json!({}), "auth.resetAuthorizations is blocked"),
        (
            "invokeWithoutUpdates",
            json!({"query": {"_": "account.deleteAccount", "reason": "x"}}),
            "account.deleteAccount is blocked",
        ),
        (
            "messages.sendMessage",
            json!({"peer": "me", "message": "hi", "random_id": 1, "allow_paid_stars": 5}),
            "with `allow_paid_stars` is blocked",
        ),
    ];
    for (method, params, expected) in cases {
        let (err, v) = h.call(&tok, "invoke_mtproto", json!({"method": method, "params": params})).await;
        assert!(err, "{method}");
        assert!(v["error"].as_str().unwrap().contains(expected), "{method}: {v}");
        assert_eq!(v["action"], tgmcp_core::tools::mtproto::ACTION_UNLOCK_DANGEROUS, "{method}");
        let path = format!("/mtproto-api/{}", method.replace(' ', "%20"));
        let (status, _, v) = bridge(&h, &path, Some(&tok), params).await;
        assert_eq!(status, 403, "{method}: {v}");
        assert!(v["error"].as_str().unwrap().contains(expected), "{method}: {v}");
    }
    // A connection wrapper is refused whatever it wraps, unlocked or not.
    let (err, v) = h
        .call(
            &tok,
            "invoke_mtproto",
            json!({"method": "invokeWithLayer", "params": {"layer": 230, "query": {"_": "help.getConfig"}}}),
        )
        .await;
    assert!(err && v["error"].as_str().unwrap().contains("managed by the MTProto connection"), "{v}");
    for m in ["payments.sendStarsForm", "account.deleteAccount", "auth.resetAuthorizations", "messages.sendMessage"] {
        assert!(called(&h, m).is_empty(), "{m} reached the DC");
    }
}

/// Calls the DC got, leaving out the update loop's own (`updates.getState`/`getDifference` run in
/// the background whenever the session's updates need them, whatever the tools do).
fn tool_calls(h: &TgHarness) -> usize {
    h.dc.calls().iter().filter(|c| !c.method.starts_with("updates.")).count()
}
