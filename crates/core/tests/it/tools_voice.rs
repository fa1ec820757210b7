//! transcribe_voice through HTTP MCP → grammers → the fake DC's messages.transcribeAudio.

use crate::common;
use common::*;
use fake_tg_dc::demo;
use serde_json::json;

#[tokio::test]
async fn a_premium_account_gets_the_pending_then_the_whole_text_and_others_a_clear_error() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let voice = json!({"chat_id": "@erin_e", "message_id": demo::VOICE_MSG_ID});
    let first = h.ok(&tok, "transcribe_voice", voice.clone()).await;
    assert_eq!((first["status"].as_str(), first["chat"]["id"].as_i64()), (Some("pending"), Some(demo::ERIN_ID)));
    assert!(demo::VOICE_TRANSCRIPT.starts_with(first["text"].as_str().unwrap()), "{first}");
    let done = h.ok(&tok, "transcribe_voice", voice.clone()).await;
    assert_eq!((done["status"].as_str(), done["text"].as_str()), (Some("done"), Some(demo::VOICE_TRANSCRIPT)));

    let (err, v) = h.call(&tok, "transcribe_voice", json!({"chat_id": "@erin_e", "message_id": 121})).await;
    assert!(err && v["error"].as_str().unwrap().contains("not a voice message"), "{v}");
    let (err, v) = h.call(&tok, "transcribe_voice", json!({"chat_id": "@erin_e", "message_id": 99_999})).await;
    assert!(err && v["error"].as_str().unwrap().contains("does not exist"), "{v}");

    h.dc.with_world(|w| w.users.get_mut(&demo::A_ID).unwrap().premium = false);
    let (err, v) = h.call(&tok, "transcribe_voice", voice).await;
    assert!(err, "{v}");
    assert_eq!(
        (v["action"].as_str(), v["telegram_error"].as_str()),
        (Some("needs_telegram_premium"), Some("PREMIUM_ACCOUNT_REQUIRED"))
    );
    assert_eq!(v["telegram_code"], 403);
}
