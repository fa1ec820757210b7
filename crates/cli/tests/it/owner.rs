//! One owner per config dir, proved with real processes: the owner (HTTP server or background
//! agent), several stdio clients and CLI commands at once; parallel revokes and rotations with
//! and without an owner; revocation reaching a connected stdio client; `kill -9` of the owner;
//! two owners never at once; owner-only files.

use crate::common;
use common::*;
use fake_tg_dc::demo;
use serde_json::json;
use std::time::Duration;

/// The mixed tool calls the stdio clients make.
fn call_for(i: usize) -> (&'static str, serde_json::Value) {
    match i % 4 {
        0 => ("get_messages", json!({"chat_id": "me", "limit": 3})),
        1 => ("get_chat_info", json!({"chat_id": "me"})),
        2 => ("find_chats", json!({"query": "carol"})),
        _ => ("get_messages", json!({"chat_id": "@carol", "limit": 2})),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_owner_three_stdio_clients_and_cli_revokes_make_a_thousand_calls_without_an_error() {
    let env = Env::new().await;
    let (_, id) = env.login_a().await;
    let mut doomed = Vec::new();
    for _ in 0..8 {
        doomed.push(env.new_token(&[]).await.1);
    }
    let owner = env.http_owner().await;
    let args = ["--token-id", id.as_str()];
    let clients = futures::future::join_all((0..3).map(|_| StdioClient::start(&env, &args))).await;
    let revokes = at_once(&env, doomed.iter().map(|d| vec!["token".into(), "revoke".into(), d.clone()]).collect());
    let calls = futures::future::join_all((0..1000).map(|i| {
        let c = &clients[i % 3];
        let (tool, args) = call_for(i);
        async move { (i, c.tool(tool, args).await) }
    }));
    let (revoked, results) = tokio::join!(revokes, calls);
    let failed: Vec<_> = results.iter().filter(|(_, r)| r.is_err()).collect();
    assert!(failed.is_empty(), "{} of 1000 calls failed, e.g. {:?}", failed.len(), failed.first());
    for (i, r) in &results {
        if i % 4 == 1 {
            assert_eq!(r.as_ref().unwrap()["id"], demo::A_ID);
        }
    }
    for (ok, out, err) in &revoked {
        assert!(*ok && out.starts_with("revoked tok_"), "{out} {err}");
    }
    let listed = env.listed().await;
    assert_eq!(listed, vec![id.clone()], "every revoke held");
    let mut logs = owner.log_text();
    for c in &clients {
        logs.push_str(&c.stderr.lock().unwrap());
    }
    logs.push_str(&env.agent_log());
    assert!(!logs.contains("database is locked"), "{logs}");
    assert!(!logs.contains("panicked"), "{logs}");
}

/// Starts CLI commands at once and waits for all.
async fn at_once(env: &Env, commands: Vec<Vec<String>>) -> Vec<(bool, String, String)> {
    futures::future::join_all(commands.iter().map(|c| {
        let args: Vec<&str> = c.iter().map(String::as_str).collect();
        async move { env.run(&args, "").await }
    }))
    .await
}

/// 8 parallel revokes and 8 parallel rotations; every one holds and every new secret works.
async fn revokes_and_rotations_hold(env: &Env, owner_url: Option<&str>) {
    let mut revoke = Vec::new();
    let mut rotate = Vec::new();
    for i in 0..16 {
        let (secret, id) = env.new_token(&[]).await;
        if i % 2 == 0 { revoke.push(id) } else { rotate.push((id, secret)) }
    }
    let mut commands: Vec<Vec<String>> =
        revoke.iter().map(|id| vec!["token".into(), "revoke".into(), id.clone()]).collect();
    commands.extend(rotate.iter().map(|(id, _)| vec!["token".into(), "rotate".into(), id.clone()]));
    let outcomes = at_once(env, commands).await;
    for (ok, _, err) in &outcomes {
        assert!(ok, "{err}");
    }
    let listed = env.listed().await;
    for id in &revoke {
        assert!(!listed.contains(id), "revoked {id} is still listed");
    }
    let new_secrets: Vec<String> = outcomes[8..].iter().map(|(_, out, _)| out.trim().to_string()).collect();
    for (id, _) in &rotate {
        assert!(listed.contains(id), "rotated {id} is listed");
    }
    // Every new secret authenticates and every old one is refused, by an owner's HTTP server.
    let started;
    let url = match owner_url {
        Some(u) => u.to_string(),
        None => {
            started = env.http_owner().await;
            started.url.clone()
        }
    };
    let http = reqwest::Client::new();
    let status = |secret: String| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let body = json!({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}});
            http.post(format!("{url}/v1/mcp"))
                .bearer_auth(secret)
                .header("accept", "application/json, text/event-stream")
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for s in &new_secrets {
        assert_eq!(status(s.clone()).await, 200, "a new secret works");
    }
    for (_, old) in &rotate {
        assert_eq!(status(old.clone()).await, 401, "an old secret is refused");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_revokes_and_rotations_hold_without_an_owner() {
    for _ in 0..3 {
        let env = Env::new().await;
        revokes_and_rotations_hold(&env, None).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_revokes_and_rotations_hold_through_a_running_owner() {
    for _ in 0..3 {
        let env = Env::new().await;
        let owner = env.http_owner().await;
        revokes_and_rotations_hold(&env, Some(&owner.url)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stdio_client_of_a_revoked_token_is_refused_and_a_rotation_only_reconnects_it() {
    let env = Env::new().await;
    let (_, id) = env.login_a().await;
    let (_, other) = env.new_token(&["--same-session-as", &id]).await;
    let _owner = env.http_owner().await;
    let keeper = StdioClient::start(&env, &["--token-id", &id]).await;
    let doomed = StdioClient::start(&env, &["--token-id", &other]).await;
    assert_eq!(doomed.tool("get_chat_info", json!({"chat_id": "me"})).await.unwrap()["id"], demo::A_ID);

    env.ok(&["token", "rotate", &id]).await;
    // A rotation cuts the connection, and the relay reconnects by id by itself.
    for _ in 0..3 {
        assert_eq!(keeper.tool("get_chat_info", json!({"chat_id": "me"})).await.unwrap()["id"], demo::A_ID);
    }

    env.ok(&["token", "revoke", &other]).await;
    let refused = doomed.tool("get_chat_info", json!({"chat_id": "me"})).await.unwrap_err();
    let text = refused.to_string();
    assert!(text.contains("revoked") || text.contains("went away"), "{text}");
    // The relay stays up and keeps refusing clearly (it never falls back to another identity).
    let again = doomed.tool("get_chat_info", json!({"chat_id": "me"})).await.unwrap_err();
    assert!(again.to_string().contains("revoked"), "{again}");
    assert_eq!(keeper.tool("get_chat_info", json!({"chat_id": "me"})).await.unwrap()["id"], demo::A_ID);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_closes_an_idle_stdio_connection_without_waiting_for_a_call() {
    let env = Env::new().await;
    let (_, id) = env.login_a().await;
    let owner = env.http_owner().await;
    let client = StdioClient::start(&env, &["--token-id", &id]).await;
    client.tool("get_chat_info", json!({"chat_id": "me"})).await.unwrap();
    env.ok(&["token", "revoke", &id]).await;
    // The owner closes the connection by itself; its log says why.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !owner.log_text().contains("its token was revoked") {
        assert!(std::time::Instant::now() < deadline, "the connection was never cut: {}", owner.log_text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_of_the_owner_the_next_stdio_call_starts_a_new_one_and_the_session_works() {
    let env = Env::new().await;
    let (_, id) = env.login_a().await;
    let client = StdioClient::start(&env, &["--token-id", &id]).await;
    assert_eq!(client.tool("get_chat_info", json!({"chat_id": "me"})).await.unwrap()["id"], demo::A_ID);
    for round in 0..3 {
        let pid = env.owner_pid().expect("the relay started a background agent");
        assert!(kill_hard(pid), "the agent {pid} was running");
        let answer = client.tool("get_messages", json!({"chat_id": "me", "limit": 1})).await;
        let answer = match answer {
            Ok(v) => v,
            // A call that raced the kill is answered with a retryable error; the next one works.
            Err(e) => {
                assert!(e.to_string().contains("retry"), "round {round}: {e}");
                client.tool("get_messages", json!({"chat_id": "me", "limit": 1})).await.unwrap()
            }
        };
        assert_eq!(answer["chat"]["id"], demo::A_ID);
        assert_ne!(env.owner_pid(), Some(pid), "a new owner runs");
    }
    // A brand-new client of the same token works too.
    let fresh = StdioClient::start(&env, &["--token-id", &id]).await;
    assert_eq!(fresh.tool("get_chat_info", json!({"chat_id": "me"})).await.unwrap()["id"], demo::A_ID);
}

/// An owner killed with SIGKILL can hold its lock a moment after the kill (a process stuck in
/// an fsync dies only when the fsync returns), so the first agent a relay starts may give up.
/// The relay must start another once the lock is free, not wait out its start timeout because
/// `agent.json` still names the dead owner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_starts_another_agent_when_a_dead_owner_held_the_lock_a_moment_too_long() {
    use tgmcp_core::owner::{OwnerInfo, OwnerKind, lock};
    let env = Env::new().await;
    let (_, id) = env.login_a().await;
    // The state a killed owner leaves while it dies: its lock held, agent.json naming its pid.
    let mut gone =
        std::process::Command::new(BIN).arg("--version").stdout(std::process::Stdio::null()).spawn().unwrap();
    let dead_pid = gone.id();
    gone.wait().unwrap();
    let held = std::fs::OpenOptions::new().read(true).write(true).open(lock::lock_path(env.path())).unwrap();
    held.try_lock().unwrap();
    let stale = OwnerInfo { pid: dead_pid, ..OwnerInfo::this_process(OwnerKind::Agent) };
    std::fs::write(lock::info_path(env.path()), serde_json::to_vec(&stale).unwrap()).unwrap();

    // The relay's first agent finds the lock held and leaves; only then does the holder die.
    let log = env.path().join("agent.log");
    let release = async move {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !std::fs::read_to_string(&log).unwrap_or_default().contains("agent not started") {
            assert!(std::time::Instant::now() < deadline, "the relay never started an agent");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Closing the handle releases the lock, as the dying owner's exit does.
        drop(held);
    };
    let args = ["--token-id", id.as_str()];
    let (client, ()) = tokio::join!(StdioClient::start(&env, &args), release);
    assert_eq!(client.tool("get_chat_info", json!({"chat_id": "me"})).await.unwrap()["id"], demo::A_ID);
    assert_ne!(env.owner_pid(), Some(dead_pid), "a new owner published itself");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_owners_never_run_at_once() {
    for _ in 0..5 {
        let env = Env::new().await;
        // Six background agents started at once: one wins, the others leave quietly.
        let mut agents: Vec<tokio::process::Child> = (0..6)
            .map(|_| {
                let mut c = env.cmd(&["agent", "--background"]);
                c.stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null());
                c.spawn().unwrap()
            })
            .collect();
        let mut exited = 0;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while exited < 5 {
            assert!(std::time::Instant::now() < deadline, "the losing agents never exited");
            exited = agents.iter_mut().map(|a| a.try_wait().unwrap().is_some()).filter(|e| *e).count();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let winner = agents.iter_mut().position(|a| a.try_wait().unwrap().is_none()).expect("one agent runs");
        let agent_pid = agents[winner].id().unwrap();
        let (ok, out, _) = env.run(&["agent", "status"], "").await;
        assert!(ok && out.contains("\"kind\": \"agent\""), "{out}");
        assert_eq!(env.owner_pid(), Some(agent_pid));
        let running = agents.iter_mut().map(|a| a.try_wait().unwrap().is_none()).filter(|r| *r).count();
        assert_eq!(running, 1, "exactly one owner");

        // An HTTP server takes over from the background agent...
        let http = env.http_owner().await;
        let (ok, out, _) = env.run(&["agent", "status"], "").await;
        assert!(ok && out.contains("\"kind\": \"http\""), "{out}");
        assert_ne!(env.owner_pid(), Some(agent_pid));
        let status = tokio::time::timeout(Duration::from_secs(30), agents[winner].wait()).await;
        assert!(status.expect("the agent exited after handing over").unwrap().success());

        // ...but a second HTTP server is refused, naming the first.
        let (ok, _, err) = env.run(&["serve", "--transport", "http", "--port", "0"], "").await;
        assert!(!ok, "a second owner started");
        assert!(err.contains(&format!("pid {}", http.child.id().unwrap())) && err.contains("http 127.0.0.1:"), "{err}");
        // And a background agent leaves it alone.
        let (ok, _, err) = env.run(&["agent", "--background"], "").await;
        assert!(ok && err.contains("agent not started"), "{err}");
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_lock_and_index_files_are_owner_only() {
    let env = Env::new().await;
    let (_, id) = env.login_a().await;
    let client = StdioClient::start(&env, &["--token-id", &id]).await;
    client.tool("get_chat_info", json!({"chat_id": "me"})).await.unwrap();
    let files = modes(env.path());
    let mode_of = |name: &str| files.iter().find(|(p, _)| p.file_name().unwrap() == name).map(|(_, m)| *m);
    for name in ["agent.sock", "agent.lock", "agent.json", "tokens.json", "tokens.lock", "agent.log"] {
        assert_eq!(mode_of(name), Some(0o600), "{name}: {files:?}");
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(env.path()).unwrap().permissions().mode() & 0o777, 0o700);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stdio_client_with_an_unknown_token_id_gets_a_clear_error() {
    let env = Env::new().await;
    let (ok, _, err) = env.run(&["serve", "--transport", "stdio", "--token-id", "tok_000000000000"], "").await;
    assert!(!ok);
    assert!(err.contains("tok_000000000000") && err.contains("revoked"), "{err}");
    let (ok, _, err) = env.run(&["serve", "--transport", "stdio", "--token-id", "../../etc/passwd"], "").await;
    assert!(!ok && err.contains("is not a token id"), "{err}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loosened_modes_in_the_config_dir_are_repaired_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new().await;
    let (_, id) = env.login_a().await;
    let session = std::fs::read_dir(env.path().join("sessions")).unwrap().flatten().next().unwrap().path();
    let set = |p: &std::path::Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    set(env.path(), 0o755);
    set(&env.path().join("sessions"), 0o755);
    set(&env.path().join("tokens.json"), 0o644);
    set(&session, 0o644);
    let owner = env.http_owner().await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(env.path()), 0o700);
    assert_eq!(mode(&env.path().join("sessions")), 0o700);
    assert_eq!(mode(&env.path().join("tokens.json")), 0o600);
    assert_eq!(mode(&session), 0o600);
    assert!(owner.log_text().contains("tightened the permissions"), "{}", owner.log_text());
    // And the login survived all of it.
    let client = StdioClient::start(&env, &["--token-id", &id]).await;
    assert_eq!(client.tool("get_chat_info", json!({"chat_id": "me"})).await.unwrap()["id"], demo::A_ID);
}
