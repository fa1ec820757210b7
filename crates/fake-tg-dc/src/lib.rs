//! A fake Telegram data centre for tests.
//!
//! [`FakeDc`] listens on `127.0.0.1` and speaks real MTProto 2.0 (Full transport, AES-IGE,
//! `rpc_result`, containers, gzip) to the real `grammers-client` 0.11 (layer 230). Because
//! Telegram's RSA keys cannot be replaced, the DC never performs the DH handshake: a client's
//! session is *seeded* with an auth key the DC already knows ([`FakeDc::register_key`],
//! [`FakeDc::seed`]) or the DC adopts keys found in session files ([`FakeDc::watch_session_dir`]).
//!
//! Every answer is computed from a [`World`] from the point of view of the account the auth
//! key is logged in to. See [`World::demo`] for the standard fixture.
#![warn(missing_docs)]

mod crypto;
mod dispatch;
mod fixtures;
mod srp;
mod tlconv;
mod watch;
mod wire;
mod world;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use grammers_tl_types as tl;
use rand::RngCore;
use tl::Serializable;
use tokio::sync::mpsc::UnboundedSender;

pub use fixtures::{DEMO_DOCUMENT_LEN, demo, demo_document_bytes};
pub use world::{
    Account, BasicGroup, Channel, Delivery, Draft, File, FileKind, Folder, Forward, Media, Message,
    PeerKey, Topic, User, World,
};

/// One recorded RPC call.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// TL method name, e.g. `messages.getHistory`.
    pub method: String,
    /// User id of the account the calling auth key was logged in to, if any.
    pub user_id: Option<i64>,
    /// `Debug` rendering of the decoded request (or `<N bytes>` when undecodable).
    pub request: String,
}

pub(crate) struct KeyEntry {
    pub key: [u8; 256],
    pub user: Option<i64>,
    pub pending_2fa: Option<i64>,
}

pub(crate) struct QrToken {
    pub key_id: [u8; 8],
    pub expires: i32,
    pub accepted_by: Option<i64>,
}

pub(crate) struct Conn {
    pub id: u64,
    pub tx: UnboundedSender<wire::Out>,
}

pub(crate) struct State {
    pub world: World,
    pub keys: HashMap<[u8; 8], KeyEntry>,
    pub calls: Vec<Call>,
    pub injected: Vec<(String, i32, String)>,
    pub watch_dirs: Vec<PathBuf>,
    pub conns: HashMap<[u8; 8], Vec<Conn>>,
    pub qr: HashMap<Vec<u8>, QrToken>,
    pub code_hashes: HashMap<String, String>,
    /// Open SRP challenges (`account.getPassword` answers) by `srp_id`, oldest first.
    pub srp: Vec<(i64, srp::Challenge)>,
    pub next_conn: u64,
}

impl State {
    /// Sends a server-initiated message (an `Updates` body) to every connection of `key_id`.
    pub fn push_to_key(&self, key_id: &[u8; 8], body: &[u8]) {
        if let Some(list) = self.conns.get(key_id) {
            for c in list {
                let _ = c.tx.send(wire::Out {
                    body: body.to_vec(),
                    response: false,
                });
            }
        }
    }

    /// Pushes to every connection of every key logged in as `user`, except `except`.
    pub fn push_to_user(&self, user: i64, except: Option<&[u8; 8]>, body: &[u8]) {
        for (kid, entry) in &self.keys {
            if entry.user == Some(user) && Some(kid) != except {
                self.push_to_key(kid, body);
            }
        }
    }
}

pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub addr: SocketAddr,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running fake data centre (DC id 2). Dropping it stops accepting connections.
pub struct FakeDc {
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for FakeDc {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FakeDc {
    /// Binds `127.0.0.1:0` and serves `world` until dropped.
    pub async fn start(world: World) -> std::io::Result<FakeDc> {
        Self::start_on(world, 0).await
    }

    /// Like [`FakeDc::start`] but on a fixed port (0 = any).
    pub async fn start_on(world: World, port: u16) -> std::io::Result<FakeDc> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                world,
                keys: HashMap::new(),
                calls: Vec::new(),
                injected: Vec::new(),
                watch_dirs: Vec::new(),
                conns: HashMap::new(),
                qr: HashMap::new(),
                code_hashes: HashMap::new(),
                srp: Vec::new(),
                next_conn: 0,
            }),
            addr,
        });
        let accept = tokio::spawn(wire::accept_loop(Arc::clone(&shared), listener));
        Ok(FakeDc { shared, accept })
    }

    /// The listening address (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// Creates a fresh random auth key known to the DC. With `Some(phone)` the key is already
    /// logged in to that account (panics if no account has that phone).
    pub fn register_key(&self, authorized_phone: Option<&str>) -> [u8; 256] {
        let mut key = [0u8; 256];
        rand::rng().fill_bytes(&mut key);
        let mut st = self.shared.lock();
        let user = authorized_phone.map(|p| {
            st.world
                .account_by_phone(p)
                .unwrap_or_else(|| panic!("no account with phone {p}"))
        });
        st.keys.insert(
            crypto::key_id(&key),
            KeyEntry {
                key,
                user,
                pending_2fa: None,
            },
        );
        key
    }

    /// Points `session` at this DC: home DC 2 = 127.0.0.1:port with a fresh key from
    /// [`FakeDc::register_key`]. Returns the key.
    pub async fn seed<S: grammers_session::Session>(
        &self,
        session: &S,
        authorized_phone: Option<&str>,
    ) -> Result<[u8; 256], S::Error> {
        let key = self.register_key(authorized_phone);
        let port = self.addr().port();
        session.set_home_dc_id(2).await?;
        session
            .set_dc_option(&grammers_session::types::DcOption {
                id: 2,
                ipv4: SocketAddrV4::new(Ipv4Addr::LOCALHOST, port),
                ipv6: SocketAddrV6::new(Ipv4Addr::LOCALHOST.to_ipv6_mapped(), port, 0, 0),
                auth_key: Some(key),
            })
            .await?;
        Ok(key)
    }

    /// On an unknown auth key id, look for the key in every `*.session` file (grammers
    /// SqliteSession format, opened read-only) in `dir` and adopt it (not logged in).
    pub fn watch_session_dir(&self, dir: impl Into<PathBuf>) {
        self.shared.lock().watch_dirs.push(dir.into());
    }

    /// All RPC calls received so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// Makes the next call of TL method `method` (e.g. `messages.getHistory`) fail with
    /// `rpc_error{code, message}` (one-shot; several injections queue up).
    pub fn inject_error(&self, method: &str, code: i32, message: &str) {
        self.shared
            .lock()
            .injected
            .push((method.to_string(), code, message.to_string()));
    }

    /// Runs `f` with exclusive access to the world (inspect or mutate it).
    pub fn with_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut self.shared.lock().world)
    }

    /// The account user id an auth key is currently logged in to.
    pub fn key_user(&self, key: &[u8; 256]) -> Option<i64> {
        self.shared
            .lock()
            .keys
            .get(&crypto::key_id(key))
            .and_then(|k| k.user)
    }

    /// Simulates the phone of account `phone` scanning a QR login token (the `token` bytes from
    /// `auth.loginToken`). Pushes `updateLoginToken` to the waiting client. Returns `false` if the
    /// token is unknown/expired or the phone has no account.
    pub fn scan_qr(&self, token: &[u8], phone: &str) -> bool {
        let mut st = self.shared.lock();
        let Some(user) = st.world.account_by_phone(phone) else {
            return false;
        };
        let now = world::now();
        let Some(t) = st.qr.get_mut(token) else {
            return false;
        };
        if t.expires < now {
            return false;
        }
        t.accepted_by = Some(user);
        let key_id = t.key_id;
        let body = tl::enums::Updates::UpdateShort(tl::types::UpdateShort {
            update: tl::enums::Update::LoginToken,
            date: now,
        })
        .to_bytes();
        st.push_to_key(&key_id, &body);
        true
    }

    /// Number of currently open client connections.
    pub fn connection_count(&self) -> usize {
        self.shared.lock().conns.values().map(Vec::len).sum()
    }
}
