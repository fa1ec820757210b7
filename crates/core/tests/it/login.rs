//! Login flows of the core (used by CLI and GUI) against the fake DC: code, wrong code,
//! 2FA with hint and wrong password, QR with 2FA after the scan, sign-out.

use crate::common;
use common::*;
use fake_tg_dc::demo;
use tgmcp_core::login::{LoginError, LoginStep};

#[tokio::test]
async fn code_login_with_a_wrong_code_first() {
    let h = TgHarness::start(&[]).await;
    let app = &h.srv.app;
    let LoginStep::Code { login_id } =
        app.logins.start_code(&app.sessions, "s_codetest", "+1 555 0001", Default::default()).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(app.logins.submit_code(&login_id, "99999").await, Err(LoginError::InvalidCode));
    assert_eq!(app.logins.submit_code(&login_id, "not digits").await, Err(LoginError::InvalidCode));
    match app.logins.submit_code(&login_id, demo::A_CODE).await.unwrap() {
        LoginStep::Done { session_id, account, .. } => {
            assert_eq!(session_id, "s_codetest");
            assert_eq!(account.user_id, demo::A_ID);
            assert_eq!(account.username.as_deref(), Some("alice_a"));
            assert!(!account.phone_masked.unwrap().contains("5550001"));
        }
        other => panic!("{other:?}"),
    }
    // The flow is gone once done.
    assert_eq!(app.logins.submit_code(&login_id, demo::A_CODE).await, Err(LoginError::UnknownLogin));
    // The session is logged in on the server side.
    assert!(app.sessions.client("s_codetest").await.unwrap().is_authorized().await.unwrap());
}

#[tokio::test]
async fn two_factor_shows_hint_and_allows_retry() {
    let h = TgHarness::start(&[]).await;
    let app = &h.srv.app;
    let LoginStep::Code { login_id } =
        app.logins.start_code(&app.sessions, "s_twofa", demo::B_PHONE, Default::default()).await.unwrap()
    else {
        panic!()
    };
    let step = app.logins.submit_code(&login_id, demo::B_CODE).await.unwrap();
    assert_eq!(step, LoginStep::Password { login_id: login_id.clone(), hint: Some(demo::B_HINT.into()) });
    assert_eq!(app.logins.submit_password(&login_id, "wrong").await, Err(LoginError::InvalidPassword));
    let done = app.logins.submit_password(&login_id, demo::B_PASSWORD).await.unwrap();
    assert!(matches!(done, LoginStep::Done { ref account, .. } if account.user_id == demo::B_ID), "{done:?}");
}

#[tokio::test]
async fn invalid_phone_and_unknown_flows_are_clear() {
    let h = TgHarness::start(&[]).await;
    let app = &h.srv.app;
    // Refused locally (not a phone number) and by Telegram (PHONE_NUMBER_INVALID): the same clear error.
    for phone in ["hello", "+19998887777"] {
        let e = app.logins.start_code(&app.sessions, "s_x", phone, Default::default()).await.unwrap_err();
        assert_eq!(e, LoginError::InvalidPhone, "{phone}");
        assert_eq!(e.code(), "invalid_phone");
        assert_eq!(e.to_string(), "invalid phone number: use the international format, e.g. +15551234567");
    }
    assert!(h.dc.calls().iter().any(|c| c.method == "auth.sendCode"), "the second one was Telegram's answer");
    for e in [
        app.logins.submit_code("nope", "12345").await.unwrap_err(),
        app.logins.submit_password("nope", "x").await.unwrap_err(),
    ] {
        assert_eq!(e, LoginError::UnknownLogin);
        assert_eq!(e.code(), "unknown_login");
        assert_eq!(e.to_string(), "this login has expired or does not exist; start again");
    }
}

fn qr_token(url: &str) -> Vec<u8> {
    let b64 = url.strip_prefix("tg://login?token=").unwrap_or_else(|| panic!("not a QR login URL: {url}"));
    base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, b64).unwrap()
}

fn exports(h: &TgHarness) -> usize {
    h.dc.calls().iter().filter(|c| c.method == "auth.exportLoginToken").count()
}

#[tokio::test]
async fn qr_login_then_2fa_after_scan() {
    let h = TgHarness::start(&[]).await;
    let app = &h.srv.app;
    let LoginStep::Qr { login_id, url, expires_at } =
        app.logins.start_qr(&app.sessions, "s_qr", Default::default()).await.unwrap()
    else {
        panic!()
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!(expires_at > now);
    let exported = exports(&h);
    // Not scanned yet: every poll shows the very same code (a phone may be scanning it), and no
    // new token is asked of Telegram while it is valid.
    for _ in 0..2 {
        let LoginStep::Qr { url: shown, expires_at: e, .. } = app.logins.poll_qr(&login_id).await.unwrap() else {
            panic!("still waiting for a scan")
        };
        assert_eq!((shown.as_str(), e), (url.as_str(), expires_at), "the code changed before it expired");
    }
    assert_eq!(exports(&h), exported, "no new login token while the shown one is valid");
    assert!(h.dc.scan_qr(&qr_token(&url), demo::B_PHONE));
    let step = app.logins.poll_qr(&login_id).await.unwrap();
    let LoginStep::Password { hint, .. } = &step else { panic!("{step:?}") };
    assert_eq!(hint.as_deref(), Some(demo::B_HINT));
    let done = app.logins.submit_password(&login_id, demo::B_PASSWORD).await.unwrap();
    assert!(matches!(done, LoginStep::Done { ref account, .. } if account.user_id == demo::B_ID), "{done:?}");
}

#[tokio::test]
async fn an_expired_qr_code_is_replaced_and_the_new_one_then_stays() {
    let h = TgHarness::start(&[]).await;
    let app = &h.srv.app;
    // Tokens that expire at once: each poll must fetch a new one.
    h.dc.set_qr_lifetime(0);
    let LoginStep::Qr { login_id, url: first, .. } =
        app.logins.start_qr(&app.sessions, "s_qr3", Default::default()).await.unwrap()
    else {
        panic!()
    };
    h.dc.set_qr_lifetime(30);
    let LoginStep::Qr { url: second, .. } = app.logins.poll_qr(&login_id).await.unwrap() else { panic!() };
    assert_ne!(first, second, "an expired code is replaced");
    assert!(!h.dc.scan_qr(&qr_token(&first), demo::A_PHONE), "the old code is dead");
    let LoginStep::Qr { url: third, .. } = app.logins.poll_qr(&login_id).await.unwrap() else { panic!() };
    assert_eq!(second, third, "a valid code is kept");
    assert!(h.dc.scan_qr(&qr_token(&third), demo::A_PHONE));
    let done = app.logins.poll_qr(&login_id).await.unwrap();
    assert!(matches!(done, LoginStep::Done { ref account, .. } if account.user_id == demo::A_ID), "{done:?}");
}

#[tokio::test]
async fn qr_login_without_2fa() {
    let h = TgHarness::start(&[]).await;
    let app = &h.srv.app;
    let LoginStep::Qr { login_id, url, .. } =
        app.logins.start_qr(&app.sessions, "s_qr2", Default::default()).await.unwrap()
    else {
        panic!()
    };
    let token = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        url.trim_start_matches("tg://login?token="),
    )
    .unwrap();
    assert!(h.dc.scan_qr(&token, demo::A_PHONE));
    assert!(
        matches!(app.logins.poll_qr(&login_id).await.unwrap(), LoginStep::Done { ref account, .. } if account.user_id == demo::A_ID)
    );
}

#[tokio::test]
async fn sign_out_revokes_on_the_server_and_deletes_the_file() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let rec = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&tok).unwrap()).unwrap();
    assert!(h.srv.app.sessions.exists(&rec.session_id));
    tgmcp_core::login::sign_out(&h.srv.app.sessions, &rec.session_id).await.unwrap();
    assert!(!h.srv.app.sessions.exists(&rec.session_id));
    assert!(h.dc.calls().iter().any(|c| c.method == "auth.logOut"));
    // A tool call now reports "not logged in" instead of silently recreating an account session.
    let (err, v) = h.call(&tok, "get_chat_info", serde_json::json!({"chat_id": "me"})).await;
    assert!(err);
    assert_eq!(v["action"], "login", "{v}");
    assert!(v["error"].as_str().unwrap().starts_with("this session is not logged in to Telegram"), "{v}");
}

#[tokio::test]
async fn network_errors_never_delete_a_session() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let rec = h.srv.app.tokens.authenticate(&tgmcp_core::tokens::Token::parse(&tok).unwrap()).unwrap();
    let kept = |why: &str| {
        assert!(h.srv.app.sessions.exists(&rec.session_id), "the session file is kept after {why}");
    };
    h.dc.inject_error("messages.getHistory", 500, "INTERNAL_SERVER_ERROR");
    let (err, v) = h.call(&tok, "get_messages", serde_json::json!({"chat_id": "carol"})).await;
    assert!(err);
    assert_eq!(
        (&v["telegram_code"], &v["telegram_error"]),
        (&serde_json::json!(500), &serde_json::json!("INTERNAL_SERVER_ERROR"))
    );
    assert_eq!(v["error"], "Telegram error 500 INTERNAL_SERVER_ERROR");
    kept("a Telegram 500");
    h.dc.inject_error("users.getUsers", 401, "AUTH_KEY_UNREGISTERED");
    let (err, v) = h.call(&tok, "get_chat_info", serde_json::json!({"chat_id": "me"})).await;
    assert!(err, "{v}");
    assert_eq!((&v["telegram_code"], &v["action"]), (&serde_json::json!(401), &serde_json::json!("login")), "{v}");
    assert!(v["error"].as_str().unwrap().starts_with("this session is not logged in to Telegram"), "{v}");
    kept("a 401");
    // The connection drops while a call is in flight.
    h.dc.inject_fault("messages.getHistory", fake_tg_dc::Fault::Drop);
    let (err, v) = h.call(&tok, "get_messages", serde_json::json!({"chat_id": "carol", "limit": 1})).await;
    assert!(err, "{v}");
    assert_eq!(
        (v["error"].as_str(), v["action"].as_str()),
        (Some("could not reach Telegram: read 0 bytes"), Some("retry"))
    );
    assert!(h.dc.calls().iter().any(|c| c.request.contains("fault Drop")), "the call reached the DC before the drop");
    kept("a connection dropped mid-call");
    // The data centre is unreachable.
    h.dc.set_down(true);
    let (err, v) = h.call(&tok, "get_messages", serde_json::json!({"chat_id": "carol", "limit": 1})).await;
    assert!(err, "{v}");
    assert!(v["error"].as_str().unwrap().starts_with("could not reach Telegram"), "{v}");
    assert_eq!(v["action"], "retry", "{v}");
    let (err, v) = h.call(&tok, "get_chat_info", serde_json::json!({"chat_id": "carol"})).await;
    assert!(err && v["action"] == "retry", "{v}");
    kept("the DC going down");
    h.dc.set_down(false);
    // And it still works afterwards, with the same authorization.
    h.ok(&tok, "get_messages", serde_json::json!({"chat_id": "carol", "limit": 1})).await;
    kept("recovery");
}
