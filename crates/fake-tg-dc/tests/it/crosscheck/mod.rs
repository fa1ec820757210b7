//! grammers half of the cross-check: the requests in expected.json must get the answers it
//! lists (tests/python/test_telethon_crosscheck.py holds Telethon to the same file).

use crate::common;
mod tl_json;

use common::{API_HASH, connect, peer};
use fake_tg_dc::{FakeDc, World};
use grammers_client::message::InputMessage;
use grammers_client::{SignInError, tl};
use serde_json::{Value, json};
use tl_json::*;

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
            .invoke(&get_history(
                carol.clone(),
                int(&page["offset_id"]) as i32,
                int(&page["add_offset"]) as i32,
                int(&page["limit"]) as i32,
            ))
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
        let media = media_json(&m.media);
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
        .invoke(&get_history(carol, 0, 0, 1))
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
        .invoke(&send_code(s(&f["account"]), common::API_ID, API_HASH))
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
