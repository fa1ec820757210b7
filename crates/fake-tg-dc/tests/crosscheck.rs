//! grammers half of the cross-check: the requests in crosscheck.json must get the answers it
//! lists (tests/python/test_telethon_crosscheck.py holds Telethon to the same file).

mod common;

use common::{API_HASH, connect, peer};
use fake_tg_dc::{FakeDc, World};
use grammers_client::message::InputMessage;
use grammers_client::{InvocationError, SignInError, tl};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn facts() -> Value {
    serde_json::from_str(include_str!("crosscheck.json")).expect("crosscheck.json parses")
}

fn s(v: &Value) -> &str {
    v.as_str().expect("string in crosscheck.json")
}

fn int(v: &Value) -> i64 {
    v.as_i64().expect("integer in crosscheck.json")
}

fn peer_json(p: &tl::enums::Peer) -> Value {
    match p {
        tl::enums::Peer::User(u) => json!(["user", u.user_id]),
        tl::enums::Peer::Chat(c) => json!(["chat", c.chat_id]),
        tl::enums::Peer::Channel(c) => json!(["channel", c.channel_id]),
    }
}

fn entity_json(e: &tl::enums::MessageEntity) -> Value {
    use tl::enums::MessageEntity as E;
    match e {
        E::Bold(e) => json!(["bold", e.offset, e.length]),
        E::Italic(e) => json!(["italic", e.offset, e.length]),
        E::TextUrl(e) => json!(["text_url", e.offset, e.length, e.url]),
        other => json!([format!("{other:?}")]),
    }
}

fn entity_tl(v: &Value) -> tl::enums::MessageEntity {
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

fn rpc_err(e: InvocationError) -> (i32, String, Option<u32>) {
    match e {
        InvocationError::Rpc(r) => (r.code, r.name, r.value),
        other => panic!("expected an RPC error, got {other:?}"),
    }
}

/// Every message of a `messages.Messages`, with its `count` (the list length when absent).
fn unpack(r: tl::enums::messages::Messages) -> (Vec<tl::types::Message>, i32, Option<i32>) {
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

fn ids(msgs: &[tl::types::Message]) -> Vec<i64> {
    msgs.iter().map(|m| m.id as i64).collect()
}

fn json_ids(v: &Value) -> Vec<i64> {
    v.as_array().expect("id list").iter().map(int).collect()
}

async fn input_peer(c: &grammers_client::Client, username: &str) -> tl::enums::InputPeer {
    (&peer(c, username).await).into()
}

#[tokio::test]
async fn code_and_password_logins() {
    let f = facts();
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let (code, pw) = (&f["code_login"], &f["password_login"]);

    let t = connect(&dc, None).await;
    let token = t
        .client
        .request_login_code(s(&code["phone"]), API_HASH)
        .await
        .unwrap();
    assert_eq!(s(&code["wrong_code_error"]), "PHONE_CODE_INVALID");
    assert!(matches!(
        t.client.sign_in(&token, s(&code["wrong_code"])).await,
        Err(SignInError::InvalidCode)
    ));
    let user = t.client.sign_in(&token, s(&code["code"])).await.unwrap();
    assert_eq!(user.id().bare_id(), Some(int(&code["user_id"])));
    assert_eq!(user.username(), Some(s(&code["username"])));

    let t = connect(&dc, None).await;
    let token = t
        .client
        .request_login_code(s(&pw["phone"]), API_HASH)
        .await
        .unwrap();
    let pt = match t.client.sign_in(&token, s(&pw["code"])).await {
        Err(SignInError::PasswordRequired(pt)) => pt,
        other => panic!("expected {}, got {other:?}", s(&pw["needed_error"])),
    };
    assert_eq!(pt.hint(), Some(s(&pw["hint"])));
    let pt = match t.client.check_password(pt, s(&pw["wrong_password"])).await {
        Err(SignInError::InvalidPassword(pt)) => pt,
        other => panic!("expected {}, got {other:?}", s(&pw["wrong_password_error"])),
    };
    let user = t
        .client
        .check_password(pt, s(&pw["password"]))
        .await
        .unwrap();
    assert_eq!(user.id().bare_id(), Some(int(&pw["user_id"])));
}

fn get_dialogs(
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

type DialogPage = (
    Vec<tl::types::Dialog>,
    Vec<tl::enums::Message>,
    (Vec<tl::enums::User>, Vec<tl::enums::Chat>),
    i32,
);

fn dialogs_of(r: tl::enums::messages::Dialogs) -> DialogPage {
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
fn input_of(
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

#[tokio::test]
async fn dialogs_in_every_folder_and_paged() {
    let f = &facts()["dialogs"];
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(s(&facts()["account"]))).await;
    let (all, _, _, _) = dialogs_of(
        a.client
            .invoke(&get_dialogs(None, None, 100))
            .await
            .unwrap(),
    );
    let got: Vec<Value> = all
        .iter()
        .map(|d| {
            json!([
                peer_json(&d.peer),
                d.top_message,
                d.pinned,
                d.folder_id.unwrap_or(0),
                d.unread_count
            ])
        })
        .collect();
    assert_eq!(Value::Array(got), f["all"]);

    let mut offset = None;
    for page in f["main_pages"].as_array().unwrap() {
        let r = a.client.invoke(&get_dialogs(Some(0), offset, 3)).await;
        let (d, msgs, (users, chats), count) = dialogs_of(r.unwrap());
        assert_eq!(count as i64, int(&f["main_count"]));
        let peers: Vec<Value> = d.iter().map(|d| peer_json(&d.peer)).collect();
        assert_eq!(&Value::Array(peers), page);
        let last = d.last().unwrap();
        let date = msgs
            .iter()
            .find_map(|m| match m {
                tl::enums::Message::Message(m) if m.id == last.top_message => Some(m.date),
                _ => None,
            })
            .expect("top message of the last dialog");
        offset = Some((date, last.top_message, input_of(&last.peer, &users, &chats)));
    }
    let (arch, _, _, _) = dialogs_of(
        a.client
            .invoke(&get_dialogs(Some(1), None, 100))
            .await
            .unwrap(),
    );
    let peers: Vec<Value> = arch.iter().map(|d| peer_json(&d.peer)).collect();
    assert_eq!(Value::Array(peers), f["archive"]);
}

#[tokio::test]
async fn history_search_and_global_search_pages() {
    let f = facts();
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(s(&f["account"]))).await;

    let h = &f["history"];
    let carol = input_peer(&a.client, s(&h["peer"])).await;
    for page in h["pages"].as_array().unwrap() {
        let r = a
            .client
            .invoke(&tl::functions::messages::GetHistory {
                peer: carol.clone(),
                offset_id: int(&page["offset_id"]) as i32,
                offset_date: 0,
                add_offset: int(&page["add_offset"]) as i32,
                limit: int(&page["limit"]) as i32,
                max_id: 0,
                min_id: 0,
                hash: 0,
            })
            .await
            .unwrap();
        let (msgs, count, _) = unpack(r);
        assert_eq!(ids(&msgs), json_ids(&page["ids"]), "history page {page}");
        assert_eq!(count as i64, int(&h["count"]));
        for m in &msgs {
            if let Some(t) = h["texts"].get(m.id.to_string()) {
                assert_eq!(m.message, s(t));
            }
        }
    }

    let q = &f["search"];
    for page in q["pages"].as_array().unwrap() {
        let r = a
            .client
            .invoke(&tl::functions::messages::Search {
                peer: input_peer(&a.client, s(&q["peer"])).await,
                q: s(&q["q"]).into(),
                from_id: None,
                saved_peer_id: None,
                saved_reaction: None,
                top_msg_id: None,
                filter: tl::enums::MessagesFilter::InputMessagesFilterEmpty,
                min_date: 0,
                max_date: 0,
                offset_id: int(&page["offset_id"]) as i32,
                add_offset: 0,
                limit: int(&page["limit"]) as i32,
                max_id: 0,
                min_id: 0,
                hash: 0,
            })
            .await
            .unwrap();
        let (msgs, count, _) = unpack(r);
        assert_eq!(ids(&msgs), json_ids(&page["ids"]), "search page {page}");
        assert_eq!(count as i64, int(&q["count"]));
    }

    let g = &f["search_global"];
    let (mut rate, mut op, mut oid) = (0, tl::enums::InputPeer::Empty, 0);
    for page in g["pages"].as_array().unwrap() {
        let r = a
            .client
            .invoke(&tl::functions::messages::SearchGlobal {
                broadcasts_only: false,
                groups_only: false,
                users_only: false,
                folder_id: None,
                community: None,
                q: s(&g["q"]).into(),
                filter: tl::enums::MessagesFilter::InputMessagesFilterEmpty,
                min_date: 0,
                max_date: 0,
                offset_rate: rate,
                offset_peer: op.clone(),
                offset_id: oid,
                limit: int(&g["limit"]) as i32,
            })
            .await
            .unwrap();
        let (users, chats) = match &r {
            tl::enums::messages::Messages::Slice(m) => (m.users.clone(), m.chats.clone()),
            tl::enums::messages::Messages::Messages(m) => (m.users.clone(), m.chats.clone()),
            _ => Default::default(),
        };
        let (msgs, count, next_rate) = unpack(r);
        let got: Vec<Value> = msgs
            .iter()
            .map(|m| json!([peer_json(&m.peer_id), m.id]))
            .collect();
        assert_eq!(&Value::Array(got), &page["messages"]);
        assert_eq!(count as i64, int(&g["count"]));
        assert_eq!(next_rate.is_some(), page["next_rate"] == true);
        let last = msgs.last().unwrap();
        rate = next_rate.unwrap_or(0);
        oid = last.id;
        op = input_of(&last.peer_id, &users, &chats);
    }
}

#[tokio::test]
async fn rich_messages_decode() {
    let f = &facts()["rich"];
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(s(&facts()["account"]))).await;
    let want = f["messages"].as_array().unwrap();
    let r = a
        .client
        .invoke(&tl::functions::messages::GetMessages {
            id: want
                .iter()
                .map(|m| {
                    tl::types::InputMessageId {
                        id: int(&m["id"]) as i32,
                    }
                    .into()
                })
                .collect(),
        })
        .await
        .unwrap();
    let (msgs, _, _) = unpack(r);
    assert_eq!(msgs.len(), want.len());
    for (m, w) in msgs.iter().zip(want) {
        assert_eq!(m.id as i64, int(&w["id"]));
        assert_eq!(m.message, s(&w["text"]), "{w}");
        assert_eq!(m.out, w["out"] == true, "{w}");
        assert_eq!(
            m.from_id.as_ref().map(peer_json),
            Some(json!(["user", w["from"]]))
        );
        let ents: Vec<Value> = m.entities.iter().flatten().map(entity_json).collect();
        assert_eq!(
            Value::Array(ents),
            w.get("entities").cloned().unwrap_or(json!([]))
        );
        let reply = m.reply_to.as_ref().and_then(|r| match r {
            tl::enums::MessageReplyHeader::Header(h) => h.reply_to_msg_id,
            _ => None,
        });
        assert_eq!(reply.map(i64::from), w.get("reply_to").map(int), "{w}");
        let fwd = m
            .fwd_from
            .as_ref()
            .map(|tl::enums::MessageFwdHeader::Header(h)| {
                (h.from_id.as_ref().map(peer_json), h.channel_post)
            });
        assert_eq!(
            fwd,
            w.get("fwd_from")
                .map(|p| (Some(p.clone()), w["fwd_post"].as_i64().map(|x| x as i32)))
        );
        use tl::enums::MessageMedia as MM;
        let media = match &m.media {
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
                        tl::enums::DocumentAttribute::Audio(au) => {
                            v["duration"] = json!(au.duration)
                        }
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
        };
        if let Some(media) = media {
            for (k, v) in media.as_object().unwrap() {
                assert_eq!(&w[k], v, "{k} of message {}", m.id);
            }
        } else {
            assert!(w.get("media").is_none(), "{w}");
        }
    }
}

#[tokio::test]
async fn send_with_entities_then_edit() {
    let f = &facts()["send"];
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(s(&facts()["account"]))).await;
    let erin = peer(&a.client, s(&f["peer"])).await;
    let entities: Vec<_> = f["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(entity_tl)
        .collect();
    let sent = a
        .client
        .send_message(
            erin,
            InputMessage::new()
                .text(s(&f["text"]))
                .fmt_entities(entities),
        )
        .await
        .unwrap();
    assert_eq!(sent.id() as i64, int(&f["id"]));
    let stored = a
        .client
        .get_messages_by_id(erin, &[sent.id()])
        .await
        .unwrap();
    let tl::enums::Message::Message(m) = &stored[0].as_ref().unwrap().raw else {
        panic!("message")
    };
    assert_eq!((m.message.as_str(), m.out), (s(&f["text"]), true));
    let ents: Vec<Value> = m.entities.iter().flatten().map(entity_json).collect();
    assert_eq!(Value::Array(ents), f["entities"]);

    let edit: Vec<_> = f["edit_entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(entity_tl)
        .collect();
    a.client
        .edit_message(
            erin,
            sent.id(),
            InputMessage::new()
                .text(s(&f["edit_text"]))
                .fmt_entities(edit),
        )
        .await
        .unwrap();
    let stored = a
        .client
        .get_messages_by_id(erin, &[sent.id()])
        .await
        .unwrap();
    let tl::enums::Message::Message(m) = &stored[0].as_ref().unwrap().raw else {
        panic!("message")
    };
    assert_eq!(m.message, s(&f["edit_text"]));
    assert!(m.edit_date.is_some());
    let ents: Vec<Value> = m.entities.iter().flatten().map(entity_json).collect();
    assert_eq!(Value::Array(ents), f["edit_entities"]);
}

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

#[tokio::test]
async fn upload_then_download_and_fixture_files() {
    let f = facts();
    let (u, d) = (&f["upload"], &f["download"]);
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(s(&f["account"]))).await;
    let erin = peer(&a.client, s(&u["peer"])).await;
    let data: Vec<u8> = (0..int(&u["size"]) as usize)
        .map(|i| ((i * 7 + 3) % 251) as u8)
        .collect();
    assert_eq!(sha256_hex(&data), s(&u["sha256"]));
    let mut cursor = std::io::Cursor::new(data.clone());
    let up = a
        .client
        .upload_stream(&mut cursor, data.len(), s(&u["name"]).into())
        .await
        .unwrap();
    let sent = a
        .client
        .send_message(
            erin,
            InputMessage::new().text(s(&u["caption"])).document(up),
        )
        .await
        .unwrap();
    assert_eq!(sent.id() as i64, int(&u["id"]));
    let mut back = Vec::new();
    let mut dl = a.client.iter_download(&sent.media().expect("document"));
    while let Some(chunk) = dl.next().await.unwrap() {
        back.extend_from_slice(&chunk);
    }
    assert_eq!(sha256_hex(&back), s(&u["sha256"]));

    let fixtures = a
        .client
        .get_messages_by_id(
            erin,
            &[
                int(&d["document"]["id"]) as i32,
                int(&d["photo"]["id"]) as i32,
            ],
        )
        .await
        .unwrap();
    let mut files = Vec::new();
    for m in &fixtures {
        let media = m.as_ref().and_then(|m| m.media()).expect("fixture media");
        let mut dl = a.client.iter_download(&media).chunk_size(128 * 1024);
        let mut bytes = Vec::new();
        while let Some(chunk) = dl.next().await.unwrap() {
            bytes.extend_from_slice(&chunk);
        }
        files.push(bytes);
    }
    assert_eq!(files[0].len() as i64, int(&d["document"]["size"]));
    assert_eq!(sha256_hex(&files[0]), s(&d["document"]["sha256"]));
    assert_eq!(files[1].len() as i64, int(&d["photo"]["size"]));
    assert_eq!(json!(files[1][..4]), d["photo"]["head"]);

    // A chunk size Telegram refuses is refused here too.
    let tl::enums::Message::Message(m) = &fixtures[0].as_ref().unwrap().raw else {
        panic!()
    };
    let Some(tl::enums::MessageMedia::Document(md)) = &m.media else {
        panic!()
    };
    let Some(tl::enums::Document::Document(doc)) = &md.document else {
        panic!()
    };
    let e = a
        .client
        .invoke(&tl::functions::upload::GetFile {
            precise: false,
            cdn_supported: false,
            location: tl::types::InputDocumentFileLocation {
                id: doc.id,
                access_hash: doc.access_hash,
                file_reference: doc.file_reference.clone(),
                thumb_size: String::new(),
            }
            .into(),
            offset: 0,
            limit: int(&d["bad_limit"]) as i32,
        })
        .await
        .unwrap_err();
    assert_eq!(rpc_err(e).1, s(&d["bad_limit_error"]));
}

#[tokio::test]
async fn forum_topic_and_comment_thread() {
    let f = facts();
    let (fo, co) = (&f["forum"], &f["comments"]);
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(s(&f["account"]))).await;
    let (_, _, (users, chats), _) = dialogs_of(
        a.client
            .invoke(&get_dialogs(None, None, 100))
            .await
            .unwrap(),
    );
    let forum = input_of(
        &tl::types::PeerChannel {
            channel_id: int(&fo["channel"]),
        }
        .into(),
        &users,
        &chats,
    );
    let tl::enums::messages::ForumTopics::Topics(t) = a
        .client
        .invoke(&tl::functions::messages::GetForumTopics {
            peer: forum.clone(),
            q: None,
            offset_date: 0,
            offset_id: 0,
            offset_topic: 0,
            limit: 10,
        })
        .await
        .unwrap();
    let got: Vec<Value> = t
        .topics
        .iter()
        .map(|t| match t {
            tl::enums::ForumTopic::Topic(t) => json!([t.id, t.title, t.top_message]),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(Value::Array(got), fo["topics"]);
    assert_eq!(t.count as usize, fo["topics"].as_array().unwrap().len());

    let forum_ref = a
        .client
        .resolve_peer(grammers_client::session::types::PeerRef {
            id: grammers_client::session::types::PeerId::channel_unchecked(int(&fo["channel"])),
            auth: grammers_client::session::types::PeerAuth::from_hash(match &forum {
                tl::enums::InputPeer::Channel(c) => c.access_hash,
                _ => unreachable!(),
            }),
        });
    let forum_ref = forum_ref.await.unwrap().to_ref().await.unwrap().unwrap();
    let sent = a
        .client
        .send_message(
            forum_ref,
            InputMessage::new()
                .text(s(&fo["reply_text"]))
                .reply_to(Some(int(&fo["reply_topic"]) as i32)),
        )
        .await
        .unwrap();
    assert_eq!(sent.id() as i64, int(&fo["reply_id"]));
    let replies = |peer: tl::enums::InputPeer, msg_id: i64| tl::functions::messages::GetReplies {
        peer,
        msg_id: msg_id as i32,
        offset_id: 0,
        offset_date: 0,
        add_offset: 0,
        limit: 10,
        max_id: 0,
        min_id: 0,
        hash: 0,
    };
    let (msgs, _, _) = unpack(
        a.client
            .invoke(&replies(forum, int(&fo["reply_topic"])))
            .await
            .unwrap(),
    );
    assert_eq!(ids(&msgs), json_ids(&fo["replies"]));
    let tl::enums::MessageReplyHeader::Header(h) = msgs[0].reply_to.as_ref().unwrap() else {
        panic!("reply header")
    };
    assert!(h.forum_topic);
    assert_eq!(
        h.reply_to_msg_id.map(i64::from),
        Some(int(&fo["reply_topic"]))
    );

    let news = input_peer(&a.client, s(&co["channel"])).await;
    let tl::enums::messages::DiscussionMessage::Message(dm) = a
        .client
        .invoke(&tl::functions::messages::GetDiscussionMessage {
            peer: news.clone(),
            msg_id: int(&co["post"]) as i32,
        })
        .await
        .unwrap();
    let root = match &dm.messages[0] {
        tl::enums::Message::Message(m) => (peer_json(&m.peer_id), m.id),
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(
        root,
        (json!(["channel", co["group"]]), int(&co["root"]) as i32)
    );
    assert_eq!(dm.max_id.map(i64::from), Some(int(&co["max_id"])));
    let (msgs, count, _) = unpack(
        a.client
            .invoke(&replies(news, int(&co["post"])))
            .await
            .unwrap(),
    );
    let got: Vec<Value> = msgs
        .iter()
        .map(|m| {
            assert_eq!(peer_json(&m.peer_id), json!(["channel", co["group"]]));
            json!([m.id, m.message])
        })
        .collect();
    assert_eq!(Value::Array(got), co["comments"]);
    assert_eq!(count as usize, co["comments"].as_array().unwrap().len());
}

#[tokio::test]
async fn flood_wait_and_phone_migrate_errors() {
    let f = facts();
    let (fl, mi) = (&f["flood_wait"], &f["phone_migrate"]);
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(s(&f["account"]))).await;
    let carol = input_peer(&a.client, "carol").await;
    dc.inject_error(s(&fl["method"]), int(&fl["code"]) as i32, s(&fl["error"]));
    let e = a
        .client
        .invoke(&tl::functions::messages::GetHistory {
            peer: carol,
            offset_id: 0,
            offset_date: 0,
            add_offset: 0,
            limit: 1,
            max_id: 0,
            min_id: 0,
            hash: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(
        rpc_err(e),
        (
            int(&fl["code"]) as i32,
            s(&fl["name"]).into(),
            Some(int(&fl["seconds"]) as u32)
        )
    );
    dc.inject_error(s(&mi["method"]), int(&mi["code"]) as i32, s(&mi["error"]));
    let e = a
        .client
        .invoke(&tl::functions::auth::SendCode {
            phone_number: s(&f["account"]).into(),
            api_id: common::API_ID,
            api_hash: API_HASH.into(),
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
        })
        .await
        .unwrap_err();
    assert_eq!(
        rpc_err(e),
        (
            int(&mi["code"]) as i32,
            s(&mi["name"]).into(),
            Some(int(&mi["dc"]) as u32)
        )
    );
}
