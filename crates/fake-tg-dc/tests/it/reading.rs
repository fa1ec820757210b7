//! Reading RPCs: dialogs, history pagination, search, raw reads, downloads.

use crate::common;

use common::{connect, peer};
use fake_tg_dc::{FakeDc, PeerKey, World, demo, demo_document_bytes};
use grammers_client::tl;

#[tokio::test]
async fn dialogs_differ_per_account() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(demo::A_PHONE)).await;
    let b = connect(&dc, Some(demo::B_PHONE)).await;
    let mut names_a = Vec::new();
    let mut it = a.client.iter_dialogs();
    while let Some(d) = it.next().await.unwrap() {
        names_a.push(d.peer().name().unwrap_or_default().to_string());
    }
    let mut names_b = Vec::new();
    let mut it = b.client.iter_dialogs();
    while let Some(d) = it.next().await.unwrap() {
        names_b.push(d.peer().name().unwrap_or_default().to_string());
    }
    // Pinned Carol first. grammers asks without folder_id, which on Telegram means every
    // folder: the archived bot chat is listed too, by the date of its last message.
    assert_eq!(names_a[0], "Carol");
    assert_eq!(names_a.len(), 9, "{names_a:?}");
    assert_eq!(names_a[4], "Helper Bot", "{names_a:?}");
    assert!(names_a.iter().any(|n| n == "Family Group"));
    assert!(!names_a.iter().any(|n| n == "Bob Club"));
    assert_eq!(names_b.len(), 7, "{names_b:?}");
    assert!(names_b.iter().any(|n| n == "Bob Club"));
    assert!(!names_b.iter().any(|n| n == "Family Group"));
    assert!(names_b.iter().any(|n| n == "Dave"));
    // Answers were computed per key.
    let calls = dc.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.method == "messages.getDialogs" && c.user_id == Some(demo::A_ID))
    );
    assert!(
        calls
            .iter()
            .any(|c| c.method == "messages.getDialogs" && c.user_id == Some(demo::B_ID))
    );
}

#[tokio::test]
async fn dialogs_paginate_with_small_pages() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(demo::A_PHONE)).await;
    let mut it = a.client.iter_dialogs();
    assert_eq!(it.total().await.unwrap(), 9);
    let mut ids = Vec::new();
    let mut it = a.client.iter_dialogs().limit(8);
    while let Some(d) = it.next().await.unwrap() {
        ids.push(d.peer_id());
    }
    let mut dedup = ids.clone();
    dedup.sort_by_key(|p| p.bot_api_dialog_id());
    dedup.dedup();
    assert_eq!(dedup.len(), ids.len());
    assert_eq!(ids.len(), 8);
    // Raw paging of the main list (folder 0): 3 at a time using the last dialog as offset.
    let r = a
        .client
        .invoke(&tl::functions::messages::GetDialogs {
            exclude_pinned: false,
            folder_id: Some(0),
            offset_date: 0,
            offset_id: 0,
            offset_peer: tl::enums::InputPeer::Empty,
            limit: 3,
            hash: 0,
        })
        .await
        .unwrap();
    let tl::enums::messages::Dialogs::Slice(s) = r else {
        panic!("expected a slice")
    };
    assert_eq!(s.count, 8);
    assert_eq!(s.dialogs.len(), 3);
    // Archive folder holds the bot.
    let r = a
        .client
        .invoke(&tl::functions::messages::GetDialogs {
            exclude_pinned: false,
            folder_id: Some(1),
            offset_date: 0,
            offset_id: 0,
            offset_peer: tl::enums::InputPeer::Empty,
            limit: 100,
            hash: 0,
        })
        .await
        .unwrap();
    let tl::enums::messages::Dialogs::Dialogs(d) = r else {
        panic!("expected full dialogs")
    };
    assert_eq!(d.dialogs.len(), 1);
    let tl::enums::Dialog::Dialog(d0) = &d.dialogs[0] else {
        panic!()
    };
    assert_eq!(
        d0.peer,
        tl::types::PeerUser {
            user_id: demo::BOT_ID
        }
        .into()
    );
}

#[tokio::test]
async fn history_paginates_to_the_end() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(demo::A_PHONE)).await;
    let carol = peer(&a.client, "carol").await;
    let mut it = a.client.iter_messages(carol);
    assert_eq!(it.total().await.unwrap(), demo::CAROL_CHAT_LEN);
    let mut it = a.client.iter_messages(carol);
    let mut got = Vec::new();
    while let Some(m) = it.next().await.unwrap() {
        got.push((m.id(), m.text().to_string()));
    }
    let expected: Vec<(i32, String)> = dc.with_world(|w| {
        w.history(demo::A_ID, PeerKey::User(demo::CAROL_ID))
            .iter()
            .rev()
            .map(|m| (m.id, m.text.clone()))
            .collect()
    });
    assert_eq!(got.len(), demo::CAROL_CHAT_LEN);
    assert_eq!(got, expected);
    assert_eq!(got[0].1, "Carol history message 120 zebra");
    let pages = dc
        .calls()
        .iter()
        .filter(|c| c.method == "messages.getHistory")
        .count();
    assert!(pages >= 3, "expected several getHistory pages, got {pages}");

    // Small explicit pages through offset_id/add_offset semantics.
    let mut it = a.client.iter_messages(carol).limit(25).offset_id(50);
    let mut ids = Vec::new();
    while let Some(m) = it.next().await.unwrap() {
        ids.push(m.id());
    }
    assert_eq!(ids, (25..50).rev().collect::<Vec<_>>());
}

#[tokio::test]
async fn search_in_chat_and_global() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(demo::A_PHONE)).await;
    let b = connect(&dc, Some(demo::B_PHONE)).await;
    let carol = peer(&a.client, "carol").await;
    let mut s = a.client.search_messages(carol).query("zebra");
    let mut hits = Vec::new();
    while let Some(m) = s.next().await.unwrap() {
        hits.push(m.id());
    }
    assert_eq!(hits, vec![120, 90, 60, 30]);

    // Paged search over a bigger set.
    let mut s = a
        .client
        .search_messages(carol)
        .query("history message")
        .limit(150);
    let mut n = 0;
    while s.next().await.unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 120);

    // Global search sees only the caller's chats.
    let collect = |c: &grammers_client::Client, q: &str| {
        let mut it = c.search_all_messages().query(q);
        async move {
            let mut v = Vec::new();
            while let Some(m) = it.next().await.unwrap() {
                v.push(m.text().to_string());
            }
            v
        }
    };
    assert_eq!(collect(&a.client, "pineapple").await.len(), 2);
    assert_eq!(collect(&b.client, "pineapple").await.len(), 0);
    assert_eq!(collect(&b.client, "walnut").await.len(), 2);
    assert_eq!(collect(&a.client, "walnut").await.len(), 0);
    assert_eq!(collect(&a.client, "mango").await.len(), 2);
    assert_eq!(collect(&b.client, "mango").await.len(), 2);
    // Global paging: 120 Carol messages + nothing else matches "history message".
    let mut it = a
        .client
        .search_all_messages()
        .query("history message")
        .limit(120);
    let mut seen = std::collections::HashSet::new();
    while let Some(m) = it.next().await.unwrap() {
        assert!(seen.insert(m.id()), "duplicate {}", m.id());
    }
    assert_eq!(seen.len(), 120);
    // Filters.
    let mut it = a
        .client
        .search_all_messages()
        .filter(tl::enums::MessagesFilter::InputMessagesFilterVoice);
    let mut voices = 0;
    while let Some(m) = it.next().await.unwrap() {
        assert!(m.media().is_some());
        voices += 1;
    }
    assert_eq!(voices, 1);
}

#[tokio::test]
async fn download_document_in_chunks() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(demo::A_PHONE)).await;
    let erin = peer(&a.client, "erin_e").await;
    let msgs = a
        .client
        .get_messages_by_id(erin, &[123, 999])
        .await
        .unwrap();
    // Like Telegram, a missing id comes back as messageEmpty (grammers keeps it as an empty message).
    let missing = msgs[1].as_ref().expect("messageEmpty for a missing id");
    assert_eq!(
        (missing.id(), missing.text(), missing.media().is_none()),
        (999, "", true)
    );
    assert!(matches!(missing.raw, tl::enums::Message::Empty(_)));
    let m = msgs[0].as_ref().expect("message 123");
    assert_eq!(m.text(), "Quarterly report PDF attached");
    let media = m.media().expect("document");
    let mut dl = a.client.iter_download(&media).chunk_size(64 * 1024);
    let mut bytes = Vec::new();
    while let Some(chunk) = dl.next().await.unwrap() {
        bytes.extend_from_slice(&chunk);
    }
    assert_eq!(bytes.len(), fake_tg_dc::DEMO_DOCUMENT_LEN);
    assert!(bytes == demo_document_bytes(), "downloaded bytes differ");
    let parts = dc
        .calls()
        .iter()
        .filter(|c| c.method == "upload.getFile")
        .count();
    assert_eq!(parts, 5);
}

#[tokio::test]
async fn raw_reads_topics_comments_contacts_folders() {
    let dc = FakeDc::start(World::demo()).await.unwrap();
    let a = connect(&dc, Some(demo::A_PHONE)).await;
    let c = &a.client;
    let forum_ref = {
        let mut it = c.iter_dialogs();
        let mut found = None;
        while let Some(d) = it.next().await.unwrap() {
            if d.peer_id().bare_id() == Some(demo::DEV_FORUM_ID) {
                found = Some(d.peer_ref());
            }
        }
        found.expect("forum dialog")
    };
    let forum: tl::enums::InputPeer = forum_ref.into();
    let tl::enums::messages::ForumTopics::Topics(t) = c
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
    assert_eq!(t.count, 3);
    let titles: Vec<String> = t
        .topics
        .iter()
        .map(|x| match x {
            tl::enums::ForumTopic::Topic(t) => t.title.clone(),
            _ => String::new(),
        })
        .collect();
    assert_eq!(titles, vec!["Random", "Bugs", "Announcements"]);

    // Search inside one topic.
    let r = c
        .invoke(&tl::functions::messages::Search {
            peer: forum.clone(),
            q: String::new(),
            from_id: None,
            saved_peer_id: None,
            saved_reaction: None,
            top_msg_id: Some(demo::TOPIC_BUGS),
            filter: tl::enums::MessagesFilter::InputMessagesFilterEmpty,
            min_date: 0,
            max_date: 0,
            offset_id: 0,
            add_offset: 0,
            limit: 10,
            max_id: 0,
            min_id: 0,
            hash: 0,
        })
        .await
        .unwrap();
    let tl::enums::messages::Messages::ChannelMessages(r) = r else {
        panic!("expected channelMessages")
    };
    let texts: Vec<String> = r
        .messages
        .iter()
        .filter_map(|m| match m {
            tl::enums::Message::Message(m) => Some(m.message.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        texts,
        vec![
            "Fixed the settings crash",
            "Crash when opening settings (bug 42)"
        ]
    );

    // Comments of a channel post via getReplies on the broadcast channel.
    let news = peer(c, "technews").await;
    let r = c
        .invoke(&tl::functions::messages::GetReplies {
            peer: news.into(),
            msg_id: demo::COMMENTED_POST_ID,
            offset_id: 0,
            offset_date: 0,
            add_offset: 0,
            limit: 10,
            max_id: 0,
            min_id: 0,
            hash: 0,
        })
        .await
        .unwrap();
    let tl::enums::messages::Messages::ChannelMessages(r) = r else {
        panic!("expected channelMessages")
    };
    assert_eq!(r.count, 2);
    let tl::enums::messages::DiscussionMessage::Message(dm) = c
        .invoke(&tl::functions::messages::GetDiscussionMessage {
            peer: news.into(),
            msg_id: demo::COMMENTED_POST_ID,
        })
        .await
        .unwrap();
    assert_eq!(dm.messages.len(), 1);
    let tl::enums::Message::Message(root) = &dm.messages[0] else {
        panic!("expected a message")
    };
    assert_eq!(
        root.peer_id,
        tl::types::PeerChannel {
            channel_id: demo::TECH_CHAT_ID
        }
        .into()
    );
    assert_eq!(root.message, "Tech News: quantum keyboard announced");
    assert_eq!(dm.max_id, Some(5));

    // Contacts, phone resolution, folders.
    let tl::enums::contacts::ResolvedPeer::Peer(rp) = c
        .invoke(&tl::functions::contacts::ResolvePhone {
            phone: demo::CAROL_PHONE.into(),
        })
        .await
        .unwrap();
    assert_eq!(
        rp.peer,
        tl::types::PeerUser {
            user_id: demo::CAROL_ID
        }
        .into()
    );
    let e = c
        .invoke(&tl::functions::contacts::ResolvePhone {
            phone: "+19999999".into(),
        })
        .await
        .unwrap_err();
    assert!(e.is("PHONE_NOT_OCCUPIED"));
    assert!(c.resolve_username("nobody_here").await.unwrap().is_none());
    let tl::enums::contacts::Contacts::Contacts(cs) = c
        .invoke(&tl::functions::contacts::GetContacts { hash: 0 })
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(cs.contacts.len(), 3);
    let tl::enums::messages::DialogFilters::Filters(f) = c
        .invoke(&tl::functions::messages::GetDialogFilters {})
        .await
        .unwrap();
    assert_eq!(f.filters.len(), 4);
    let tl::enums::DialogFilter::Filter(work) = &f.filters[1] else {
        panic!("expected a real filter")
    };
    assert_eq!(work.include_peers.len(), 2);
    assert!(work.groups && work.exclude_muted);
    let tl::enums::contacts::Found::Found(found) = c
        .invoke(&tl::functions::contacts::Search {
            broadcasts: false,
            bots: false,
            q: "tech".into(),
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(found.my_results.len() + found.results.len(), 2);

    // Full info.
    let tl::enums::messages::ChatFull::Full(full) = c
        .invoke(&tl::functions::channels::GetFullChannel {
            channel: tl::types::InputChannel {
                channel_id: demo::TECH_NEWS_ID,
                access_hash: dc.with_world(|w| w.channels[&demo::TECH_NEWS_ID].access_hash),
            }
            .into(),
        })
        .await
        .unwrap();
    let tl::enums::ChatFull::ChannelFull(full) = full.full_chat else {
        panic!()
    };
    assert_eq!(full.linked_chat_id, Some(demo::TECH_CHAT_ID));
    assert_eq!(full.about, "Daily tech news");
}
