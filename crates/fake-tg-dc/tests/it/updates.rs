//! Server-pushed updates: new messages from another account and QR-login notification.

use crate::common;

use std::sync::Arc;

use common::{API_HASH, API_ID, client_with_updates, connect, peer};
use fake_tg_dc::{FakeDc, World, demo};
use grammers_client::session::storages::MemorySession;
use grammers_client::tl;
use grammers_client::update::Update;
use grammers_mtsender::UpdatesConfiguration;

#[tokio::test]
async fn new_message_from_other_account_is_pushed() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let session = Arc::new(MemorySession::default());
    let key = dc.seed(&*session, Some(demo::A_PHONE)).await.unwrap();
    let (a, updates) = client_with_updates(session, key);
    // Establish the connection and update state before B writes.
    let mut stream = a
        .client
        .stream_updates(updates, UpdatesConfiguration { catch_up: false })
        .await
        .unwrap();
    assert!(a.client.is_authorized().await.unwrap());

    let b = connect(&dc, Some(demo::B_PHONE)).await;
    let alice = peer(&b.client, "alice_a").await;
    b.client
        .send_message(alice, "pushed to alice")
        .await
        .unwrap();
    let next = tokio::time::timeout(std::time::Duration::from_secs(20), stream.next())
        .await
        .expect("update arrives")
        .unwrap();
    match next {
        Update::NewMessage(m) => {
            assert_eq!(m.text(), "pushed to alice");
            assert!(!m.outgoing());
            assert_eq!(m.peer_id().bare_id(), Some(demo::B_ID));
        }
        other => panic!("expected NewMessage, got {other:?}"),
    }
}

#[tokio::test]
async fn qr_scan_pushes_update_login_token() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let session = Arc::new(MemorySession::default());
    let key = dc.seed(&*session, None).await.unwrap();
    let (t, mut updates) = client_with_updates(session, key);
    let tl::enums::auth::LoginToken::Token(tok) = t
        .client
        .invoke(&tl::functions::auth::ExportLoginToken {
            api_id: API_ID,
            api_hash: API_HASH.into(),
            except_ids: vec![],
        })
        .await
        .unwrap()
    else {
        panic!("expected token")
    };
    assert!(dc.scan_qr(&tok.token, demo::A_PHONE));
    let got = tokio::time::timeout(std::time::Duration::from_secs(20), updates.recv())
        .await
        .expect("push arrives")
        .expect("open");
    let text = format!("{got:?}");
    assert!(text.contains("LoginToken"), "{text}");
}
