//! SqliteSession persistence, session-directory adoption and the `fake-tg-dc` binary.

use crate::common;

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;

use common::{API_HASH, client_on};
use fake_tg_dc::{FakeDc, World, demo};
use grammers_client::session::Session;
use grammers_client::session::storages::SqliteSession;
use grammers_client::session::types::DcOption;
use tokio::io::AsyncBufReadExt;

/// Writes a session pointing at `addr` with a key the DC has never seen (what another
/// process creating its own fresh session would do).
async fn foreign_session(
    path: &std::path::Path,
    addr: SocketAddr,
) -> (Arc<SqliteSession>, [u8; 256]) {
    let session = Arc::new(SqliteSession::open(path).await.unwrap());
    let key: [u8; 256] = std::array::from_fn(|i| {
        (i as u8)
            .wrapping_mul(37)
            .wrapping_add(path.as_os_str().len() as u8)
    });
    session.set_home_dc_id(2).await.unwrap();
    session
        .set_dc_option(&DcOption {
            id: 2,
            ipv4: SocketAddrV4::new(Ipv4Addr::LOCALHOST, addr.port()),
            ipv6: SocketAddrV6::new(Ipv4Addr::LOCALHOST.to_ipv6_mapped(), addr.port(), 0, 0),
            auth_key: Some(key),
        })
        .await
        .unwrap();
    (session, key)
}

#[tokio::test]
async fn sqlite_session_survives_reopen() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.session");
    {
        let session = Arc::new(SqliteSession::open(&path).await.unwrap());
        let key = dc.seed(&*session, None).await.unwrap();
        let t = client_on(Arc::clone(&session), key);
        let token = t
            .client
            .request_login_code(demo::A_PHONE, API_HASH)
            .await
            .unwrap();
        t.client.sign_in(&token, demo::A_CODE).await.unwrap();
    }
    let session = Arc::new(SqliteSession::open(&path).await.unwrap());
    let opt = session.dc_option(2).unwrap().unwrap();
    assert_eq!(opt.ipv4.port(), dc.addr().port());
    let key = opt.auth_key.unwrap();
    assert_eq!(dc.key_user(&key), Some(demo::A_ID));
    let t = client_on(session, key);
    assert!(t.client.is_authorized().await.unwrap());
    assert_eq!(
        t.client.get_me().await.unwrap().id().bare_id(),
        Some(demo::A_ID)
    );
}

#[tokio::test]
async fn watch_session_dir_adopts_unknown_keys() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (session, key) = foreign_session(&dir.path().join("tok123.session"), dc.addr()).await;
    // Unknown key and no watched dir: the DC closes the connection.
    {
        let t = client_on(Arc::clone(&session), key);
        assert!(t.client.is_authorized().await.is_err());
    }
    assert_eq!(dc.key_user(&key), None);
    dc.watch_session_dir(dir.path());
    let t = client_on(session, key);
    assert!(
        !t.client.is_authorized().await.unwrap(),
        "adopted keys start logged out"
    );
    let token = t
        .client
        .request_login_code(demo::B_PHONE, API_HASH)
        .await
        .unwrap();
    let Err(grammers_client::SignInError::PasswordRequired(pw)) =
        t.client.sign_in(&token, demo::B_CODE).await
    else {
        panic!("B has 2FA")
    };
    t.client.check_password(pw, demo::B_PASSWORD).await.unwrap();
    assert_eq!(dc.key_user(&key), Some(demo::B_ID));
}

#[tokio::test]
async fn binary_serves_demo_world() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_fake-tg-dc"))
        .arg("--watch-dir")
        .arg(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().expect("listening line");
    let addr: SocketAddr = line
        .strip_prefix("FAKE_DC_LISTENING ")
        .expect("prefix")
        .parse()
        .unwrap();
    assert_eq!(addr.ip(), Ipv4Addr::LOCALHOST);
    let (session, key) = foreign_session(&dir.path().join("x.session"), addr).await;
    {
        let t = client_on(session, key);
        let token = t
            .client
            .request_login_code(demo::A_PHONE, API_HASH)
            .await
            .unwrap();
        let me = t.client.sign_in(&token, demo::A_CODE).await.unwrap();
        assert_eq!(me.id().bare_id(), Some(demo::A_ID));
    }
    drop(child.stdin.take());
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait())
        .await
        .expect("exits on stdin EOF")
        .unwrap();
    assert!(status.success());
}
