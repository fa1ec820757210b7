//! Tests of the control commands: without Telegram, and logins against the fake data centre.

use super::*;
use crate::app::App;
use crate::config::Config;
use crate::keystore::KeyStore;
use crate::login::LoginError;
use crate::telegram::TgError;
use crate::tokens::Token;
use serde_json::{Value, json};
use std::collections::HashMap as Map;
use std::sync::Arc;

const HASH: &str = "0123456789abcdef0123456789abcdef";

fn app_with(dir: &std::path::Path, extra: &[(&str, &str)], ks: KeyStore) -> Arc<App> {
    let mut vars: Map<String, String> = Map::new();
    vars.insert("SESSION_DIR".into(), dir.to_string_lossy().into_owned());
    vars.insert("SERVER_MODE".into(), "http".into());
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    App::new(Config::layered(|k| vars.get(k).cloned()).unwrap(), ks).unwrap()
}

fn control(app: Arc<App>) -> Control {
    Control::new(app, HostKind::Http, ServerState::running("127.0.0.1:4567".parse().unwrap()))
}

async fn err(c: &Control, cmd: &str, args: Value) -> ControlError {
    c.call(cmd, args).await.unwrap_err()
}

#[tokio::test]
async fn every_command_of_the_table_is_dispatched() {
    let dir = tempfile::tempdir().unwrap();
    let c = control(app_with(dir.path(), &[], KeyStore::none()));
    assert_eq!(COMMANDS.len(), 31);
    assert_eq!(COMMANDS[0], "status");
    for cmd in COMMANDS {
        if let Err(e) = c.call(cmd, json!({})).await {
            assert_ne!(e.code(), "unknown_command", "{cmd}");
        }
    }
}

#[test]
fn mcp_url_follows_the_bound_address() {
    assert_eq!(mcp_url("[::1]:8123".parse().unwrap()), "http://[::1]:8123/v1/mcp");
    assert_eq!(mcp_url("0.0.0.0:8000".parse().unwrap()), "http://127.0.0.1:8000/v1/mcp");
    assert_eq!(mcp_url("127.0.0.1:9".parse().unwrap()), "http://127.0.0.1:9/v1/mcp");
}

#[test]
fn errors_serialise_with_code_and_retry_after() {
    let e = ControlError::FloodWait { retry_after: 42 };
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["error"]["code"], "flood_wait");
    assert_eq!(v["error"]["retry_after"], 42);
    assert_eq!(e.http_status(), 429);
    let v = ControlError::Login(LoginError::InvalidPassword).to_json();
    assert_eq!(v["error"]["code"], "invalid_password");
    assert!(v["error"].get("retry_after").is_none());
    assert_ne!(
        ControlError::Login(LoginError::InvalidCode).code(),
        ControlError::Login(LoginError::InvalidPassword).code()
    );
    assert_eq!(ControlError::from(LoginError::Telegram(TgError::FloodWait { retry_after: 7 })).retry_after(), Some(7));
    assert_eq!(ControlError::from(TgError::Config("x".into())).code(), "api_credentials_missing");
    let banned = ControlError::from(TgError::Rpc { code: 400, name: "PHONE_NUMBER_BANNED".into() });
    assert_eq!(banned, ControlError::Telegram { code: 400, name: "PHONE_NUMBER_BANNED".into() });
    let v = banned.to_json();
    assert_eq!(
        (v["error"]["code"].as_str(), v["error"]["telegram_code"].as_i64()),
        (Some("telegram_error"), Some(400))
    );
    assert_eq!(v["error"]["telegram_error"], "PHONE_NUMBER_BANNED");
    assert_eq!(v["error"]["message"], "Telegram error 400 PHONE_NUMBER_BANNED");
}

#[tokio::test]
async fn token_lifecycle_without_telegram() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(dir.path(), &[], crate::keystore::mock());
    let c = control(app.clone());
    let st = c.call("status", Value::Null).await.unwrap();
    assert_eq!(st["tokens"], 0);
    assert_eq!(st["api_credentials_configured"], false);
    assert_eq!(st["host"], "http");

    let issued = c.call("token_create", json!({"label": "Cursor"})).await.unwrap();
    let tok = issued["token"].as_str().unwrap().to_string();
    let id = issued["record"]["id"].as_str().unwrap().to_string();
    assert_eq!(issued["stored_in_keyring"], true);
    assert!(issued["record"].get("digest").is_none(), "digests stay inside");
    let second = c.call("token_create", json!({"label": "Codex", "same_session_as": id})).await.unwrap();
    assert_eq!(second["record"]["session_id"], issued["record"]["session_id"]);

    let shown = c.call("token_reveal", json!({"id": id})).await.unwrap();
    assert_eq!(shown["token"], tok.as_str());
    let list = c.call("tokens_list", json!({})).await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(!serde_json::to_string(&list).unwrap().contains(&tok));

    let rotated = c.call("token_rotate", json!({"id": id})).await.unwrap();
    let new_tok = rotated["token"].as_str().unwrap();
    assert_ne!(new_tok, tok);
    assert!(app.tokens.authenticate(&Token::parse(&tok).unwrap()).is_err());
    assert!(app.tokens.authenticate(&Token::parse(new_tok).unwrap()).is_ok());

    // Configs: with the keyring copy, with a presented token, and refusing a foreign one.
    let cfg = c.call("client_configs", json!({"token_id": id})).await.unwrap();
    assert_eq!(cfg["token_included"], true);
    assert_eq!(cfg["url"], "http://127.0.0.1:4567/v1/mcp");
    let cursor = cfg["configs"].as_array().unwrap().iter().find(|c| c["id"] == "cursor").unwrap();
    assert!(cursor["text"].as_str().unwrap().contains(new_tok));
    let cfg = c.call("client_configs", json!({"token": new_tok})).await.unwrap();
    assert_eq!(cfg["token_id"], id.as_str());
    let e = err(&c, "client_configs", json!({"token": Token::generate().expose()})).await;
    assert_eq!(e.code(), "not_found");

    let r = c.call("token_revoke", json!({"id": id, "delete_session": true})).await.unwrap();
    assert_eq!(r["session_deleted"], false, "the second token still uses the session");
    assert_eq!(err(&c, "token_reveal", json!({"id": id})).await.code(), "not_found");
    assert_eq!(err(&c, "token_create", json!({"label": "  "})).await.code(), "invalid_input");
    assert_eq!(err(&c, "token_rotate", json!({"idd": "x"})).await.code(), "invalid_input");
    assert_eq!(err(&c, "nope", json!({})).await.code(), "unknown_command");
    // Logins need API credentials.
    assert_eq!(err(&c, "login_start_code", json!({"phone": "+15550001"})).await.code(), "api_credentials_missing");
    assert_eq!(err(&c, "login_start_code", json!({"phone": "12"})).await.code(), "invalid_phone");
}

#[tokio::test]
async fn without_keyring_reveal_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let c = control(app_with(dir.path(), &[], KeyStore::none()));
    let issued = c.call("token_create", json!({"label": "x"})).await.unwrap();
    assert_eq!(issued["stored_in_keyring"], false);
    let e = err(&c, "token_reveal", json!({"id": issued["record"]["id"]})).await;
    assert_eq!(e.code(), "keyring_unavailable");
    let cfg = c.call("client_configs", json!({"token_id": issued["record"]["id"]})).await.unwrap();
    assert_eq!(cfg["token_included"], false);
    assert!(cfg["configs"][2]["text"].as_str().unwrap().contains(TOKEN_PLACEHOLDER));
}

#[tokio::test]
async fn settings_partial_update_restart_flags_and_credentials() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("settings.json"), r#"{"PORT": "4567"}"#).unwrap();
    let c = control(app_with(dir.path(), &[], KeyStore::none()));
    let r = c.call("settings_set", json!({"disable_auth": true, "port": 4999})).await.unwrap();
    assert_eq!(r["settings"]["disable_auth"], true);
    assert_eq!(r["restart_required"], json!(["port"]));
    assert!(c.app().settings().disable_auth);
    assert_eq!(c.call("status", json!({})).await.unwrap()["auth_disabled"], true);
    assert_eq!(err(&c, "settings_set", json!({"max_file_size_mb": 0})).await.code(), "invalid_input");
    assert_eq!(err(&c, "settings_set", json!({"bogus": 1})).await.code(), "invalid_input");
    assert_eq!(err(&c, "settings_set", json!({"api_id": 5})).await.code(), "invalid_input");
    let e = err(&c, "settings_set", json!({"api_id": 5, "api_hash": "zz"})).await;
    assert!(e.to_string().contains("API_HASH"), "{e}");
    assert_eq!(c.app().settings().max_file_size_mb, 50, "refused changes change nothing");

    // Headless: credentials are saved and used at once, no restart.
    assert_eq!(c.call("status", json!({})).await.unwrap()["api_credentials_configured"], false);
    let r = c.call("settings_set", json!({"api_id": "12345", "api_hash": HASH})).await.unwrap();
    assert_eq!(r["api_credentials_applied"], true);
    assert_eq!(r["api_credentials_configured"], true);
    assert_eq!(r["restart_required"], json!(["port"]));
    assert_eq!(c.app().api_credentials(), (Some(12345), Some(HASH.to_ascii_lowercase())));
    assert_eq!(c.call("status", json!({})).await.unwrap()["api_credentials_configured"], true);
    let g = c.call("settings_get", json!({})).await.unwrap();
    assert_eq!(g["api"]["api_hash_set"], true);
    assert!(!g.to_string().contains(HASH), "the hash is never sent back");
    assert_eq!(err(&c, "server_restart", json!({})).await.code(), "restart_unsupported");
    // A restarted server picks them up (and keeps the other settings).
    let app2 = app_with(dir.path(), &[], KeyStore::none());
    assert_eq!(app2.config.api_id, Some(12345));
    assert!(app2.settings().disable_auth);
}

#[tokio::test]
async fn settings_the_environment_sets_are_reported_and_cannot_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    let c = control(app_with(dir.path(), &[("DISABLE_AUTH", "false"), ("MAX_FILE_SIZE_MB", "20")], KeyStore::none()));
    let g = c.call("settings_get", json!({})).await.unwrap();
    assert_eq!(g["env_fixed"], json!(["DISABLE_AUTH", "MAX_FILE_SIZE_MB"]));
    let e = err(&c, "settings_set", json!({"disable_auth": true})).await;
    assert_eq!(e.code(), "invalid_input");
    assert!(e.to_string().contains("DISABLE_AUTH") && e.to_string().contains("environment"), "{e}");
    assert!(!c.app().settings().disable_auth);
    assert!(!dir.path().join("settings.json").exists(), "a refused change writes nothing");
    // Sending a fixed setting unchanged (the UI sends the whole form) is fine.
    let r = c
        .call("settings_set", json!({"disable_auth": false, "max_file_size_mb": 20, "block_private_ips": false}))
        .await;
    assert_eq!(r.unwrap()["settings"]["block_private_ips"], false);
}

#[tokio::test]
async fn credentials_the_environment_sets_cannot_be_replaced_from_the_setup_page() {
    let dir = tempfile::tempdir().unwrap();
    let c = control(app_with(dir.path(), &[("API_ID", "777"), ("API_HASH", HASH)], KeyStore::none()));
    let e = err(&c, "settings_set", json!({"api_id": 12345, "api_hash": HASH})).await;
    assert_eq!(e.code(), "invalid_input");
    assert!(e.to_string().contains("environment"), "{e}");
    assert_eq!(c.app().api_credentials().0, Some(777), "still the environment's");
    assert!(!dir.path().join("settings.json").exists(), "a refused change writes nothing");
}

#[tokio::test]
async fn reloader_applies_credentials_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let reloader: Reloader = Arc::new(move || {
        let d = d.clone();
        Box::pin(async move {
            Ok((app_with(&d, &[], KeyStore::none()), ServerState::running("127.0.0.1:4568".parse().unwrap())))
        })
    });
    let c = Control::new(app_with(dir.path(), &[], KeyStore::none()), HostKind::Tauri, ServerState::default())
        .with_reloader(reloader);
    let r = c.call("settings_set", json!({"api_id": 777, "api_hash": HASH})).await.unwrap();
    assert_eq!(r["api_credentials_applied"], true);
    assert_eq!(r["api_credentials_configured"], true);
    let st = c.call("status", json!({})).await.unwrap();
    assert_eq!(st["api_credentials_configured"], true);
    assert_eq!(st["server"]["addr"], "127.0.0.1:4568");
    assert_eq!(st["host"], "tauri");
}

#[test]
fn client_config_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_string_lossy().into_owned();
    let cfg = Config::from_lookup(|k| match k {
        "SESSION_DIR" => Some(d.clone()),
        "API_ID" => Some("5".into()),
        "API_HASH" => Some(HASH.into()),
        _ => None,
    })
    .unwrap();
    let tok = "T".repeat(43);
    let all = build_client_configs(
        &cfg.startup,
        "http://127.0.0.1:8000/v1/mcp",
        &tok,
        Some("tok_0123456789ab"),
        "/opt/bin/fast-mcp-telegram",
    );
    let by = |id: &str| all.iter().find(|c| c.id == id).unwrap().clone();
    let json_of = |id: &str| serde_json::from_str::<Value>(&by(id).text).unwrap();
    let claude = json_of("claude_desktop");
    let t = &claude["mcpServers"]["telegram"];
    assert_eq!(t["command"], "/opt/bin/fast-mcp-telegram");
    assert_eq!(t["args"], json!(["serve", "--transport", "stdio", "--token-id", "tok_0123456789ab"]));
    assert_eq!(t["env"]["SESSION_DIR"], d.as_str());
    assert!(!by("claude_desktop").text.contains(&tok), "the stdio config holds no secret");
    assert!(!by("claude_desktop").text.contains(HASH), "nor the API hash");
    assert_eq!(json_of("cursor")["mcpServers"]["telegram"]["headers"]["Authorization"], format!("Bearer {tok}"));
    let vs = json_of("vscode");
    assert_eq!(vs["servers"]["telegram"]["type"], "http");
    assert_eq!(vs["inputs"][0]["password"], true);
    assert!(!by("vscode").text.contains(&tok), "VS Code prompts for the token");
    assert_eq!(json_of("windsurf")["mcpServers"]["telegram"]["serverUrl"], "http://127.0.0.1:8000/v1/mcp");
    let codex = by("codex").text;
    assert!(codex.starts_with("[mcp_servers.telegram]\nurl = \"http://127.0.0.1:8000/v1/mcp\"\nbearer_token_env_var"));
    assert!(by("url_auth").text.contains(&format!("/v1/url_auth/{tok}/mcp")));
}

/// Logins against the fake data centre.
mod fake_dc {
    use super::*;

    async fn dc_app(ks: KeyStore) -> (fake_tg_dc::FakeDc, tempfile::TempDir, Control) {
        let dc = fake_tg_dc::FakeDc::start(fake_tg_dc::World::demo()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        dc.watch_session_dir(dir.path().join("sessions"));
        let addr = dc.addr().to_string();
        let app = app_with(dir.path(), &[("API_ID", "12345"), ("API_HASH", HASH), ("TELEGRAM_DC_ADDR", &addr)], ks);
        (dc, dir, control(app))
    }

    #[tokio::test]
    async fn code_login_issues_a_token_for_a_new_session() {
        let (_dc, _dir, c) = dc_app(crate::keystore::mock()).await;
        let s = c.call("login_start_code", json!({"phone": "+15550001", "label": "Claude"})).await.unwrap();
        assert_eq!(s["next"], "code");
        let login_id = s["login_id"].as_str().unwrap().to_string();
        assert_eq!(
            err(&c, "login_submit_code", json!({"login_id": login_id, "code": "99999"})).await.code(),
            "invalid_code"
        );
        let done = c.call("login_submit_code", json!({"login_id": login_id, "code": "12345"})).await.unwrap();
        assert_eq!(done["next"], "done");
        assert_eq!(done["issued"]["record"]["label"], "Claude");
        assert!(done["issued"]["record"]["account"].as_str().unwrap().contains("Alice"));
        assert!(!done.to_string().contains("5550001"), "the phone number is masked");
        let tok = Token::parse(done["issued"]["token"].as_str().unwrap()).unwrap();
        let app = c.app();
        let rec = app.tokens.authenticate(&tok).unwrap();
        assert_eq!(rec.session_id, done["session_id"].as_str().unwrap());
        assert!(app.sessions.client(&rec.session_id).await.unwrap().is_authorized().await.unwrap());

        // Sign out: the session is gone and every token of it is revoked.
        let r = c.call("session_sign_out", json!({"token_id": rec.id})).await.unwrap();
        assert_eq!(r["revoked"], json!([rec.id]));
        assert!(!app.sessions.exists(&rec.session_id));
        assert!(app.tokens.authenticate(&tok).is_err());
    }

    #[tokio::test]
    async fn two_factor_login_with_a_wrong_password_first() {
        let (_dc, _dir, c) = dc_app(KeyStore::none()).await;
        let s = c.call("login_start_code", json!({"phone": "+1 555 0002"})).await.unwrap();
        let login_id = s["login_id"].as_str().unwrap().to_string();
        let p = c.call("login_submit_code", json!({"login_id": login_id, "code": "22222"})).await.unwrap();
        assert_eq!(p["next"], "password");
        assert_eq!(p["hint"], "pet name");
        let e = err(&c, "login_submit_password", json!({"login_id": login_id, "password": "wrong"})).await;
        assert_eq!(e.code(), "invalid_password");
        let done = c.call("login_submit_password", json!({"login_id": login_id, "password": "hunter2"})).await.unwrap();
        assert_eq!(done["next"], "done");
        assert_eq!(done["issued"]["record"]["label"], DEFAULT_LOGIN_LABEL);
        assert_eq!(
            err(&c, "login_submit_password", json!({"login_id": login_id, "password": "hunter2"})).await.code(),
            "unknown_login"
        );
    }

    #[tokio::test]
    async fn qr_login_and_relogin_of_an_existing_token() {
        use base64::Engine;
        let (dc, _dir, c) = dc_app(KeyStore::none()).await;
        let created = c.call("token_create", json!({"label": "Later"})).await.unwrap();
        let tid = created["record"]["id"].as_str().unwrap().to_string();
        let q = c.call("login_start_qr", json!({"token_id": tid})).await.unwrap();
        assert_eq!(q["next"], "qr");
        let login_id = q["login_id"].as_str().unwrap().to_string();
        let again = c.call("login_poll_qr", json!({"login_id": login_id})).await.unwrap();
        assert_eq!(again["next"], "qr", "not scanned yet");
        // Each poll exports a fresh token (the DC keeps only the newest): scan the current one.
        let url = again["url"].as_str().unwrap();
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(url.strip_prefix("tg://login?token=").unwrap())
            .unwrap();
        assert!(dc.scan_qr(&raw, "+15550001"));
        let done = c.call("login_poll_qr", json!({"login_id": login_id})).await.unwrap();
        assert_eq!(done["next"], "done");
        assert!(done.get("issued").is_none(), "re-login of an existing token issues none");
        assert_eq!(done["existing_token"]["id"], tid.as_str());
        assert!(done["existing_token"]["account"].as_str().unwrap().contains("Alice"));
    }

    #[tokio::test]
    async fn qr_login_of_a_2fa_account_asks_for_the_password_after_the_scan() {
        use base64::Engine;
        let (dc, _dir, c) = dc_app(KeyStore::none()).await;
        let q = c.call("login_start_qr", json!({"label": "QR"})).await.unwrap();
        let login_id = q["login_id"].as_str().unwrap().to_string();
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(q["url"].as_str().unwrap().strip_prefix("tg://login?token=").unwrap())
            .unwrap();
        assert!(dc.scan_qr(&raw, "+15550002"));
        let p = c.call("login_poll_qr", json!({"login_id": login_id})).await.unwrap();
        assert_eq!(p["next"], "password");
        assert_eq!(p["hint"], "pet name");
        let done = c.call("login_submit_password", json!({"login_id": login_id, "password": "hunter2"})).await.unwrap();
        assert_eq!(done["next"], "done");
        assert_eq!(done["issued"]["record"]["label"], "QR");
        assert!(done["issued"]["record"]["account"].as_str().unwrap().contains("Bob"));
    }

    #[tokio::test]
    async fn cancel_during_a_step_waits_for_it_and_keeps_the_session_it_logged_in() {
        let (_dc, _dir, c) = dc_app(KeyStore::none()).await;
        let s = c.call("login_start_code", json!({"phone": "+15550001"})).await.unwrap();
        let login_id = s["login_id"].as_str().unwrap().to_string();
        let app = c.app();
        let sid = app.logins.session_of(&login_id).await.unwrap();
        // "Back" clicked while the code is being checked: the cancel must not delete the
        // session under the running step (which then issues a token for a deleted session).
        let (done, cancelled) = tokio::join!(
            c.call("login_submit_code", json!({"login_id": login_id, "code": "12345"})),
            c.call("login_cancel", json!({"login_id": login_id})),
        );
        let done = done.unwrap();
        assert_eq!(done["next"], "done");
        assert_eq!(cancelled.unwrap()["cancelled"], false, "the login had already finished");
        assert!(app.sessions.exists(&sid), "the logged-in session is kept");
        let tok = Token::parse(done["issued"]["token"].as_str().unwrap()).unwrap();
        let rec = app.tokens.authenticate(&tok).unwrap();
        assert_eq!(rec.session_id, sid);
        assert!(app.sessions.client(&sid).await.unwrap().is_authorized().await.unwrap());
    }

    #[tokio::test]
    async fn cancel_deletes_the_unused_new_session() {
        let (_dc, _dir, c) = dc_app(KeyStore::none()).await;
        let s = c.call("login_start_code", json!({"phone": "+15550001"})).await.unwrap();
        let login_id = s["login_id"].as_str().unwrap().to_string();
        let app = c.app();
        let sid = app.logins.session_of(&login_id).await.unwrap();
        assert!(app.sessions.exists(&sid));
        let r = c.call("login_cancel", json!({"login_id": login_id})).await.unwrap();
        assert_eq!(r["cancelled"], true);
        assert!(!app.sessions.exists(&sid));
    }
}

mod change_feed {
    use super::*;
    use crate::changes::Changed;
    use std::time::Duration;

    fn entry() -> crate::activity::Entry {
        crate::activity::Entry {
            ts_ms: 1,
            token_id: None,
            session_id: "s".into(),
            transport: "http".into(),
            tool: "get_messages".into(),
            chats: vec![],
            message_ids: vec![],
            outcome: "ok".into(),
            error_kind: None,
            error: None,
            duration_ms: 1,
            text: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_owner_wakes_no_one() {
        let dir = tempfile::tempdir().unwrap();
        let c = Arc::new(control(app_with(dir.path(), &[], KeyStore::none())));
        let mut feed = c.changes();
        // Virtual time: an hour passes at once when nothing else can run.
        assert!(tokio::time::timeout(Duration::from_secs(3600), feed.next()).await.is_err());
    }

    #[tokio::test]
    async fn each_change_is_reported_under_its_topic() {
        let dir = tempfile::tempdir().unwrap();
        let c = Arc::new(control(app_with(dir.path(), &[], crate::keystore::mock())));
        let mut feed = c.changes().min_gap(Duration::ZERO);

        c.call("token_create", json!({"label": "Cursor"})).await.unwrap();
        assert_eq!(feed.next().await, Changed { tokens: true, status: true, ..Default::default() });

        c.app().activity.record(&entry());
        assert_eq!(feed.next().await, Changed { activity: true, ..Default::default() });

        c.call("settings_set", json!({"disable_auth": true})).await.unwrap();
        assert_eq!(feed.next().await, Changed { status: true, ..Default::default() });

        c.set_server(ServerState::failed("stopped"));
        assert_eq!(feed.next().await, Changed::ALL);
    }

    #[tokio::test]
    async fn a_burst_is_one_answer() {
        let dir = tempfile::tempdir().unwrap();
        let c = Arc::new(control(app_with(dir.path(), &[], KeyStore::none())));
        let mut feed = c.changes();
        let app = c.app();
        app.activity.record(&entry());
        assert!(feed.next().await.activity);
        for _ in 0..100 {
            app.activity.record(&entry());
        }
        let got = feed.next().await;
        assert!(got.activity);
        // The burst was taken whole: nothing is left to report.
        assert!(tokio::time::timeout(Duration::from_millis(50), feed.next()).await.is_err());
    }

    #[tokio::test]
    async fn the_feed_follows_a_rebuilt_app() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_path_buf();
        let reloader: Reloader = Arc::new(move || {
            let d = d.clone();
            Box::pin(async move {
                Ok((
                    app_with(&d, &[], crate::keystore::mock()),
                    ServerState::running("127.0.0.1:4568".parse().unwrap()),
                ))
            })
        });
        let c = Arc::new(
            Control::new(app_with(dir.path(), &[], crate::keystore::mock()), HostKind::Tauri, ServerState::default())
                .with_reloader(reloader),
        );
        let mut feed = c.changes().min_gap(Duration::ZERO);
        let old = c.app();
        c.call("server_restart", json!({})).await.unwrap();
        assert_eq!(feed.next().await, Changed::ALL);
        assert!(!Arc::ptr_eq(&old, &c.app()));
        // A change in the new app reaches the feed; the old app's sources are gone.
        c.call("token_create", json!({"label": "After"})).await.unwrap();
        assert!(feed.next().await.tokens);
    }
}
