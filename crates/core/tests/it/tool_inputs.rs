//! Tool inputs through HTTP MCP → fake DC: numeric chat ids from results, chat_type kinds, declared bounds.

use crate::common;
use common::*;
use fake_tg_dc::demo;
use serde_json::json;

#[tokio::test]
async fn a_numeric_id_returned_by_a_result_is_accepted_back_as_chat_id() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let found = h.ok(&tok, "find_chats", json!({"query": "carol"})).await;
    let carol = found["chats"][0]["id"].clone();
    assert!(carol.is_i64(), "results carry numeric ids: {found}");
    assert_eq!(carol, json!(demo::CAROL_ID));

    let info = h.ok(&tok, "get_chat_info", json!({"chat_id": carol})).await;
    assert_eq!(info["id"], carol, "{info}");
    let v = h.ok(&tok, "get_messages", json!({"chat_id": carol, "from_user": carol, "limit": 3})).await;
    let ms = v["messages"].as_array().unwrap();
    assert_eq!(ms.len(), 3, "{v}");
    assert!(ms.iter().all(|m| m["sender"]["id"] == carol));
    let sent = h.ok(&tok, "send_message", json!({"chat_id": carol, "message": "numeric id works"})).await;
    let msg_id = sent["messages"][0]["id"].clone();
    let edited = h
        .ok(&tok, "edit_message", json!({"chat_id": carol, "message_id": msg_id, "message": "edited by number"}))
        .await;
    assert!(edited.to_string().contains("edited by number"), "{edited}");
    // A channel id is negative: it works as a number too.
    let tech = h.ok(&tok, "find_chats", json!({"query": "tech", "chat_type": "channel"})).await;
    let id = tech["chats"][0]["id"].clone();
    assert!(id.as_i64().unwrap() < 0, "{tech}");
    assert_eq!(h.ok(&tok, "get_chat_info", json!({"chat_id": id})).await["id"], id);
}

#[tokio::test]
async fn chat_type_takes_one_kind_a_list_or_the_old_comma_string() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let kinds = |v: &serde_json::Value| -> Vec<String> {
        v["chats"].as_array().unwrap().iter().map(|c| c["type"].as_str().unwrap().to_string()).collect()
    };
    let list = h.ok(&tok, "find_chats", json!({"query": "tech", "chat_type": ["channel", "group"]})).await;
    let comma = h.ok(&tok, "find_chats", json!({"query": "tech", "chat_type": "channel,group"})).await;
    assert_eq!(kinds(&list), kinds(&comma));
    assert!(kinds(&list).contains(&"channel".to_string()) && kinds(&list).contains(&"group".to_string()), "{list}");
    let (err, v) = h.call(&tok, "find_chats", json!({"query": "tech", "chat_type": ["martian"]})).await;
    assert!(err && v["error"].as_str().unwrap().contains("private, bot, group or channel"), "{v}");
}

#[tokio::test]
async fn input_schemas_declare_numeric_ids_kinds_and_limit_bounds() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let body = json!({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{}});
    let r = mcp_post(&h.srv.url("/v1/mcp"), &body, &[("authorization", &format!("Bearer {tok}"))]).await;
    let v: serde_json::Value = r.json().await.unwrap();
    let tools = v["result"]["tools"].as_array().unwrap();
    let schema = |name: &str| tools.iter().find(|t| t["name"] == name).unwrap()["inputSchema"].clone();
    for tool in [
        "get_messages",
        "send_message",
        "edit_message",
        "get_chat_info",
        "mark_read",
        "delete_messages",
        "send_reaction",
        "pin_message",
        "unpin_message",
    ] {
        let t = &schema(tool)["properties"]["chat_id"]["type"];
        assert!(
            t.as_array().is_some_and(|a| a.contains(&json!("integer")) && a.contains(&json!("string"))),
            "{tool}: {t}"
        );
    }
    for tool in ["get_messages", "search_messages_globally", "find_chats", "get_inbox"] {
        let limit = &schema(tool)["properties"]["limit"];
        assert_eq!((limit["minimum"].as_i64(), limit["maximum"].as_i64()), (Some(1), Some(100)), "{tool}: {limit}");
    }
    let chat_type = schema("find_chats").to_string();
    for kind in ["private", "bot", "group", "channel"] {
        assert!(chat_type.contains(&format!("\"{kind}\"")), "{chat_type}");
    }
}
