//! The owner's housekeeping has no timer: an idle Telegram connection is closed when it falls
//! idle, and token last-use times are written a few seconds after a use; its tasks end with
//! their app (the tray app builds a new one on every settings change).

use crate::common;
use common::*;
use fake_tg_dc::demo;
use serde_json::json;
use std::time::Duration;
use tgmcp_core::app::App;
use tgmcp_core::config::Config;
use tgmcp_core::keystore::KeyStore;
use tgmcp_core::token_index::TokenIndex;

#[tokio::test]
async fn an_idle_connection_closes_and_last_use_is_written() {
    let h = TgHarness::start(&[("SESSION_IDLE_SECONDS", "1")]).await;
    let a = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let app = h.srv.app.clone();
    app.start_background();
    let mut changes = app.sessions.subscribe();
    assert_eq!(h.ok(&a, "get_chat_info", json!({"chat_id": "me"})).await["id"], demo::A_ID);
    assert_eq!(app.sessions.active_count(), 1);
    let id = app.tokens.list().unwrap()[0].id.clone();
    assert!(app.tokens.has_unflushed_uses(), "the call was noted, not yet written");

    // Closed a second after its last use, by the owner alone (nothing else asks the pool).
    tokio::time::timeout(Duration::from_secs(20), async {
        while app.sessions.active_count() > 0 {
            changes.changed().await.unwrap();
        }
    })
    .await
    .expect("the idle connection is closed");

    // Written by the owner: another reader of the config dir sees the use.
    let other = TokenIndex::open(h.srv.dir.path(), KeyStore::none()).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while other.list().unwrap().iter().find(|r| r.id == id).unwrap().last_used_at.is_none() {
        assert!(tokio::time::Instant::now() < deadline, "the last use is written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!app.tokens.has_unflushed_uses());

    // Used again: connected again, and closed again (the task waits for a new connection).
    assert_eq!(h.ok(&a, "get_chat_info", json!({"chat_id": "me"})).await["id"], demo::A_ID);
    tokio::time::timeout(Duration::from_secs(20), async {
        while app.sessions.active_count() > 0 {
            changes.changed().await.unwrap();
        }
    })
    .await
    .expect("the second idle connection is closed");
}

#[tokio::test(start_paused = true)]
async fn the_housekeeping_tasks_end_with_their_app() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_string_lossy().into_owned();
    let config = Config::from_lookup(|k| (k == "SESSION_DIR").then(|| path.clone())).unwrap();
    let metrics = tokio::runtime::Handle::current().metrics();
    let before = metrics.num_alive_tasks();
    let app = App::new(config, KeyStore::none()).unwrap();
    app.start_background();
    assert_eq!(metrics.num_alive_tasks(), before + 3, "the log writer, the last-use writer, the idle closer");
    drop(app);
    // Each ends at its next wake-up (the paused clock runs ahead while they sleep).
    for _ in 0..60 {
        if metrics.num_alive_tasks() == before {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(metrics.num_alive_tasks(), before, "no housekeeping task outlives its app");
}
