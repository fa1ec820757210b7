//! The connected-client LRU: at most MAX_ACTIVE_SESSIONS stay connected; evicted
//! sessions keep their files and reconnect transparently; /health reports it without secrets.

use crate::common;
use common::*;
use fake_tg_dc::demo;
use serde_json::{Value, json};

#[tokio::test]
async fn lru_evicts_but_never_loses_a_session() {
    let h = TgHarness::start(&[("MAX_ACTIVE_SESSIONS", "1")]).await;
    let a = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let b = h.login(demo::B_PHONE, demo::B_CODE, Some(demo::B_PASSWORD)).await;
    for _ in 0..2 {
        assert_eq!(h.ok(&a, "get_chat_info", json!({"chat_id": "me"})).await["id"], demo::A_ID);
        assert_eq!(h.ok(&b, "get_chat_info", json!({"chat_id": "me"})).await["id"], demo::B_ID);
    }
    let health: Value = reqwest::get(h.srv.url("/health")).await.unwrap().json().await.unwrap();
    assert_eq!(health["active_sessions"], 1);
    assert_eq!(health["max_sessions"], 1);
    let sessions = health["sessions"].as_array().unwrap();
    assert!(sessions.len() >= 2, "{health}");
    assert_eq!(sessions.iter().filter(|s| s["connected"] == true).count(), 1);
    let text = health.to_string();
    assert!(!text.contains(&a) && !text.contains(&b) && !text.contains(&a[..8]) && !text.contains(&b[..8]));
    // Both session files are still there, owner-only, named by non-secret ids.
    let files: Vec<_> = std::fs::read_dir(h.srv.app.sessions.dir()).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(files.len() >= 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(h.srv.app.sessions.dir()), 0o700);
        for f in &files {
            assert_eq!(mode(f), 0o600, "{f:?}");
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            assert!(!name.contains(&a[..8]) && !name.contains(&b[..8]), "{name}");
        }
    }
}
