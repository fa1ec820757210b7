//! send_message with schedule_date, list_scheduled and delete_scheduled through HTTP MCP → grammers → fake DC.

use crate::common;
use common::*;
use fake_tg_dc::{PeerKey, demo};
use serde_json::json;

fn in_future(secs: i64) -> String {
    jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(secs))
        .unwrap()
        .round(jiff::Unit::Second)
        .unwrap()
        .to_string()
}

fn sent_to_carol(h: &TgHarness, text: &str) -> bool {
    h.dc.with_world(|w| w.history(demo::A_ID, PeerKey::User(demo::CAROL_ID)).iter().any(|m| m.text == text))
}

#[tokio::test]
async fn a_scheduled_message_is_listed_but_not_sent_until_its_date_comes() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let when = in_future(3600);
    let v = h
        .ok(&tok, "send_message", json!({"chat_id": "@carol", "message": "see you tomorrow", "schedule_date": when}))
        .await;
    assert_eq!(v["status"], "scheduled");
    assert_eq!(v["messages"][0]["date"], when.as_str(), "{v}");
    assert_eq!(v["chat"]["id"], demo::CAROL_ID);
    let id = v["messages"][0]["id"].as_i64().unwrap();
    assert!(!sent_to_carol(&h, "see you tomorrow"));
    let latest = h.ok(&tok, "get_messages", json!({"chat_id": "@carol", "limit": 3})).await;
    assert!(!texts(&latest).contains(&"see you tomorrow".to_string()));

    let listed = h.ok(&tok, "list_scheduled", json!({"chat_id": "@carol"})).await;
    assert_eq!(texts(&listed), ["see you tomorrow"]);
    assert_eq!((listed["messages"][0]["id"].as_i64(), &listed["chat"]["id"]), (Some(id), &json!(demo::CAROL_ID)));

    // Its date comes: Telegram sends it.
    h.dc.with_world(|w| w.accounts.get_mut(&demo::A_ID).unwrap().scheduled[0].date -= 3700);
    // (Found by text: its date is the scheduled one, which need not be the newest in the chat.)
    let found = h.ok(&tok, "get_messages", json!({"chat_id": "@carol", "query": "see you tomorrow"})).await;
    assert_eq!(texts(&found), ["see you tomorrow"]);
    assert!(sent_to_carol(&h, "see you tomorrow"));
    assert_eq!(h.ok(&tok, "list_scheduled", json!({"chat_id": "@carol"})).await["messages"], json!([]));
}

#[tokio::test]
async fn a_deleted_scheduled_message_is_never_sent() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h
        .ok(
            &tok,
            "send_message",
            json!({"chat_id": "@carol", "message": "never mind", "schedule_date": in_future(600)}),
        )
        .await;
    let id = v["messages"][0]["id"].as_i64().unwrap();
    let v = h.ok(&tok, "delete_scheduled", json!({"chat_id": "@carol", "message_ids": [id, 4242]})).await;
    assert_eq!((v["status"].as_str(), &v["message_ids"]), (Some("deleted"), &json!([id])), "{v}");
    assert_eq!(h.ok(&tok, "list_scheduled", json!({"chat_id": "@carol"})).await["messages"], json!([]));
    assert!(h.dc.with_world(|w| w.accounts[&demo::A_ID].scheduled.is_empty()));
    assert!(!sent_to_carol(&h, "never mind"));
}

#[tokio::test]
async fn a_schedule_date_in_the_past_or_over_a_year_ahead_is_refused_before_telegram_is_asked() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    for when in ["2020-01-01T10:00:00Z".to_string(), in_future(400 * 24 * 3600), "tomorrow".to_string()] {
        let (err, v) =
            h.call(&tok, "send_message", json!({"chat_id": "@carol", "message": "x", "schedule_date": when})).await;
        assert!(err && v["error"].as_str().unwrap().contains("schedule_date"), "{when}: {v}");
    }
    assert!(!h.dc.calls().iter().any(|c| c.method == "messages.sendMessage"));
}
