//! Backups through the real binary: backup → wipe → restore → the same tokens work; a wrong
//! passphrase changes nothing; a newer state is not overwritten without --force; destructive
//! operations keep a local copy of the session.

use crate::common;
use common::*;
use fake_tg_dc::demo;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

const PASS: &str = "correct horse battery staple\n";

/// Every file under `dir` with its bytes (to prove nothing changed).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

async fn bearer_me(url: &str, token: &str) -> serde_json::Value {
    let body = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_chat_info","arguments":{"chat_id":"me"}}});
    reqwest::Client::new()
        .post(format!("{url}/v1/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_wipe_restore_and_the_same_tokens_work() {
    let env = Env::new().await;
    let (token, id) = env.login_a().await;
    let archive =
        env.path().parent().unwrap().join(format!("{}.fmtbackup", env.path().file_name().unwrap().to_string_lossy()));
    {
        let mut owner = env.http_owner().await;
        assert_eq!(bearer_me(&owner.url, &token).await["result"]["structuredContent"]["id"], demo::A_ID);
        // Through the running owner.
        let (ok, _, err) = env.run(&["backup", "--out", archive.to_str().unwrap()], PASS).await;
        assert!(ok, "{err}");
        assert!(err.contains("1 sessions, 1 tokens"), "{err}");
        owner.child.kill().await.unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&archive).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let raw = std::fs::read(&archive).unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("tok_"), "the archive is encrypted");

    // Wipe the config dir completely.
    for e in std::fs::read_dir(env.path()).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { std::fs::remove_dir_all(p).unwrap() } else { std::fs::remove_file(p).unwrap() }
    }
    assert!(env.listed().await.is_empty());

    let (ok, _, err) = env.run(&["restore", archive.to_str().unwrap()], PASS).await;
    assert!(ok, "{err}");
    assert_eq!(env.listed().await, vec![id.clone()]);
    let owner = env.http_owner().await;
    assert_eq!(
        bearer_me(&owner.url, &token).await["result"]["structuredContent"]["id"],
        demo::A_ID,
        "the old token works"
    );
    let client = StdioClient::start(&env, &["--token-id", &id]).await;
    assert_eq!(client.tool("get_chat_info", json!({"chat_id": "me"})).await.unwrap()["id"], demo::A_ID);
    let _ = std::fs::remove_file(archive);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_passphrase_fails_cleanly_and_a_newer_state_needs_force() {
    let env = Env::new().await;
    let (_, first) = env.login_a().await;
    let archive =
        env.path().parent().unwrap().join(format!("{}.fmtbackup", env.path().file_name().unwrap().to_string_lossy()));
    let (ok, _, err) = env.run(&["backup", "--out", archive.to_str().unwrap()], PASS).await;
    assert!(ok, "{err}");
    let (ok, _, err) = env.run(&["backup", "--out", "/tmp/never.fmtbackup"], "short\n").await;
    assert!(!ok && err.contains("at least 8 characters"), "{err}");

    let (_, second) = env.new_token(&[]).await;
    let before = snapshot(env.path());
    let (ok, _, err) = env.run(&["restore", archive.to_str().unwrap()], "not the passphrase\n").await;
    assert!(!ok && err.contains("wrong passphrase"), "{err}");
    let (ok, _, err) = env.run(&["restore", archive.to_str().unwrap()], PASS).await;
    assert!(!ok && err.contains("changed after the backup") && err.contains("--force"), "{err}");
    let after = snapshot(env.path());
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>());
    assert!(before.iter().all(|(k, v)| k.ends_with(".lock") || after[k] == *v), "nothing was changed");
    assert_eq!(env.listed().await, vec![first.clone(), second]);

    let (ok, _, err) = env.run(&["restore", "--force", archive.to_str().unwrap()], PASS).await;
    assert!(ok, "{err}");
    assert_eq!(env.listed().await, vec![first], "the state of the backup");
    // The sessions that were there are kept as local copies.
    let copies = std::fs::read_dir(env.path().join("backups")).unwrap().count();
    assert!(copies >= 1);
    let _ = std::fs::remove_file(archive);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_keeps_a_local_copy_of_the_session() {
    let env = Env::new().await;
    let (_, id) = env.login_a().await;
    let session_file = std::fs::read_dir(env.path().join("sessions")).unwrap().flatten().next().unwrap().path();
    let bytes = std::fs::read(&session_file).unwrap();
    env.ok(&["logout", &id]).await;
    assert!(!session_file.exists());
    let copies: Vec<_> = std::fs::read_dir(env.path().join("backups")).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(copies.len(), 1);
    assert_eq!(std::fs::read(&copies[0]).unwrap(), bytes, "the copy is the session as it was");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&copies[0]).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
