//! JSON views of layer-230 answers and request builders shared by the grammers cross-check.

use grammers_client::{InvocationError, tl};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::peer;

pub fn facts() -> Value {
    serde_json::from_str(include_str!("expected.json")).expect("crosscheck.json parses")
}

pub fn s(v: &Value) -> &str {
    v.as_str().expect("string in crosscheck.json")
}

pub fn int(v: &Value) -> i64 {
    v.as_i64().expect("integer in crosscheck.json")
}

pub fn peer_json(p: &tl::enums::Peer) -> Value {
    match p {
        tl::enums::Peer::User(u) => json!(["user", u.user_id]),
        tl::enums::Peer::Chat(c) => json!(["chat", c.chat_id]),
        tl::enums::Peer::Channel(c) => json!(["channel", c.channel_id]),
    }
}

pub fn entity_json(e: &tl::enums::MessageEntity) -> Value {
    use tl::enums::MessageEntity as E;
    match e {
        E::Bold(e) => json!(["bold", e.offset, e.length]),
        E::Italic(e) => json!(["italic", e.offset, e.length]),
        E::TextUrl(e) => json!(["text_url", e.offset, e.length, e.url]),
        other => json!([format!("{other:?}")]),
    }
}

pub fn entity_tl(v: &Value) -> tl::enums::MessageEntity {
    let (offset, length) = (int(&v[1]) as i32, int(&v[2]) as i32);
    match s(&v[0]) {
        "bold" => tl::types::MessageEntityBold { offset, length }.into(),
        "italic" => tl::types::MessageEntityItalic { offset, length }.into(),
        "text_url" => tl::types::MessageEntityTextUrl {
            offset,
            length,
            url: s(&v[3]).into(),
        }
        .into(),
        other => panic!("entity kind {other} not in entity_tl"),
    }
}

pub fn rpc_err(e: InvocationError) -> (i32, String, Option<u32>) {
    match e {
        InvocationError::Rpc(r) => (r.code, r.name, r.value),
        other => panic!("expected an RPC error, got {other:?}"),
    }
}

/// Every message of a `messages.Messages`, with its `count` (the list length when absent).
pub fn unpack(r: tl::enums::messages::Messages) -> (Vec<tl::types::Message>, i32, Option<i32>) {
    use tl::enums::messages::Messages as M;
    let (msgs, count, next_rate) = match r {
        M::Messages(m) => {
            let n = m.messages.len() as i32;
            (m.messages, n, None)
        }
        M::Slice(m) => (m.messages, m.count, m.next_rate),
        M::ChannelMessages(m) => (m.messages, m.count, None),
        M::NotModified(_) => panic!("messagesNotModified"),
    };
    let msgs = msgs
        .into_iter()
        .map(|m| match m {
            tl::enums::Message::Message(m) => m,
            other => panic!("expected a plain message, got {other:?}"),
        })
        .collect();
    (msgs, count, next_rate)
}

pub fn ids(msgs: &[tl::types::Message]) -> Vec<i64> {
    msgs.iter().map(|m| m.id as i64).collect()
}

pub fn json_ids(v: &Value) -> Vec<i64> {
    v.as_array().expect("id list").iter().map(int).collect()
}

pub async fn input_peer(c: &grammers_client::Client, username: &str) -> tl::enums::InputPeer {
    (&peer(c, username).await).into()
}

pub fn get_dialogs(
    folder_id: Option<i32>,
    offset: Option<(i32, i32, tl::enums::InputPeer)>,
    limit: i32,
) -> tl::functions::messages::GetDialogs {
    let (offset_date, offset_id, offset_peer) =
        offset.unwrap_or((0, 0, tl::enums::InputPeer::Empty));
    tl::functions::messages::GetDialogs {
        exclude_pinned: false,
        folder_id,
        offset_date,
        offset_id,
        offset_peer,
        limit,
        hash: 0,
    }
}

pub type DialogPage = (
    Vec<tl::types::Dialog>,
    Vec<tl::enums::Message>,
    (Vec<tl::enums::User>, Vec<tl::enums::Chat>),
    i32,
);

pub fn dialogs_of(r: tl::enums::messages::Dialogs) -> DialogPage {
    use tl::enums::messages::Dialogs as D;
    let (d, m, c, count) = match r {
        D::Dialogs(d) => {
            let n = d.dialogs.len() as i32;
            (d.dialogs, d.messages, (d.users, d.chats), n)
        }
        D::Slice(d) => (d.dialogs, d.messages, (d.users, d.chats), d.count),
        D::NotModified(_) => panic!("dialogsNotModified"),
    };
    let d = d
        .into_iter()
        .map(|d| match d {
            tl::enums::Dialog::Dialog(d) => d,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    (d, m, c, count)
}

/// `p` as an InputPeer, with the access hash from the users/chats of the same answer.
pub fn input_of(
    p: &tl::enums::Peer,
    users: &[tl::enums::User],
    chats: &[tl::enums::Chat],
) -> tl::enums::InputPeer {
    match p {
        tl::enums::Peer::Channel(c) => {
            let hash = chats
                .iter()
                .find_map(|x| match x {
                    tl::enums::Chat::Channel(x) if x.id == c.channel_id => x.access_hash,
                    _ => None,
                })
                .expect("channel in the answer");
            tl::types::InputPeerChannel {
                channel_id: c.channel_id,
                access_hash: hash,
            }
            .into()
        }
        tl::enums::Peer::Chat(c) => tl::types::InputPeerChat { chat_id: c.chat_id }.into(),
        tl::enums::Peer::User(u) => {
            let hash = users
                .iter()
                .find_map(|x| match x {
                    tl::enums::User::User(x) if x.id == u.user_id => x.access_hash,
                    _ => None,
                })
                .expect("user in the answer");
            tl::types::InputPeerUser {
                user_id: u.user_id,
                access_hash: hash,
            }
            .into()
        }
    }
}

pub fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// The media of a message as the JSON fields crosscheck.json uses (`None` without media).
pub fn media_json(media: &Option<tl::enums::MessageMedia>) -> Option<Value> {
    use tl::enums::MessageMedia as MM;
    match media {
        None => None,
        Some(MM::Photo(_)) => Some(json!({"media": "photo"})),
        Some(MM::Document(d)) => {
            let Some(tl::enums::Document::Document(doc)) = &d.document else {
                panic!("document body")
            };
            let mut v =
                json!({"media": if d.voice { "voice" } else { "document" }, "size": doc.size});
            for at in &doc.attributes {
                match at {
                    tl::enums::DocumentAttribute::Filename(n) => {
                        v["file_name"] = json!(n.file_name);
                        v["mime_type"] = json!(doc.mime_type);
                    }
                    tl::enums::DocumentAttribute::Audio(au) => v["duration"] = json!(au.duration),
                    _ => {}
                }
            }
            Some(v)
        }
        Some(MM::Poll(p)) => {
            let tl::enums::Poll::Poll(poll) = &p.poll;
            let text = |t: &tl::enums::TextWithEntities| match t {
                tl::enums::TextWithEntities::Entities(t) => t.text.clone(),
            };
            let answers: Vec<String> = poll
                .answers
                .iter()
                .map(|a| match a {
                    tl::enums::PollAnswer::Answer(a) => text(&a.text),
                    tl::enums::PollAnswer::InputPollAnswer(a) => text(&a.text),
                })
                .collect();
            Some(json!({"media": "poll", "question": text(&poll.question), "answers": answers}))
        }
        Some(other) => panic!("unexpected media {other:?}"),
    }
}

/// `messages.getHistory` with the paging knobs the cross-check varies.
pub fn get_history(
    peer: tl::enums::InputPeer,
    offset_id: i32,
    add_offset: i32,
    limit: i32,
) -> tl::functions::messages::GetHistory {
    tl::functions::messages::GetHistory {
        peer,
        offset_id,
        offset_date: 0,
        add_offset,
        limit,
        max_id: 0,
        min_id: 0,
        hash: 0,
    }
}

/// The first 10 messages of a thread (`messages.getReplies`).
pub fn replies(peer: tl::enums::InputPeer, msg_id: i64) -> tl::functions::messages::GetReplies {
    tl::functions::messages::GetReplies {
        peer,
        msg_id: msg_id as i32,
        offset_id: 0,
        offset_date: 0,
        add_offset: 0,
        limit: 10,
        max_id: 0,
        min_id: 0,
        hash: 0,
    }
}

/// A raw `auth.sendCode` with default code settings.
pub fn send_code(phone: &str, api_id: i32, api_hash: &str) -> tl::functions::auth::SendCode {
    tl::functions::auth::SendCode {
        phone_number: phone.into(),
        api_id,
        api_hash: api_hash.into(),
        settings: tl::types::CodeSettings {
            allow_flashcall: false,
            current_number: false,
            allow_app_hash: false,
            allow_missed_call: false,
            allow_firebase: false,
            unknown_number: false,
            logout_tokens: None,
            token: None,
            app_sandbox: None,
        }
        .into(),
    }
}
