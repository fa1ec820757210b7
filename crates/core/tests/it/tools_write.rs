//! send_message, edit_message, send_message_to_phone through HTTP MCP → grammers → fake DC.

use crate::common;
use common::*;
use fake_tg_dc::{PeerKey, demo};
use serde_json::json;

fn last_text(h: &TgHarness, viewer: i64, peer: PeerKey) -> String {
    h.dc.with_world(|w| w.last_message(viewer, peer).map(|m| m.text.clone()).unwrap_or_default())
}

#[tokio::test]
async fn send_markdown_html_plain_and_reply() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "send_message", json!({"chat_id": "@carol", "message": "**hello** `code`"})).await;
    assert_eq!(v["status"], "sent");
    let m = &v["messages"][0];
    assert_eq!(m["text"], "**hello** `code`", "entities round-trip as markdown: {v}");
    assert_eq!(m["outgoing"], true);
    assert_eq!(v["chat"]["username"], "carol");
    let stored = h.dc.with_world(|w| w.last_message(demo::A_ID, PeerKey::User(demo::CAROL_ID)).unwrap().entities.len());
    assert_eq!(stored, 2, "the server received bold + code entities");
    assert_eq!(last_text(&h, demo::A_ID, PeerKey::User(demo::CAROL_ID)), "hello code");

    h.ok(&tok, "send_message", json!({"chat_id": "carol", "message": "<b>bold</b> & <i>it</i>", "parse_mode": "html"}))
        .await;
    assert_eq!(last_text(&h, demo::A_ID, PeerKey::User(demo::CAROL_ID)), "bold & it");
    h.ok(&tok, "send_message", json!({"chat_id": "carol", "message": "**not bold**", "parse_mode": "plain"})).await;
    assert_eq!(last_text(&h, demo::A_ID, PeerKey::User(demo::CAROL_ID)), "**not bold**");

    let v = h.ok(&tok, "send_message", json!({"chat_id": "carol", "message": "answering", "reply_to_id": 5})).await;
    assert_eq!(v["messages"][0]["reply_to_msg_id"], 5);
}

#[tokio::test]
async fn long_messages_are_split_and_nothing_is_lost() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let text = format!("{}\n\n{}", "alpha ".repeat(700), "omega ".repeat(700)); // ~8400 chars
    let v = h.ok(&tok, "send_message", json!({"chat_id": "me", "message": text, "parse_mode": "plain"})).await;
    let msgs = v["messages"].as_array().unwrap();
    assert!(msgs.len() >= 3, "{}", msgs.len());
    let joined: String = msgs.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(joined, text);
    assert!(msgs.iter().all(|m| m["text"].as_str().unwrap().encode_utf16().count() <= 4096));
}

/// The last `n` messages of `viewer`'s chat with `peer` as the DC stored them: text and
/// (kind, offset, length) of each entity.
/// A stored message: its text and (kind, offset, length) of each entity.
type Stored = (String, Vec<(String, i32, i32)>);

fn stored_tail(h: &TgHarness, viewer: i64, peer: PeerKey, n: usize) -> Vec<Stored> {
    h.dc.with_world(|w| {
        let all = w.history(viewer, peer);
        all[all.len() - n..]
            .iter()
            .map(|m| {
                let ents = m
                    .entities
                    .iter()
                    .map(|e| {
                        let kind = format!("{e:?}");
                        (kind[..kind.find('(').unwrap_or(kind.len())].to_string(), e.offset(), e.length())
                    })
                    .collect();
                (m.text.clone(), ents)
            })
            .collect()
    })
}

#[tokio::test]
async fn long_messages_split_on_paragraph_then_word_boundaries_and_keep_entities() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    // 2999 chars, a paragraph break, 4999 bold chars, a line break and a short tail.
    let para = "alpha ".repeat(500).trim_end().to_string();
    let bold = "beta ".repeat(1000).trim_end().to_string();
    let tail = "gamma ".repeat(20).trim_end().to_string();
    let text = format!("{para}\n\n**{bold}**\n{tail}");
    let v = h.ok(&tok, "send_message", json!({"chat_id": "me", "message": text, "parse_mode": "markdown"})).await;
    assert_eq!(v["messages"].as_array().unwrap().len(), 3, "{v}");
    let got = stored_tail(&h, demo::A_ID, PeerKey::User(demo::A_ID), 3);
    // 1: the first 4096 units hold the paragraph break, which wins over any later space.
    assert_eq!(got[0].0, format!("{para}\n\n"), "first chunk ends at the paragraph break");
    assert!(got[0].1.is_empty(), "{:?}", got[0].1);
    // 2: no newline within the next 4096 units: the cut falls after the last whole word that fits.
    let second = "beta ".repeat(819);
    assert_eq!(got[1].0, second, "second chunk ends on a word boundary");
    assert_eq!(got[1].1, vec![("Bold".to_string(), 0, second.len() as i32)], "bold is clipped into the chunk");
    // 3: the rest of the bold run keeps its formatting, rebased to the chunk's start.
    let rest = "beta ".repeat(180) + "beta";
    assert_eq!(got[2].0, format!("{rest}\n{tail}"));
    assert_eq!(got[2].1, vec![("Bold".to_string(), 0, rest.len() as i32)]);
}

#[tokio::test]
async fn forum_topic_and_channel_comment() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let forum = (-1_000_000_000_000 - demo::DEV_FORUM_ID).to_string();
    let v = h
        .ok(&tok, "send_message", json!({"chat_id": forum, "message": "topic post", "reply_to_id": demo::TOPIC_BUGS}))
        .await;
    assert_eq!(v["messages"][0]["topic_id"], demo::TOPIC_BUGS, "{v}");
    // Replying to a broadcast post comments in the discussion group.
    let v = h
        .ok(
            &tok,
            "send_message",
            json!({"chat_id": "@technews", "message": "my comment", "reply_to_id": demo::COMMENTED_POST_ID}),
        )
        .await;
    assert_eq!(v["chat"]["username"], "technews_chat", "{v}");
    let c = h.ok(&tok, "get_messages", json!({"chat_id": "@technews", "reply_to_id": demo::COMMENTED_POST_ID})).await;
    assert!(texts(&c).contains(&"my comment".to_string()), "{c}");
}

#[tokio::test]
async fn edit_own_message_and_refuse_others() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v = h.ok(&tok, "send_message", json!({"chat_id": "carol", "message": "draft"})).await;
    let id = v["messages"][0]["id"].as_i64().unwrap();
    let e =
        h.ok(&tok, "edit_message", json!({"chat_id": "carol", "message_id": id, "message": "final **version**"})).await;
    assert_eq!(e["status"], "edited");
    assert_eq!(e["message"]["text"], "final **version**");
    assert!(e["message"]["edit_date"].is_string());
    assert_eq!(last_text(&h, demo::A_ID, PeerKey::User(demo::CAROL_ID)), "final version");
    // Message 1 is Carol's.
    let (err, v) =
        h.call(&tok, "edit_message", json!({"chat_id": "carol", "message_id": 1, "message": "hijack"})).await;
    assert!(err);
    assert_eq!(v["error"], "you can only edit your own messages", "{v}");
    assert_eq!(last_text(&h, demo::A_ID, PeerKey::User(demo::CAROL_ID)), "final version", "nothing was changed");
}

#[tokio::test]
async fn send_to_phone_existing_and_new_contact_with_cleanup() {
    let h = TgHarness::start(&[]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let v =
        h.ok(&tok, "send_message_to_phone", json!({"phone_number": demo::CAROL_PHONE, "message": "by phone"})).await;
    assert_eq!(v["contact_was_new"], false);
    assert_eq!(last_text(&h, demo::A_ID, PeerKey::User(demo::CAROL_ID)), "by phone");
    assert!(!v.to_string().contains(demo::CAROL_PHONE), "phone is masked in the result");

    let v = h
        .ok(
            &tok,
            "send_message_to_phone",
            json!({"phone_number": demo::FRANK_PHONE, "message": "hi Frank", "remove_if_new": true}),
        )
        .await;
    assert_eq!(v["contact_was_new"], true);
    assert_eq!(v["contact_removed"], true);
    assert_eq!(last_text(&h, demo::A_ID, PeerKey::User(demo::FRANK_ID)), "hi Frank");
    let still_contact = h.dc.with_world(|w| w.accounts[&demo::A_ID].contacts.contains(&demo::FRANK_ID));
    assert!(!still_contact);
    let calls: Vec<String> = h.dc.calls().into_iter().map(|c| c.method).collect();
    assert!(
        calls.iter().any(|m| m == "contacts.importContacts") && calls.iter().any(|m| m == "contacts.deleteContacts")
    );

    let (err, v) = h.call(&tok, "send_message_to_phone", json!({"phone_number": "+19999999999", "message": "x"})).await;
    assert!(err, "{v}");
    assert_eq!(v["error"], "+19•••••••99 is not on Telegram (or does not accept contacts)", "masked, and says why");
    let (err, v) = h.call(&tok, "send_message_to_phone", json!({"phone_number": "call me", "message": "x"})).await;
    assert!(err && v["error"].as_str().unwrap().contains("international"));
}

#[tokio::test]
async fn files_by_url_and_local_path_rules() {
    // A real loopback HTTP server; private-IP blocking is switched off for this test only.
    let h = TgHarness::start(&[("BLOCK_PRIVATE_IPS", "false"), ("ALLOW_HTTP_URLS", "true")]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let served = payload.clone();
    let app = axum::Router::new().route(
        "/files/notes.bin",
        axum::routing::get(move || {
            let b = served.clone();
            async move { b }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let url = format!("http://{addr}/files/notes.bin");
    let v = h.ok(&tok, "send_message", json!({"chat_id": "me", "message": "attached", "files": [url]})).await;
    let m = &v["messages"][0];
    assert_eq!(m["media"]["file_name"], "notes.bin", "{v}");
    assert_eq!(m["text"], "attached");
    let got = h.dc.with_world(|w| {
        let msg = w.last_message(demo::A_ID, PeerKey::User(demo::A_ID)).unwrap();
        match msg.media {
            Some(fake_tg_dc::Media::Document(id)) => w.files[&id].bytes.clone(),
            ref other => panic!("{other:?}"),
        }
    });
    assert_eq!(got, payload, "uploaded bytes equal the served bytes");

    // Album of two.
    let v = h.ok(&tok, "send_message", json!({"chat_id": "me", "message": "album", "files": [format!("http://{addr}/files/notes.bin"), format!("http://{addr}/files/notes.bin")]})).await;
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2, "{v}");
    assert_eq!(
        h.dc.calls().iter().filter(|c| c.method == "messages.sendMultiMedia").count(),
        1,
        "one album request, not two sends"
    );
    // Both messages of the album carry the same grouped_id, the caption on the first only.
    let ids: Vec<i32> = msgs.iter().map(|m| m["id"].as_i64().unwrap() as i32).collect();
    let stored = h.dc.with_world(|w| {
        ids.iter()
            .map(|id| {
                let m = w.message(demo::A_ID, PeerKey::User(demo::A_ID), *id).unwrap();
                (m.grouped_id, m.text.clone(), m.media.is_some())
            })
            .collect::<Vec<_>>()
    });
    let group = stored[0].0.expect("grouped into an album");
    assert!(stored.iter().all(|(g, _, media)| *g == Some(group) && *media), "{stored:?}");
    assert_eq!((stored[0].1.as_str(), stored[1].1.as_str()), ("album", ""));

    // Local paths are refused over HTTP, whatever they point at.
    let (err, v) =
        h.call(&tok, "send_message", json!({"chat_id": "me", "message": "x", "files": ["/etc/hostname"]})).await;
    assert!(err && v["error"].as_str().unwrap().contains("stdio"), "{v}");
}

#[tokio::test]
async fn ssrf_is_blocked_by_default() {
    // http is allowed here so that the address check, not the scheme check, has to refuse.
    let h = TgHarness::start(&[("ALLOW_HTTP_URLS", "true")]).await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    // A local listener every loopback URL points at: with blocking off each of them would connect.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let cases = [
        (format!("http://127.0.0.1:{port}/x"), "resolves to blocked address 127.0.0.1 (loopback)"),
        (format!("https://127.0.0.1:{port}/x"), "resolves to blocked address 127.0.0.1 (loopback)"),
        (format!("HTTPS://127.0.0.1:{port}/x"), "resolves to blocked address 127.0.0.1 (loopback)"),
        ("https://169.254.169.254/latest/meta-data".to_string(), "resolves to blocked address 169.254.169.254"),
        (format!("https://[::ffff:127.0.0.1]:{port}/x"), "resolves to blocked address"),
        (format!("http://2130706433:{port}/x"), "resolves to blocked address 127.0.0.1 (loopback)"),
        (format!("http://0x7f.1:{port}/x"), "resolves to blocked address 127.0.0.1 (loopback)"),
        (format!("http://localhost:{port}/x"), "host `localhost` is not allowed: loopback"),
    ];
    for (url, why) in &cases {
        let (err, v) = h.call(&tok, "send_message", json!({"chat_id": "me", "message": "x", "files": [url]})).await;
        assert!(err, "{url} {v}");
        let msg = v["error"].as_str().unwrap();
        assert!(msg.contains("cannot download") && msg.contains(why), "{url}: expected `{why}` in {v}");
    }
    // The calls have returned, so any connection attempt has completed its handshake by now.
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("a blocked URL reached the local listener: {other:?}"),
    }
    // Other URL schemes are refused by the one URL-or-path decision, not treated as paths.
    for url in ["file:///etc/passwd", "FILE:///etc/passwd", "ftp://127.0.0.1/x"] {
        let (err, v) = h.call(&tok, "send_message", json!({"chat_id": "me", "message": "x", "files": [url]})).await;
        assert!(err && v["error"].as_str().unwrap().contains("is not supported"), "{url} {v}");
    }
    let sent = h.dc.calls().iter().filter(|c| c.method.starts_with("messages.send")).count();
    assert_eq!(sent, 0, "nothing was sent for refused files");
}

#[tokio::test]
async fn max_file_size_applies_to_url_and_local_files() {
    let h = TgHarness::start(&[("BLOCK_PRIVATE_IPS", "false"), ("ALLOW_HTTP_URLS", "true"), ("MAX_FILE_SIZE_MB", "1")])
        .await;
    let tok = h.login(demo::A_PHONE, demo::A_CODE, None).await;
    const MB: usize = 1024 * 1024;
    let app = axum::Router::new()
        .route("/fits.bin", axum::routing::get(|| async { vec![1u8; MB] }))
        .route("/big.bin", axum::routing::get(|| async { vec![2u8; MB + 1] }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let sends = |h: &TgHarness| h.dc.calls().iter().filter(|c| c.method.starts_with("messages.send")).count();

    let (err, v) = h
        .call(
            &tok,
            "send_message",
            json!({"chat_id": "me", "message": "x", "files": [format!("http://{addr}/big.bin")]}),
        )
        .await;
    assert!(err);
    assert!(v["error"].as_str().unwrap().ends_with("response is larger than the 1048576-byte limit"), "{v}");
    assert_eq!(sends(&h), 0);
    h.ok(&tok, "send_message", json!({"chat_id": "me", "message": "x", "files": [format!("http://{addr}/fits.bin")]}))
        .await;
    assert_eq!(sends(&h), 1, "exactly the limit is allowed");

    // Local files (stdio only) from an allowed folder.
    let dir = tempfile::tempdir().unwrap();
    let (fits, big) = (dir.path().join("fits.bin"), dir.path().join("big.bin"));
    std::fs::write(&fits, vec![1u8; MB]).unwrap();
    std::fs::write(&big, vec![2u8; MB + 1]).unwrap();
    let mut s = h.srv.app.settings();
    s.allowed_file_roots = vec![dir.path().to_string_lossy().into_owned()];
    h.srv.app.update_settings(s).unwrap();
    let (err, v) = h
        .call_stdio(&tok, "send_message", json!({"chat_id": "me", "message": "x", "files": [big.to_str().unwrap()]}))
        .await;
    assert!(err, "{v}");
    let msg = v["error"].as_str().unwrap();
    assert!(
        msg.contains("big.bin") && msg.ends_with("is 1048577 bytes, over the 1048576 byte limit (MAX_FILE_SIZE_MB)"),
        "{v}"
    );
    assert_eq!(sends(&h), 1);
    let (err, v) = h
        .call_stdio(&tok, "send_message", json!({"chat_id": "me", "message": "x", "files": [fits.to_str().unwrap()]}))
        .await;
    assert!(!err, "{v}");
    assert_eq!(sends(&h), 2);
}
