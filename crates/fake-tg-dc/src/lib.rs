//! A fake Telegram data centre for tests.
//!
//! [`FakeDc`] listens on `127.0.0.1` and speaks real MTProto 2.0 (Full transport, AES-IGE,
//! `rpc_result`, containers, gzip) to the real `grammers-client` 0.11 (layer 230). Because
//! Telegram's RSA keys cannot be replaced, the DC never performs the DH handshake: a client's
//! session is *seeded* with an auth key the DC already knows ([`FakeDc::register_key`],
//! [`FakeDc::seed`]), issued to a test-mode client that asks for one with the line
//! `FAKE-DC-ISSUE-KEY` instead of a first frame (our core does when `TELEGRAM_DC_ADDR` is set),
//! or adopted from grammers SQLite session files ([`FakeDc::watch_session_dir`]).
//!
//! Every answer is computed from a [`World`] from the point of view of the account the auth
//! key is logged in to. See [`World::demo`] for the standard fixture.
//!
//! # What it models, and from where
//!
//! A fake DC must invent behaviour wherever the TL schema only gives shapes. Each invention
//! below names the real behaviour it imitates and where that is written down, so a reader can
//! check it; "core.telegram.org" pages are named by title. Every item marked *cross-checked*
//! is exercised by both grammers (`tests/it/crosscheck/`) and Telethon 1.45
//! (`tests/python/test_telethon_crosscheck.py`) against the same expected answers.
//!
//! - **Wire and schema.** MTProto 2.0 with the Full transport, AES-IGE and `msg_key` as in
//!   "Mobile Protocol: Detailed Description"; TL objects of layer 230 from grammers-tl-types
//!   0.11. Telethon 1.45 speaks layer 229; every constructor the DC sends has the same id in
//!   both (230 only adds wallet/TON types), so both clients read the same bytes. No DH
//!   handshake: keys are seeded ([`FakeDc::register_key`], stdin `register_key`).
//! - **History paging** (`messages.getHistory`, `messages.search`, `messages.getReplies`):
//!   newest first; `offset_id` starts below that id, a negative `add_offset` reaches newer
//!   messages (`offset_id = X, add_offset = -k` includes X and the k-1 above it), `max_id` and
//!   `min_id` are exclusive bounds, `offset_date` starts before that date, at most 100 per page;
//!   `messages.messagesSlice` with the total `count` unless the page holds everything. Source:
//!   "Pagination in the API"; Telethon's oldest-first walk (`iter_messages(reverse=True)`)
//!   relies on the negative `add_offset`. *Cross-checked.*
//! - **Dialogs** (`messages.getDialogs`): pinned first, then by newest top message; the next
//!   page starts after `offset_peer` (else before `offset_date`/`offset_id`). Without
//!   `folder_id` every folder is listed, archived chats included; `0` is the main list and `1`
//!   the archive. Source: "Pagination in the API", "Folders" (peer folders); the folder
//!   semantics as Telethon's `iter_dialogs` documents them (and pyrogram's maintainers state in
//!   pyrogram#511). *Cross-checked.*
//! - **Global search** (`messages.searchGlobal`): all dialogs, newest first (ties by peer, then
//!   id); while results remain, `next_rate` is set and the next page is asked with
//!   `offset_rate = next_rate` plus the peer and id of the last message, as the method page and
//!   Telethon's `iter_messages(None, search=…)` do. Telegram's `next_rate` is opaque; here it
//!   is the last message's date. *Cross-checked.*
//! - **Forum topics and comments**: a topic id is the id of its "topic created" service
//!   message; messages in it carry `reply_to` with `forum_topic` (and `reply_to_top_id` when
//!   replying inside it). A broadcast post with a linked group gets an automatic copy there;
//!   comments reply to that copy and `messages.getDiscussionMessage`/`getReplies` on the post
//!   answer from the group. Source: "Forums", "Threads". *Cross-checked.*
//! - **Files**: `upload.getFile` enforces "Uploading and Downloading Files": offset and limit
//!   4 KiB-aligned (1 KiB with `precise`), 1 MiB divisible by limit, no chunk across a 1 MiB
//!   boundary (`LIMIT_INVALID`/`OFFSET_INVALID`). Every file lives on DC 2 with a constant
//!   `file_reference`; there is no CDN and no `FILE_MIGRATE`. Upload part sizes are not
//!   checked. *Cross-checked.*
//! - **2FA** (see `srp.rs`): "Two-factor authentication" (SRP): the DC stores only the
//!   verifier `v = g^x`, gives every `account.getPassword` a fresh `b`, `B` and `srp_id`, and
//!   checks `M1` from `A`, `B` and `v`. How long a challenge lives is not documented: the DC
//!   keeps the last 8 per key and accepts a retry after `PASSWORD_HASH_INVALID` (grammers
//!   retries with the same `srp_id`; Telethon asks for a new one). *Cross-checked.*
//! - **Flood waits**: never produced on its own. [`FakeDc::inject_error`] (stdin
//!   `inject_error`) returns e.g. `420 FLOOD_WAIT_17` once; the shape follows "Error
//!   handling", and Telethon turns it into `FloodWaitError(seconds=17)`. *Cross-checked.*
//! - **Network faults**: [`FakeDc::inject_fault`] drops the connection when a given call
//!   arrives ([`Fault::Drop`]) or never answers it ([`Fault::Stall`]); [`FakeDc::set_down`]
//!   closes every connection and refuses new ones until brought back, state kept.
//! - **Migrations**: one DC (id 2) and an empty `config.dc_options`. `303 PHONE_MIGRATE_X` and
//!   friends exist only by injection ("Error handling", "Working with Different Data
//!   Centers"); a client that follows one (grammers' `request_login_code`, Telethon's
//!   `_switch_dc` before login) cannot reach a fake DC X (grammers falls back to Telegram's own
//!   address for X, Telethon finds no X in the config) and fails. Multi-DC is not modelled yet;
//!   the cross-check stops at the error each client raises on an authorized session (grammers:
//!   `RpcError { code: 303, name: "PHONE_MIGRATE", value: Some(X) }`; Telethon:
//!   `PhoneMigrateError(new_dc=X)`).
//! - **Updates**: new messages are pushed to the other sessions of the receiving accounts, with
//!   `pts` counted per account and per channel; every message records the `pts` its arrival
//!   took. `updates.getDifference` returns the account-box messages above the client's `pts`
//!   (oldest first, at most 100, else `differenceSlice`; `differenceTooLong` past
//!   `pts_total_limit`) and `updates.getChannelDifference` a channel's (at most `limit`, not
//!   `final` while more remain), as "Working with Updates" describes. Other events that take a
//!   `pts` (edits, deletions, read marks, pins, reactions) move the state on but are not
//!   replayed in `other_updates`; `seq` is always 0. [`FakeDc::send_as`] (stdin `send … nopush`)
//!   stores a message without pushing it, the way a client misses an update. getDifference is
//!   exercised by grammers (core `tools_wait` tests) and Telethon
//!   (`test_get_difference_returns_what_the_client_missed`).
//! - **Voice transcription** (`messages.transcribeAudio`): Premium accounts only (`403
//!   PREMIUM_ACCOUNT_REQUIRED`; Telegram's weekly free trial is not modelled), voice notes only
//!   (`MSG_VOICE_MISSING`), text from [`World::transcripts`]. The first request of a message
//!   answers `pending` with the first half of the words, later ones the whole text; Telegram would
//!   also push `updateTranscribedAudio` as it goes, this DC does not (a client asks again).
//! - **Login**: `auth.sendCode` always answers `auth.sentCode` of type app with a one-shot
//!   `phone_code_hash`; each account has one fixed code; `contacts.resolvePhone` only finds the
//!   viewer's contacts (the common privacy setting). *Code login cross-checked.*
//! - **Message ids**: private chats and basic groups number messages per account, channels per
//!   channel, as the TL schema's split of `messages.getMessages` (no peer) from
//!   `channels.getMessages` implies (see [`World`]).
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
    PeerKey, SavedDraft, Topic, User, World,
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
    /// Lifetime of a new QR login token in seconds (Telegram: 30).
    pub qr_lifetime: i32,
    /// One-shot connection faults by TL method name.
    pub faults: Vec<(String, Fault)>,
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
    /// While `true`, connections stop reading and answering (but stay open): a stalled link,
    /// as a laptop waking from sleep or a dead NAT mapping looks to the client.
    pub stalled: tokio::sync::watch::Sender<bool>,
    /// `true` while the DC is "unreachable": open connections are closed, new ones dropped.
    pub down: tokio::sync::watch::Sender<bool>,
}

/// A connection fault for [`FakeDc::inject_fault`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Close the connection when the call arrives, without answering it (a network drop mid-call).
    Drop,
    /// Never answer the call; the connection stays up (pings are still answered).
    Stall,
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
                qr_lifetime: 30,
                faults: Vec::new(),
            }),
            addr,
            stalled: tokio::sync::watch::Sender::new(false),
            down: tokio::sync::watch::channel(false).0,
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

    /// Stalls every connection (stop reading and answering, keep the socket open) or resumes.
    pub fn set_stalled(&self, stalled: bool) {
        self.shared.stalled.send_replace(stalled);
    }

    /// Makes the next call of TL method `method` hit a connection fault instead of an answer
    /// (one-shot; the call is still recorded).
    pub fn inject_fault(&self, method: &str, fault: Fault) {
        self.shared.lock().faults.push((method.to_string(), fault));
    }

    /// Takes the DC down (`true`): every open connection is closed at once and new ones are
    /// closed as soon as they are accepted, like an unreachable data centre; `false` brings it
    /// back with its world, keys and logins intact.
    pub fn set_down(&self, down: bool) {
        self.shared.down.send_replace(down);
    }

    /// User `from` sends `draft` to `to` as if from another device: the message is stored in
    /// every box and channel it belongs to and, with `push`, pushed to every logged-in session
    /// that sees it. Without `push` the receivers learn of it only through
    /// `updates.getDifference` / `getChannelDifference` (a lost update, as after a dropped
    /// connection).
    pub fn send_as(&self, from: i64, to: PeerKey, draft: Draft, push: bool) -> Delivery {
        let mut st = self.shared.lock();
        let d = st.world.deliver(from, to, draft);
        if push {
            dispatch::push_new_message(&st, None, from, to, &d);
        }
        d
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

    /// Like [`FakeDc::scan_qr`] for the newest unscanned, unexpired QR token (for a client that
    /// shows the code only as a picture, like the CLI's terminal QR).
    pub fn scan_latest_qr(&self, phone: &str) -> bool {
        let token = {
            let st = self.shared.lock();
            let now = world::now();
            st.qr
                .iter()
                .filter(|(_, t)| t.accepted_by.is_none() && t.expires >= now)
                .max_by_key(|(_, t)| t.expires)
                .map(|(k, _)| k.clone())
        };
        token.is_some_and(|t| self.scan_qr(&t, phone))
    }

    /// Sets the lifetime of QR login tokens exported from now on (default 30 s, as Telegram's;
    /// 0 makes every new token expire at once, so a test can see a client replace it).
    pub fn set_qr_lifetime(&self, secs: i32) {
        self.shared.lock().qr_lifetime = secs;
    }

    /// Number of currently open client connections.
    pub fn connection_count(&self) -> usize {
        self.shared.lock().conns.values().map(Vec::len).sum()
    }
}
