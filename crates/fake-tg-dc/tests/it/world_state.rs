//! The world's message state behind the inbox and action tools: mentions, read state, box copies and scheduled delivery.

use fake_tg_dc::{Draft, PeerKey, World, demo};

#[test]
fn only_a_whole_username_in_a_group_counts_as_a_mention() {
    let mut w = World::demo();
    let forum = PeerKey::Channel(demo::DEV_FORUM_ID);
    assert!(w.mentions(demo::A_ID, forum, "ping @Alice_A!", None));
    assert!(!w.mentions(demo::A_ID, forum, "ping @alice_abc", None));
    assert!(
        !w.mentions(demo::A_ID, PeerKey::User(demo::CAROL_ID), "@alice_a", None),
        "private chats have no mentions"
    );
    assert!(
        !w.mentions(
            demo::A_ID,
            PeerKey::Channel(demo::TECH_NEWS_ID),
            "@alice_a",
            None
        ),
        "nor broadcasts"
    );
    assert!(
        w.mentions(
            demo::A_ID,
            forum,
            "no name",
            Some(PeerKey::User(demo::A_ID))
        ),
        "a reply to you is one"
    );
    let d = w.deliver(demo::CAROL_ID, forum, Draft::text("@alice_a look"));
    let a = &w.accounts[&demo::A_ID];
    assert!(a.unread_mentions.contains(&(forum, d.id)));
    assert_eq!(
        a.read_inbox.get(&forum),
        Some(&(d.id - 1)),
        "a new message is unread for the others"
    );
}

#[test]
fn every_box_copy_of_a_private_message_is_found_from_either_side() {
    let mut w = World::demo();
    let d = w.deliver(
        demo::A_ID,
        PeerKey::User(demo::B_ID),
        Draft::text("both boxes"),
    );
    let mut copies = w.copies(demo::A_ID, PeerKey::User(demo::B_ID), d.id);
    copies.sort();
    let mut boxes: Vec<(i64, PeerKey, i32)> = d
        .boxes
        .iter()
        .map(|(owner, id)| {
            (
                *owner,
                PeerKey::User(if *owner == demo::A_ID {
                    demo::B_ID
                } else {
                    demo::A_ID
                }),
                *id,
            )
        })
        .collect();
    boxes.sort();
    assert_eq!(copies, boxes);
    assert!(
        w.copies(demo::A_ID, PeerKey::User(demo::B_ID), 999_999)
            .is_empty()
    );
}

#[test]
fn a_scheduled_message_is_delivered_only_once_its_date_has_come() {
    let mut w = World::demo();
    let carol = PeerKey::User(demo::CAROL_ID);
    let id = w.schedule(demo::A_ID, carol, Draft::text("later"), 2_000_000_000);
    assert_eq!(
        w.scheduled(demo::A_ID, carol)
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>(),
        [id]
    );
    w.send_due(1_999_999_999);
    assert!(
        w.last_message(demo::A_ID, carol)
            .is_some_and(|m| m.text != "later")
    );
    w.send_due(2_000_000_000);
    let last = w.last_message(demo::A_ID, carol).unwrap();
    assert_eq!((last.text.as_str(), last.date), ("later", 2_000_000_000));
    assert!(w.scheduled(demo::A_ID, carol).is_empty());
}
