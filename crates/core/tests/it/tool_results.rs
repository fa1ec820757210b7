//! Tool results through HTTP MCP → fake DC read back into the typed result structs their outputSchema comes from.

use crate::common;
use common::*;
use fake_tg_dc::demo;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tgmcp_core::tools::results::*;

fn typed<T: DeserializeOwned>(tool: &str, v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{tool} result does not fit its schema type: {e}\n{v}"))
}

#[tokio::test]
async fn every_tool_result_reads_back_into_its_declared_type() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let info: ChatInfo = typed("get_chat_info", &h.ok(&tok, "get_chat_info", json!({"chat_id": "me"})).await);
    assert_eq!(info.entity.id, demo::A_ID);
    let found = h.ok(&tok, "find_chats", json!({"query": "tech"})).await;
    let chats: ChatsResult = typed("find_chats", &found);
    assert!(chats.chats.len() >= 2, "{found}");
    for c in &chats.chats {
        let _: ChatInfo = typed("get_chat_info", &h.ok(&tok, "get_chat_info", json!({"chat_id": c.id})).await);
    }
    for args in [
        json!({"chat_id": "@erin_e", "limit": 30}),
        json!({"chat_id": "@carol", "query": "zebra", "include_total_count": true}),
        json!({"chat_id": "@carol", "message_ids": [3, 999999]}),
        json!({"chat_id": "@technews", "limit": 10}),
    ] {
        let r: MessagesResult = typed("get_messages", &h.ok(&tok, "get_messages", args).await);
        assert!(!r.messages.is_empty());
    }
    let _: SearchResult =
        typed("search_messages_globally", &h.ok(&tok, "search_messages_globally", json!({"query": "zebra"})).await);
    let sent: SentResult =
        typed("send_message", &h.ok(&tok, "send_message", json!({"chat_id": "me", "message": "typed"})).await);
    let edit = json!({"chat_id": "me", "message_id": sent.messages[0].id, "message": "typed again"});
    let _: EditedResult = typed("edit_message", &h.ok(&tok, "edit_message", edit).await);
    let phone = json!({"phone_number": demo::CAROL_PHONE, "message": "by phone"});
    let _: SentResult = typed("send_message_to_phone", &h.ok(&tok, "send_message_to_phone", phone).await);
    let call = json!({"method": "users.getFullUser", "params": {"id": "me"}});
    let _: MtprotoResult = typed("invoke_mtproto", &h.ok(&tok, "invoke_mtproto", call).await);
    let inbox: InboxResult = typed("get_inbox", &h.ok(&tok, "get_inbox", json!({"include_archived": true})).await);
    assert!(inbox.chats.iter().any(|c| c.last_message.is_some()));
    let _: MarkReadResult = typed("mark_read", &h.ok(&tok, "mark_read", json!({"chat_id": "@carol"})).await);
    let fwd = json!({"from_chat_id": "@erin_e", "message_ids": [121, 122, 123, 125, 127], "to_chat_id": "me"});
    let fwd: ForwardedResult = typed("forward_messages", &h.ok(&tok, "forward_messages", fwd).await);
    let id = fwd.messages[0].id;
    let react = json!({"chat_id": "me", "message_id": id, "emoji": "🔥"});
    let _: ReactionResult = typed("send_reaction", &h.ok(&tok, "send_reaction", react).await);
    let pin = json!({"chat_id": "me", "message_id": id});
    let _: PinResult = typed("pin_message", &h.ok(&tok, "pin_message", pin.clone()).await);
    let read: MessagesResult = typed("get_messages", &h.ok(&tok, "get_messages", json!({"chat_id": "me"})).await);
    assert!(
        read.messages
            .iter()
            .any(|m| matches!(m, MessageItem::Message(m) if m.pinned == Some(true) && m.reactions.is_some()))
    );
    let _: PinResult = typed("unpin_message", &h.ok(&tok, "unpin_message", pin).await);
    let del = json!({"chat_id": "me", "message_ids": [id]});
    let _: DeletedResult = typed("delete_messages", &h.ok(&tok, "delete_messages", del).await);
    let when = jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_secs(3600)).unwrap().to_string();
    let later = json!({"chat_id": "me", "message": "later", "schedule_date": when});
    let sched: SentResult = typed("send_message", &h.ok(&tok, "send_message", later).await);
    let listed: ScheduledResult =
        typed("list_scheduled", &h.ok(&tok, "list_scheduled", json!({"chat_id": "me"})).await);
    assert_eq!(listed.messages.len(), 1);
    let del = json!({"chat_id": "me", "message_ids": [sched.messages[0].id]});
    let _: DeletedScheduledResult = typed("delete_scheduled", &h.ok(&tok, "delete_scheduled", del).await);
    let draft = json!({"chat_id": "@carol", "message": "draft **text**", "reply_to_id": 3});
    let saved: DraftSavedResult = typed("save_draft", &h.ok(&tok, "save_draft", draft).await);
    assert!(saved.draft.is_some());
    let drafts: DraftsResult = typed("get_drafts", &h.ok(&tok, "get_drafts", json!({})).await);
    assert_eq!(drafts.drafts.len(), 1);
    let start: WaitResult =
        typed("wait_for_messages", &h.ok(&tok, "wait_for_messages", json!({"timeout_seconds": 0})).await);
    h.dc.send_as(demo::CAROL_ID, fake_tg_dc::PeerKey::User(demo::A_ID), fake_tg_dc::Draft::text("typed wait"), true);
    let args = json!({"cursor": start.next_cursor, "timeout_seconds": 30});
    let waited: WaitResult = typed("wait_for_messages", &h.ok(&tok, "wait_for_messages", args).await);
    assert_eq!(waited.messages[0].text, "typed wait");
    let voice = json!({"chat_id": "@erin_e", "message_id": demo::VOICE_MSG_ID});
    let heard: TranscriptionResult = typed("transcribe_voice", &h.ok(&tok, "transcribe_voice", voice).await);
    assert_eq!(heard.status, "pending");
}

#[tokio::test]
async fn every_tool_declares_an_output_schema() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let body = json!({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{}});
    let r = mcp_post(&h.srv.url("/v1/mcp"), &body, &[("authorization", &format!("Bearer {tok}"))]).await;
    let v: Value = r.json().await.unwrap();
    let tools = v["result"]["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 21);
    for t in tools {
        assert_eq!(t["outputSchema"]["type"], "object", "{}", t["name"]);
    }
}
