//! Writing RPCs: send (markdown, replies, topics), edit, upload, albums, delete, read,
//! error injection and cross-account delivery.

use crate::common;

use common::{connect, peer};
use fake_tg_dc::{FakeDc, Media, PeerKey, World, demo};
use grammers_client::InvocationError;
use grammers_client::media::InputMedia;
use grammers_client::message::InputMessage;
use grammers_client::tl;

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 7 + i / 1000) % 251) as u8).collect()
}

#[tokio::test]
async fn send_markdown_and_edit() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(demo::A_PHONE)).await;
    let carol = peer(&a.client, "carol").await;
    let sent = a
        .client
        .send_message(
            carol,
            InputMessage::new().markdown("**bold** and [link](https://example.org)"),
        )
        .await
        .unwrap();
    assert_eq!(sent.id(), demo::A_LAST_BOX_ID + 1);
    assert_eq!(sent.text(), "bold and link");
    // The server saw entities and stored them.
    let call = dc
        .calls()
        .into_iter()
        .rfind(|c| c.method == "messages.sendMessage")
        .unwrap();
    assert!(
        call.request.contains("MessageEntityBold"),
        "{}",
        call.request
    );
    assert_eq!(call.user_id, Some(demo::A_ID));
    let (text, entities) = dc.with_world(|w| {
        let m = w
            .last_message(demo::A_ID, PeerKey::User(demo::CAROL_ID))
            .unwrap();
        (m.text.clone(), m.entities.clone())
    });
    assert_eq!(text, "bold and link");
    assert_eq!(
        entities,
        vec![
            tl::types::MessageEntityBold {
                offset: 0,
                length: 4
            }
            .into(),
            tl::types::MessageEntityTextUrl {
                offset: 9,
                length: 4,
                url: "https://example.org".into()
            }
            .into()
        ]
    );
    // History now starts with the new message.
    let first = a.client.iter_messages(carol).next().await.unwrap().unwrap();
    assert_eq!((first.id(), first.text()), (sent.id(), "bold and link"));

    a.client
        .edit_message(carol, sent.id(), InputMessage::new().text("edited text"))
        .await
        .unwrap();
    let (text, edited) = dc.with_world(|w| {
        let m = w
            .message(demo::A_ID, PeerKey::User(demo::CAROL_ID), sent.id())
            .unwrap();
        (m.text.clone(), m.edit_date.is_some())
    });
    assert_eq!((text.as_str(), edited), ("edited text", true));
    // Editing someone else's message fails like Telegram.
    a.client
        .edit_message(carol, 120, "A's own message (even n)")
        .await
        .unwrap();
    let e = a.client.edit_message(carol, 119, "nope").await.unwrap_err();
    assert!(e.is("MESSAGE_AUTHOR_REQUIRED"), "{e:?}");
}

#[tokio::test]
async fn replies_and_forum_topics() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(demo::A_PHONE)).await;
    let erin = peer(&a.client, "erin_e").await;
    let m = a
        .client
        .send_message(
            erin,
            InputMessage::new().text("reply here").reply_to(Some(126)),
        )
        .await
        .unwrap();
    assert_eq!(m.reply_to_message_id(), Some(126));
    assert_eq!(
        dc.with_world(|w| w
            .message(demo::A_ID, PeerKey::User(demo::ERIN_ID), m.id())
            .unwrap()
            .reply_to),
        Some(126)
    );

    // Post into the "Bugs" topic of the forum by replying to the topic root.
    let forum = {
        let mut it = a.client.iter_dialogs();
        let mut found = None;
        while let Some(d) = it.next().await.unwrap() {
            if d.peer_id().bare_id() == Some(demo::DEV_FORUM_ID) {
                found = Some(d.peer_ref());
            }
        }
        found.unwrap()
    };
    let m = a
        .client
        .send_message(
            forum,
            InputMessage::new()
                .text("topic reply")
                .reply_to(Some(demo::TOPIC_BUGS)),
        )
        .await
        .unwrap();
    assert_eq!(m.id(), 10);
    let thread = dc.with_world(|w| {
        w.message(demo::A_ID, PeerKey::Channel(demo::DEV_FORUM_ID), 10)
            .unwrap()
            .thread
    });
    assert_eq!(thread, Some(demo::TOPIC_BUGS));
    // Unknown reply target.
    let e = a
        .client
        .send_message(erin, InputMessage::new().text("x").reply_to(Some(5000)))
        .await
        .unwrap_err();
    assert!(e.is("REPLY_TO_INVALID"), "{e:?}");
}

#[tokio::test]
async fn upload_and_send_document_then_download() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(demo::A_PHONE)).await;
    let erin = peer(&a.client, "erin_e").await;
    let data = pattern(1_300_000); // 3 parts of 512 KiB
    let mut cursor = std::io::Cursor::new(data.clone());
    let up = a
        .client
        .upload_stream(&mut cursor, data.len(), "notes.bin".into())
        .await
        .unwrap();
    let sent = a
        .client
        .send_message(erin, InputMessage::new().text("here you go").document(up))
        .await
        .unwrap();
    assert_eq!(sent.text(), "here you go");
    let parts = dc
        .calls()
        .iter()
        .filter(|c| c.method == "upload.saveFilePart")
        .count();
    assert_eq!(parts, 3);
    let stored = dc.with_world(|w| {
        let m = w
            .message(demo::A_ID, PeerKey::User(demo::ERIN_ID), sent.id())
            .unwrap();
        let Some(Media::Document(id)) = m.media else {
            panic!("document expected")
        };
        (w.files[&id].bytes.clone(), w.files[&id].name.clone())
    });
    assert!(stored.0 == data, "stored bytes differ from uploaded bytes");
    assert_eq!(stored.1.as_deref(), Some("notes.bin"));
    // Round trip through upload.getFile.
    let media = sent.media().expect("media on returned message");
    let mut dl = a.client.iter_download(&media);
    let mut back = Vec::new();
    while let Some(chunk) = dl.next().await.unwrap() {
        back.extend_from_slice(&chunk);
    }
    assert!(back == data, "downloaded bytes differ");
}

#[tokio::test]
async fn album_delete_and_read() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(demo::A_PHONE)).await;
    let carol = peer(&a.client, "carol").await;
    let mut c1 = std::io::Cursor::new(pattern(5000));
    let mut c2 = std::io::Cursor::new(pattern(7000));
    let u1 = a
        .client
        .upload_stream(&mut c1, 5000, "a.jpg".into())
        .await
        .unwrap();
    let u2 = a
        .client
        .upload_stream(&mut c2, 7000, "b.txt".into())
        .await
        .unwrap();
    let sent = a
        .client
        .send_album(
            carol,
            vec![
                InputMedia::new().caption("first").photo(u1),
                InputMedia::new().caption("second").document(u2),
            ],
        )
        .await
        .unwrap();
    assert_eq!(sent.len(), 2);
    let ids: Vec<i32> = sent
        .iter()
        .map(|m| m.as_ref().expect("mapped by random_id").id())
        .collect();
    assert_eq!(ids, vec![demo::A_LAST_BOX_ID + 1, demo::A_LAST_BOX_ID + 2]);
    let grouped = dc.with_world(|w| {
        let h = w.history(demo::A_ID, PeerKey::User(demo::CAROL_ID));
        (
            h[h.len() - 2].grouped_id,
            h[h.len() - 1].grouped_id,
            h[h.len() - 1].text.clone(),
        )
    });
    assert!(grouped.0.is_some() && grouped.0 == grouped.1);
    assert_eq!(grouped.2, "second");
    assert_eq!(
        dc.calls()
            .iter()
            .filter(|c| c.method == "messages.uploadMedia")
            .count(),
        2
    );

    let n = a.client.delete_messages(carol, &ids).await.unwrap();
    assert_eq!(n, 2);
    assert!(dc.with_world(|w| {
        w.message(demo::A_ID, PeerKey::User(demo::CAROL_ID), ids[0])
            .is_none()
    }));

    // Carol chat starts with 10 unread; reading clears them.
    let unread = |dc: &FakeDc| {
        dc.with_world(|w| {
            *w.accounts[&demo::A_ID]
                .read_inbox
                .get(&PeerKey::User(demo::CAROL_ID))
                .unwrap()
        })
    };
    assert_eq!(unread(&dc), 100);
    a.client.mark_as_read(carol).await.unwrap();
    assert_eq!(unread(&dc), 120);
}

#[tokio::test]
async fn injected_errors_surface_to_grammers() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(demo::A_PHONE)).await;
    let carol = peer(&a.client, "carol").await;
    dc.inject_error("messages.getHistory", 420, "FLOOD_WAIT_7");
    let e = a.client.iter_messages(carol).next().await.unwrap_err();
    match e {
        InvocationError::Rpc(rpc) => {
            assert_eq!(
                (rpc.code, rpc.name.as_str(), rpc.value),
                (420, "FLOOD_WAIT", Some(7))
            );
        }
        other => panic!("expected rpc error, got {other:?}"),
    }
    // One-shot: the next call succeeds and both were recorded.
    assert!(
        a.client
            .iter_messages(carol)
            .next()
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        dc.calls()
            .iter()
            .filter(|c| c.method == "messages.getHistory")
            .count(),
        2
    );
    // Unknown methods are reported, not dropped.
    let e = a
        .client
        .invoke(&tl::functions::account::GetAuthorizations {})
        .await
        .unwrap_err();
    assert!(e.is("FAKE_DC_UNHANDLED_ACCOUNT_GETAUTHORIZATIONS"), "{e:?}");
    dc.inject_error("auth.signIn", 303, "PHONE_MIGRATE_2");
    let anon = connect(&dc, None).await;
    let token = anon
        .client
        .request_login_code(demo::A_PHONE, common::API_HASH)
        .await
        .unwrap();
    match anon.client.sign_in(&token, demo::A_CODE).await {
        Err(grammers_client::SignInError::Other(InvocationError::Rpc(r))) => {
            assert_eq!((r.code, r.value), (303, Some(2)))
        }
        other => panic!("expected 303, got {other:?}"),
    }
}

#[tokio::test]
async fn messages_reach_the_other_account() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(demo::A_PHONE)).await;
    let b = connect(&dc, Some(demo::B_PHONE)).await;
    let bob = peer(&a.client, "bob_b").await;
    let sent = a
        .client
        .send_message(bob, "cross account hello")
        .await
        .unwrap();
    let alice = peer(&b.client, "alice_a").await;
    let got = b.client.iter_messages(alice).next().await.unwrap().unwrap();
    assert_eq!(got.text(), "cross account hello");
    assert!(!got.outgoing());
    assert_ne!(got.id(), sent.id(), "ids are per-account for private chats");
    // Channel posts are shared by id.
    let news = peer(&a.client, "technews").await;
    let post = a
        .client
        .send_message(news, "Tech News: breaking")
        .await
        .unwrap();
    let news_b = peer(&b.client, "technews").await;
    let seen = b
        .client
        .get_messages_by_id(news_b, &[post.id()])
        .await
        .unwrap();
    assert_eq!(seen[0].as_ref().unwrap().text(), "Tech News: breaking");
    // B is not an admin of the broadcast channel.
    let e = b.client.send_message(news_b, "hi").await.unwrap_err();
    assert!(e.is("CHAT_WRITE_FORBIDDEN"), "{e:?}");
}
