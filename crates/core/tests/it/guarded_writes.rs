//! Writes that wait for the user, are paced, or are retried: approvals (approved, always, denied,
//! timed out), the per-token write limit, FLOOD_WAIT honoured, and idempotency keys, all through
//! MCP against the fake DC, checking what Telegram actually received.

use crate::common;

use common::*;
use fake_tg_dc::demo;
use serde_json::{Value, json};
use std::sync::Arc;
use tgmcp_core::approvals::Decision;
use tgmcp_core::policy::{Access, Approval, Policy, WriteLimits};

fn sends(h: &TgHarness) -> usize {
    h.dc.calls().iter().filter(|c| c.method == "messages.sendMessage").count()
}

async fn harness_with(policy: Policy, extra: &[(&str, &str)]) -> (Arc<TgHarness>, String) {
    let h = TgHarness::start(extra).await;
    let tok = h.login_with(demo::A_PHONE, demo::A_CODE, None, policy).await;
    (Arc::new(h), tok)
}

fn send(h: &Arc<TgHarness>, tok: &str, chat: i64, text: &str) -> tokio::task::JoinHandle<(bool, Value)> {
    let (h, tok, text) = (h.clone(), tok.to_string(), text.to_string());
    tokio::spawn(async move { h.call(&tok, "send_message", json!({"chat_id": chat, "message": text})).await })
}

#[tokio::test]
async fn approvals_hold_writes_until_the_user_answers() {
    let policy = Policy { approval: Approval::NewChats, ..Policy::default() };
    let (h, tok) = harness_with(policy, &[]).await;

    // Approved once: sent only after the answer.
    let call = send(&h, &tok, demo::CAROL_ID, "first to Carol");
    let p = next_pending(&h).await;
    assert_eq!((p.tool.as_str(), p.chat_id, p.preview.as_str()), ("send_message", demo::CAROL_ID, "first to Carol"));
    assert_eq!(sends(&h), 0, "nothing is sent before the approval");
    h.srv.app.approvals.decide(&p.id, Decision::Approved { always: false }).unwrap();
    let (err, v) = call.await.unwrap();
    assert!(!err, "{v}");
    assert_eq!(sends(&h), 1);
    // Carol is no longer a new chat for this token: no approval needed.
    h.ok(&tok, "send_message", json!({"chat_id": demo::CAROL_ID, "message": "second"})).await;
    assert_eq!(sends(&h), 2);

    // Denied: never sent, and the model is told not to retry.
    let call = send(&h, &tok, -demo::FAMILY_GROUP_ID, "to the family");
    let p = next_pending(&h).await;
    h.srv.app.approvals.decide(&p.id, Decision::Denied).unwrap();
    let (err, v) = call.await.unwrap();
    assert!(err && v["action"] == "user_declined", "{v}");
    assert_eq!(sends(&h), 2);
}

#[tokio::test]
async fn always_allow_remembers_the_chat_in_the_token_policy() {
    let policy = Policy { access: Access::Write, approval: Approval::EveryWrite, ..Policy::default() };
    let (h, tok) = harness_with(policy, &[]).await;
    let call = send(&h, &tok, demo::CAROL_ID, "one");
    let p = next_pending(&h).await;
    h.srv.app.approvals.decide(&p.id, Decision::Approved { always: true }).unwrap();
    assert!(!call.await.unwrap().0);
    let rec = h.srv.app.tokens.list().unwrap().into_iter().find(|r| r.id == p.token_id).unwrap();
    assert_eq!(rec.policy.approved_chats.iter().map(|c| c.id).collect::<Vec<_>>(), [demo::CAROL_ID]);
    // Every write needs approval, except in the remembered chat.
    h.ok(&tok, "send_message", json!({"chat_id": demo::CAROL_ID, "message": "two"})).await;
    assert_eq!(sends(&h), 2);
}

#[tokio::test]
async fn an_unanswered_write_times_out_with_a_clear_error_and_is_not_sent() {
    let policy = Policy { approval: Approval::EveryWrite, ..Policy::default() };
    let (h, tok) = harness_with(policy, &[("APPROVAL_TIMEOUT_SECONDS", "1")]).await;
    let (err, v) = h.call(&tok, "send_message", json!({"chat_id": demo::CAROL_ID, "message": "anyone?"})).await;
    assert!(err && v["action"] == "ask_user_to_approve", "{v}");
    assert!(v["error"].as_str().unwrap().contains("nobody approved this write within 1 s"), "{v}");
    assert!(h.srv.app.approvals.list().is_empty());
    assert_eq!(sends(&h), 0);
}

#[tokio::test]
async fn the_write_limit_holds_and_says_when_to_retry() {
    let policy = Policy { limits: WriteLimits { per_minute: 3, new_chats_per_day: 20 }, ..Policy::default() };
    let (h, tok) = harness_with(policy, &[]).await;
    for i in 0..3 {
        h.ok(&tok, "send_message", json!({"chat_id": demo::CAROL_ID, "message": format!("m{i}")})).await;
    }
    let (err, v) = h.call(&tok, "send_message", json!({"chat_id": demo::CAROL_ID, "message": "m3"})).await;
    assert!(
        err && v["action"] == "retry_later" && v["retry_after"].as_u64().is_some_and(|s| (1..=60).contains(&s)),
        "{v}"
    );
    assert_eq!(sends(&h), 3);
    // Reads are not limited.
    h.ok(&tok, "get_messages", json!({"chat_id": demo::CAROL_ID, "limit": 1})).await;
}

#[tokio::test]
async fn a_flood_wait_from_telegram_holds_later_writes_back_without_asking_telegram() {
    let (h, tok) = harness_with(Policy::default(), &[]).await;
    h.dc.inject_error("messages.sendMessage", 420, "FLOOD_WAIT_30");
    let (err, v) = h.call(&tok, "send_message", json!({"chat_id": demo::CAROL_ID, "message": "a"})).await;
    assert!(err && v["retry_after"] == 30, "{v}");
    let before = sends(&h);
    let (err, v) = h.call(&tok, "send_message", json!({"chat_id": demo::CAROL_ID, "message": "b"})).await;
    assert!(err && v["error"].as_str().unwrap().contains("FLOOD_WAIT") && v["retry_after"].as_u64() >= Some(29), "{v}");
    assert_eq!(sends(&h), before, "the held write never reached Telegram");
}

#[tokio::test]
async fn a_retried_send_with_the_same_key_posts_once() {
    let (h, tok) = harness_with(Policy::default(), &[]).await;
    let args = json!({"chat_id": demo::CAROL_ID, "message": "exactly once", "idempotency_key": "4f1c-retry"});
    let first = h.ok(&tok, "send_message", args.clone()).await;
    // Two concurrent retries and a late one: all answer with the first message.
    let (a, b) = tokio::join!(h.call(&tok, "send_message", args.clone()), h.call(&tok, "send_message", args.clone()));
    let late = h.ok(&tok, "send_message", args).await;
    for v in [&a.1, &b.1, &late] {
        assert_eq!(v["messages"][0]["id"], first["messages"][0]["id"], "{v}");
        assert_eq!(v["idempotent_replay"], true);
    }
    assert_eq!(sends(&h), 1);
    let (err, v) =
        h.call(&tok, "send_message", json!({"chat_id": demo::CAROL_ID, "message": "x", "idempotency_key": ""})).await;
    assert!(err && v["error"].as_str().unwrap().contains("idempotency_key"), "{v}");
}
