//! TCP + Full transport + MTProto 2.0 message layer.

use std::io::Read;
use std::sync::Arc;

use grammers_tl_types as tl;
use tl::{Deserializable, Serializable};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;

use crate::{Conn, Shared, crypto, dispatch};

const MSG_CONTAINER: u32 = 0x73f1_f8dc;
const GZIP_PACKED: u32 = 0x3072_cfa1;
const MSGS_ACK: u32 = 0x62d6_b459;
const PING: u32 = 0x7abe_77ec;
const PING_DELAY_DISCONNECT: u32 = 0xf342_7b8c;
const RPC_RESULT: u32 = 0xf35c_6d01;
const RPC_ERROR: u32 = 0x2144_ca19;
const MAX_FRAME: usize = 4 * 1024 * 1024;

/// A message for the connection's writer task.
pub(crate) struct Out {
    pub body: Vec<u8>,
    /// `true` for `rpc_result` (msg_id ≡ 1 mod 4), `false` for server-initiated messages.
    pub response: bool,
}

pub(crate) async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                if *shared.down.borrow() {
                    drop(stream);
                    continue;
                }
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(Arc::clone(&shared), stream));
            }
            Err(e) => {
                tracing::warn!("fake dc accept failed: {e}");
                tokio::task::yield_now().await;
            }
        }
    }
}

async fn read_frame(rd: &mut OwnedReadHalf, recv_seq: &mut i32) -> Option<Vec<u8>> {
    let mut head = [0u8; 8];
    rd.read_exact(&mut head).await.ok()?;
    let len = i32::from_le_bytes(head[..4].try_into().ok()?);
    if len < 12 || len as usize > MAX_FRAME {
        return None;
    }
    let seq = i32::from_le_bytes(head[4..8].try_into().ok()?);
    if seq != *recv_seq {
        return None;
    }
    *recv_seq += 1;
    let mut rest = vec![0u8; len as usize - 8];
    rd.read_exact(&mut rest).await.ok()?;
    let (payload, crc) = rest.split_at(rest.len() - 4);
    let mut h = crc32fast::Hasher::new();
    h.update(&head);
    h.update(payload);
    if h.finalize() != u32::from_le_bytes(crc.try_into().ok()?) {
        return None;
    }
    Some(payload.to_vec())
}

struct Writer {
    wr: OwnedWriteHalf,
    key: [u8; 256],
    key_id: [u8; 8],
    session_id: i64,
    send_seq: i32,
    content_count: i32,
    last_msg_id: i64,
}

impl Writer {
    fn next_msg_id(&mut self, response: bool) -> i64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let base = ((now.as_secs() as i64) << 32) | ((now.subsec_nanos() as i64) << 2);
        let mut id = (base & !3) | if response { 1 } else { 3 };
        while id <= self.last_msg_id {
            id += 4;
        }
        self.last_msg_id = id;
        id
    }

    async fn send(&mut self, out: Out) -> std::io::Result<()> {
        let msg_id = self.next_msg_id(out.response);
        let seq_no = self.content_count * 2 + 1;
        self.content_count += 1;
        let mut plain = Vec::with_capacity(32 + out.body.len());
        plain.extend_from_slice(&0i64.to_le_bytes());
        plain.extend_from_slice(&self.session_id.to_le_bytes());
        plain.extend_from_slice(&msg_id.to_le_bytes());
        plain.extend_from_slice(&seq_no.to_le_bytes());
        plain.extend_from_slice(&(out.body.len() as i32).to_le_bytes());
        plain.extend_from_slice(&out.body);
        let payload = crypto::seal(&self.key, &self.key_id, plain);
        let len = payload.len() as i32 + 12;
        let mut frame = Vec::with_capacity(len as usize);
        frame.extend_from_slice(&len.to_le_bytes());
        frame.extend_from_slice(&self.send_seq.to_le_bytes());
        frame.extend_from_slice(&payload);
        let crc = crc32fast::hash(&frame);
        frame.extend_from_slice(&crc.to_le_bytes());
        self.send_seq += 1;
        self.wr.write_all(&frame).await
    }
}

enum Item {
    Rpc { msg_id: i64, body: Vec<u8> },
    Pong { msg_id: i64, ping_id: i64 },
}

fn ctor(body: &[u8]) -> u32 {
    body.get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .unwrap_or(0)
}

/// Flattens containers and gzip into a list of things to answer.
fn flatten(msg_id: i64, body: &[u8], items: &mut Vec<Item>, depth: u8) {
    if depth > 4 {
        return;
    }
    match ctor(body) {
        MSG_CONTAINER => {
            let Some(count) = body
                .get(4..8)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            else {
                return;
            };
            let mut pos = 8usize;
            for _ in 0..count.max(0) {
                let Some(head) = body.get(pos..pos + 16) else {
                    return;
                };
                let inner_id = i64::from_le_bytes(head[..8].try_into().unwrap_or_default());
                let len =
                    i32::from_le_bytes(head[12..16].try_into().unwrap_or_default()).max(0) as usize;
                let Some(inner) = body.get(pos + 16..pos + 16 + len) else {
                    return;
                };
                flatten(inner_id, inner, items, depth + 1);
                pos += 16 + len;
            }
        }
        GZIP_PACKED => {
            let Ok(packed) = Vec::<u8>::from_bytes(&body[4..]) else {
                return;
            };
            let mut out = Vec::new();
            if flate2::read::GzDecoder::new(&packed[..])
                .read_to_end(&mut out)
                .is_ok()
            {
                flatten(msg_id, &out, items, depth + 1);
            }
        }
        MSGS_ACK => {}
        PING | PING_DELAY_DISCONNECT => {
            if let Some(b) = body.get(4..12) {
                items.push(Item::Pong {
                    msg_id,
                    ping_id: i64::from_le_bytes(b.try_into().unwrap_or_default()),
                });
            }
        }
        _ => items.push(Item::Rpc {
            msg_id,
            body: body.to_vec(),
        }),
    }
}

pub(crate) fn rpc_error_body(code: i32, message: &str) -> Vec<u8> {
    let mut v = RPC_ERROR.to_le_bytes().to_vec();
    code.serialize(&mut v);
    message.to_string().serialize(&mut v);
    v
}

/// The line a test-mode client sends instead of an MTProto frame to be issued an auth key (the
/// stand-in for the DH handshake, which needs Telegram's RSA keys: see the crate doc).
pub(crate) const ISSUE_KEY_REQUEST: &[u8] = b"FAKE-DC-ISSUE-KEY\n";

/// Answers an [`ISSUE_KEY_REQUEST`]: registers a fresh (logged-out) key and sends it as hex.
async fn issue_key(shared: &Shared, mut stream: tokio::net::TcpStream) {
    let mut line = [0u8; ISSUE_KEY_REQUEST.len()];
    if stream.read_exact(&mut line).await.is_err() {
        return;
    }
    let mut key = [0u8; 256];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
    shared.lock().keys.insert(
        crypto::key_id(&key),
        crate::KeyEntry {
            key,
            user: None,
            pending_2fa: None,
        },
    );
    let mut hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    hex.push('\n');
    let _ = stream.write_all(hex.as_bytes()).await;
}

async fn serve(shared: Arc<Shared>, stream: tokio::net::TcpStream) {
    // A real frame starts with its length; "FAKE" as a length would be over 1 GB, so the two
    // never mix. Peek until the request line is complete or the bytes differ.
    let mut peek = [0u8; ISSUE_KEY_REQUEST.len()];
    loop {
        match stream.peek(&mut peek).await {
            Ok(n) if n > 0 && peek[..n] == ISSUE_KEY_REQUEST[..n] => {
                if n == peek.len() {
                    return issue_key(&shared, stream).await;
                }
                tokio::task::yield_now().await;
            }
            _ => break,
        }
    }
    let (mut rd, wr) = stream.into_split();
    let mut wr = Some(wr);
    let mut recv_seq = 0i32;
    let mut conn: Option<(u64, [u8; 8], mpsc::UnboundedSender<Out>)> = None;
    let mut down = shared.down.subscribe();
    'frames: loop {
        let frame = tokio::select! {
            f = read_frame(&mut rd, &mut recv_seq) => f,
            _ = down.wait_for(|d| *d) => None,
        };
        let Some(frame) = frame else { break };
        // A stalled link: hold the frame unanswered (and read nothing more) until resumed.
        let mut stalled = shared.stalled.subscribe();
        if stalled.wait_for(|s| !*s).await.is_err() {
            break;
        }
        if frame.len() < 8 + 16 + 32 {
            break;
        }
        let key_id: [u8; 8] = frame[..8].try_into().unwrap_or_default();
        if key_id == [0; 8] {
            tracing::warn!("fake dc: client attempted a DH handshake (unseeded session); closing");
            break;
        }
        if let Some((_, known, _)) = &conn
            && *known != key_id
        {
            break;
        }
        let mut key = shared.lock().keys.get(&key_id).map(|k| k.key);
        if key.is_none() {
            crate::watch::adopt(&shared, key_id).await;
            key = shared.lock().keys.get(&key_id).map(|k| k.key);
        }
        let Some(key) = key else {
            tracing::warn!("fake dc: unknown auth key; closing");
            break;
        };
        let Some(plain) = crypto::open(&key, &frame[8..]) else {
            break;
        };
        if plain.len() < 32 {
            break;
        }
        let session_id = i64::from_le_bytes(plain[8..16].try_into().unwrap_or_default());
        let msg_id = i64::from_le_bytes(plain[16..24].try_into().unwrap_or_default());
        let len = i32::from_le_bytes(plain[28..32].try_into().unwrap_or_default()).max(0) as usize;
        let Some(body) = plain.get(32..32 + len) else {
            break;
        };

        if conn.is_none() {
            let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
            let mut writer = Writer {
                wr: wr.take().expect("writer only created once"),
                key,
                key_id,
                session_id,
                send_seq: 0,
                content_count: 0,
                last_msg_id: 0,
            };
            tokio::spawn(async move {
                while let Some(out) = rx.recv().await {
                    if writer.send(out).await.is_err() {
                        break;
                    }
                }
                let _ = writer.wr.shutdown().await;
            });
            let mut st = shared.lock();
            st.next_conn += 1;
            let id = st.next_conn;
            st.conns
                .entry(key_id)
                .or_default()
                .push(Conn { id, tx: tx.clone() });
            conn = Some((id, key_id, tx));
        }
        let Some((_, _, tx)) = &conn else { break };

        let mut items = Vec::new();
        flatten(msg_id, body, &mut items, 0);
        for item in items {
            match item {
                Item::Pong { msg_id, ping_id } => {
                    let pong =
                        tl::enums::Pong::Pong(tl::types::Pong { msg_id, ping_id }).to_bytes();
                    let _ = tx.send(Out {
                        body: pong,
                        response: false,
                    });
                }
                Item::Rpc { msg_id, body } => {
                    let result = match dispatch::call(&shared, key_id, &body).await {
                        Ok(bytes) => bytes,
                        Err(e) if e.code == dispatch::FAULT_DROP => break 'frames,
                        Err(e) if e.code == dispatch::FAULT_STALL => continue,
                        Err(e) => rpc_error_body(e.code, &e.message),
                    };
                    let mut out = RPC_RESULT.to_le_bytes().to_vec();
                    out.extend_from_slice(&msg_id.to_le_bytes());
                    out.extend_from_slice(&result);
                    let _ = tx.send(Out {
                        body: out,
                        response: true,
                    });
                }
            }
        }
    }
    if let Some((id, key_id, _)) = conn {
        let mut st = shared.lock();
        if let Some(list) = st.conns.get_mut(&key_id) {
            list.retain(|c| c.id != id);
        }
    }
}
