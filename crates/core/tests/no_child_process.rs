//! Opening Telegram sessions starts no child process (grammers' default connection
//! parameters run `lsb_release` for every session; ours are computed once, in process).
//! Its own test binary: it changes PATH for the whole process. Unix only (it plants a shell
//! script as the command grammers would run).
#![cfg(unix)]

#[path = "it/common/mod.rs"]
mod common;
use common::*;
use fake_tg_dc::demo;
use serde_json::json;

#[tokio::test]
async fn opening_sessions_runs_no_child_process() {
    let bin = tempfile::tempdir().unwrap();
    let marker = bin.path().join("ran");
    // A stand-in for every command a library might look up on PATH to learn the OS version.
    for name in ["lsb_release", "uname", "sw_vers", "getprop"] {
        let script = bin.path().join(name);
        std::fs::write(&script, format!("#!/bin/sh\necho {name} >> '{}'\n", marker.display())).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap_or_default());
    // SAFETY: this test binary has a single test, and the runtime's workers do not read PATH.
    unsafe { std::env::set_var("PATH", path) };
    let h = TgHarness::start(&[("MAX_ACTIVE_SESSIONS", "2")]).await;
    for _ in 0..3 {
        let t = h.login(demo::A_PHONE, demo::A_CODE, None).await;
        assert_eq!(h.ok(&t, "get_chat_info", json!({"chat_id": "me"})).await["id"], demo::A_ID);
    }
    assert!(!marker.exists(), "a child process ran: {}", std::fs::read_to_string(&marker).unwrap_or_default());
}
