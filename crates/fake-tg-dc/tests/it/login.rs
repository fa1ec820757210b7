//! Login flows against the fake DC with the real grammers client.

use crate::common;

use common::{API_HASH, API_ID, connect};
use fake_tg_dc::{FakeDc, World, demo};
use grammers_client::SignInError;
use grammers_client::client::PasswordToken;
use grammers_client::tl;

#[tokio::test]
async fn code_login_wrong_then_right() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let t = connect(&dc, None).await;
    assert!(!t.client.is_authorized().await.unwrap());
    let token = t
        .client
        .request_login_code(demo::A_PHONE, API_HASH)
        .await
        .unwrap();
    match t.client.sign_in(&token, "99999").await {
        Err(SignInError::InvalidCode) => {}
        other => panic!("expected InvalidCode, got {other:?}"),
    }
    let user = t.client.sign_in(&token, demo::A_CODE).await.unwrap();
    assert_eq!(user.id().bare_id(), Some(demo::A_ID));
    assert!(t.client.is_authorized().await.unwrap());
    assert_eq!(dc.key_user(&t.key), Some(demo::A_ID));
    let me = t.client.get_me().await.unwrap();
    assert_eq!(me.id().bare_id(), Some(demo::A_ID));
    assert_eq!(me.username(), Some("alice_a"));
    let methods: Vec<String> = dc.calls().into_iter().map(|c| c.method).collect();
    for m in [
        "help.getConfig",
        "updates.getState",
        "auth.sendCode",
        "auth.signIn",
        "users.getUsers",
    ] {
        assert!(methods.iter().any(|x| x == m), "missing {m} in {methods:?}");
    }
    // logging out clears the binding
    t.client.sign_out().await.unwrap();
    assert_eq!(dc.key_user(&t.key), None);
    assert!(!t.client.is_authorized().await.unwrap());
}

#[tokio::test]
async fn two_factor_wrong_then_right() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let t = connect(&dc, None).await;
    let token = t
        .client
        .request_login_code(demo::B_PHONE, API_HASH)
        .await
        .unwrap();
    let pw = match t.client.sign_in(&token, demo::B_CODE).await {
        Err(SignInError::PasswordRequired(pw)) => pw,
        other => panic!("expected PasswordRequired, got {other:?}"),
    };
    assert_eq!(pw.hint(), Some(demo::B_HINT));
    assert_eq!(dc.key_user(&t.key), None);
    let pw = match t.client.check_password(pw, "wrong-password").await {
        Err(SignInError::InvalidPassword(pw)) => pw,
        other => panic!("expected InvalidPassword, got {other:?}"),
    };
    let user = t.client.check_password(pw, demo::B_PASSWORD).await.unwrap();
    assert_eq!(user.id().bare_id(), Some(demo::B_ID));
    assert_eq!(dc.key_user(&t.key), Some(demo::B_ID));
}

fn export() -> tl::functions::auth::ExportLoginToken {
    tl::functions::auth::ExportLoginToken {
        api_id: API_ID,
        api_hash: API_HASH.into(),
        except_ids: vec![],
    }
}

#[tokio::test]
async fn qr_login_without_and_with_2fa() {
    let dc = FakeDc::start(World::demo()).await.unwrap();

    // A: no 2FA.
    let t = connect(&dc, None).await;
    let tl::enums::auth::LoginToken::Token(first) = t.client.invoke(&export()).await.unwrap()
    else {
        panic!("expected a login token")
    };
    assert!(!dc.scan_qr(b"not-a-token", demo::A_PHONE));
    // Not scanned yet: exporting again yields a fresh token and invalidates the old one.
    let tl::enums::auth::LoginToken::Token(tok) = t.client.invoke(&export()).await.unwrap() else {
        panic!()
    };
    assert_ne!(first.token, tok.token);
    assert!(!dc.scan_qr(&first.token, demo::A_PHONE));
    assert_eq!(dc.key_user(&t.key), None);
    assert!(dc.scan_qr(&tok.token, demo::A_PHONE));
    match t.client.invoke(&export()).await.unwrap() {
        tl::enums::auth::LoginToken::Success(s) => {
            let tl::enums::auth::Authorization::Authorization(a) = s.authorization else {
                panic!()
            };
            assert_eq!(a.user.id(), demo::A_ID);
        }
        _ => panic!("expected loginTokenSuccess"),
    }
    assert_eq!(dc.key_user(&t.key), Some(demo::A_ID));

    // B: 2FA after scan.
    let t = connect(&dc, None).await;
    let tl::enums::auth::LoginToken::Token(tok) = t.client.invoke(&export()).await.unwrap() else {
        panic!()
    };
    assert!(dc.scan_qr(&tok.token, demo::B_PHONE));
    let e = t.client.invoke(&export()).await.unwrap_err();
    assert!(e.is("SESSION_PASSWORD_NEEDED"), "{e:?}");
    let tl::enums::account::Password::Password(p) = t
        .client
        .invoke(&tl::functions::account::GetPassword {})
        .await
        .unwrap();
    assert_eq!(p.hint.as_deref(), Some(demo::B_HINT));
    let user = t
        .client
        .check_password(PasswordToken::new(p), demo::B_PASSWORD)
        .await
        .unwrap();
    assert_eq!(user.id().bare_id(), Some(demo::B_ID));
    assert_eq!(dc.key_user(&t.key), Some(demo::B_ID));
}

#[tokio::test]
async fn seeded_authorized_key_and_unauthorized_rpc() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let t = connect(&dc, Some(demo::B_PHONE)).await;
    assert!(t.client.is_authorized().await.unwrap());
    assert_eq!(
        t.client.get_me().await.unwrap().id().bare_id(),
        Some(demo::B_ID)
    );

    let anon = connect(&dc, None).await;
    let e = anon.client.get_me().await.unwrap_err();
    assert!(e.is("AUTH_KEY_UNREGISTERED"), "{e:?}");
    let calls = dc.calls();
    let last = calls
        .iter()
        .rev()
        .find(|c| c.method == "users.getUsers")
        .unwrap();
    assert_eq!(last.user_id, None);
    assert!(
        calls
            .iter()
            .any(|c| c.method == "users.getUsers" && c.user_id == Some(demo::B_ID))
    );
}
