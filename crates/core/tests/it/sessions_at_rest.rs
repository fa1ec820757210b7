//! Sessions at rest: with a keyring, session files are sealed (a copy without the key is
//! useless), tools work on them, and read-only calls write nothing to disk.

use crate::common;
use common::*;
use fake_tg_dc::demo;
use serde_json::{Value, json};
use tgmcp_core::keystore::KeyStore;
use tgmcp_core::tokens::Token;

fn mock_keyring() -> KeyStore {
    KeyStore::with_store(keyring_core::mock::Store::new().unwrap())
}

#[tokio::test]
async fn sessions_are_sealed_with_the_keyring_and_useless_when_copied() {
    let h = TgHarness::start_with(&[], mock_keyring()).await;
    let token = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    assert_eq!(h.ok(&token, "get_chat_info", json!({"chat_id": "me"})).await["id"], demo::A_ID);
    let health: Value = reqwest::get(h.srv.url("/health")).await.unwrap().json().await.unwrap();
    assert_eq!(health["at_rest"], "encrypted", "{health}");

    let rec = h.srv.app.tokens.authenticate(&Token::parse(&token).unwrap()).unwrap();
    let file = h.srv.app.sessions.path(&rec.session_id).unwrap();
    let raw = std::fs::read(&file).unwrap();
    assert!(raw.starts_with(b"FMTSE1"), "sealed on disk");
    assert!(!String::from_utf8_lossy(&raw).contains("auth_key"), "nothing readable inside");

    // The same file copied to another config dir, opened without this machine's keyring.
    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(other.path().join("sessions")).unwrap();
    std::fs::copy(&file, other.path().join("sessions").join(file.file_name().unwrap())).unwrap();
    let thief = TestServer::start_with(
        other,
        &[("API_ID", API_ID), ("API_HASH", API_HASH), ("TELEGRAM_DC_ADDR", &h.dc.addr().to_string())],
        KeyStore::none(),
    )
    .await;
    let e = thief.app.sessions.client(&rec.session_id).await.unwrap_err().to_string();
    assert!(e.contains("encrypted") && e.contains("keyring"), "{e}");
    let copied = thief.app.sessions.path(&rec.session_id).unwrap();
    assert_eq!(std::fs::read(&copied).unwrap(), raw, "a file that cannot be opened is left untouched");
}

#[tokio::test]
async fn without_a_keyring_sessions_are_plain_and_say_so() {
    let h = TgHarness::start(&[]).await;
    let token = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    h.ok(&token, "get_chat_info", json!({"chat_id": "me"})).await;
    let health: Value = reqwest::get(h.srv.url("/health")).await.unwrap().json().await.unwrap();
    assert_eq!(health["at_rest"], "plain", "{health}");
    #[cfg(unix)]
    {
        let rec = h.srv.app.tokens.authenticate(&Token::parse(&token).unwrap()).unwrap();
        let file = h.srv.app.sessions.path(&rec.session_id).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[tokio::test]
async fn read_only_tool_calls_write_nothing_to_the_session_file() {
    let h = TgHarness::start_with(&[], mock_keyring()).await;
    let token = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let rec = h.srv.app.tokens.authenticate(&Token::parse(&token).unwrap()).unwrap();
    let reads = [
        ("get_messages", json!({"chat_id": "@carol", "limit": 20})),
        ("get_messages", json!({"chat_id": "me", "limit": 5})),
        ("get_chat_info", json!({"chat_id": "@carol"})),
        ("find_chats", json!({"query": "carol"})),
        ("search_messages_globally", json!({"query": "hello"})),
    ];
    // First round: peers are learned and cached (one batched write is expected).
    for (tool, args) in &reads {
        h.ok(&token, tool, args.clone()).await;
    }
    let lease = h.srv.app.sessions.client(&rec.session_id).await.unwrap();
    lease.flush_storage().await.unwrap();
    let before = lease.storage_writes();
    for _ in 0..5 {
        for (tool, args) in &reads {
            h.ok(&token, tool, args.clone()).await;
        }
    }
    lease.flush_storage().await.unwrap();
    assert_eq!(lease.storage_writes(), before, "repeated read-only calls changed nothing on disk");
}
