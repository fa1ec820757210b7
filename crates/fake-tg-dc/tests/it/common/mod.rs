//! Shared helpers: a real grammers client wired to a FakeDc.
#![allow(dead_code)]

use std::sync::Arc;

use fake_tg_dc::FakeDc;
use grammers_client::Client;
use grammers_client::session::Session;
use grammers_client::session::storages::MemorySession;
use grammers_client::session::types::PeerRef;
use grammers_mtsender::{ConnectionParams, NoRetries, SenderPool};

pub const API_ID: i32 = 12345;
pub const API_HASH: &str = "0123456789abcdef0123456789abcdef";

pub struct TestClient {
    pub client: Client,
    pub key: [u8; 256],
    pool: tokio::task::JoinHandle<()>,
}

impl Drop for TestClient {
    fn drop(&mut self) {
        self.client.disconnect();
        self.pool.abort();
    }
}

/// Starts a client on `session` (already seeded).
pub fn client_on<S>(session: Arc<S>, key: [u8; 256]) -> TestClient
where
    S: Session + Sized,
    S::Error: std::error::Error + Send + Sync + 'static,
{
    client_with_updates(session, key).0
}

/// Like [`client_on`] but also returns the raw updates receiver.
pub fn client_with_updates<S>(session: Arc<S>, key: [u8; 256]) -> (TestClient, Updates)
where
    S: Session + Sized,
    S::Error: std::error::Error + Send + Sync + 'static,
{
    let params = ConnectionParams {
        device_model: "fake-dc-test".into(),
        retry_policy: Box::new(NoRetries),
        ..Default::default()
    };
    let SenderPool {
        runner,
        handle,
        updates,
    } = SenderPool::with_configuration(session, API_ID, params);
    let client = Client::new(handle);
    let pool = tokio::spawn(runner.run());
    (TestClient { client, key, pool }, updates)
}

/// The pool's raw updates channel.
pub type Updates = tokio::sync::mpsc::Receiver<grammers_client::session::updates::UpdatesLike>;

/// A client with a MemorySession seeded for `dc` (optionally already logged in).
pub async fn connect(dc: &FakeDc, phone: Option<&str>) -> TestClient {
    let session = Arc::new(MemorySession::default());
    let key = dc
        .seed(&*session, phone)
        .await
        .expect("seed memory session");
    client_on(session, key)
}

/// Resolves a username to a PeerRef through the client.
pub async fn peer(c: &Client, username: &str) -> PeerRef {
    c.resolve_username(username)
        .await
        .expect("resolve")
        .expect("username exists")
        .to_ref()
        .await
        .expect("to_ref")
        .expect("peer ref")
}
