//! The demo fixture ([`World::demo`]) and its well-known values ([`demo`]).

use grammers_tl_types as tl;

use crate::world::{Draft, FileKind, Folder, Forward, Media, PeerKey, World};

/// Well-known values of [`World::demo`]. See the table in [`World::demo`].
pub mod demo {
    /// Account A phone.
    pub const A_PHONE: &str = "+15550001";
    /// Account A login code.
    pub const A_CODE: &str = "12345";
    /// Account A user id.
    pub const A_ID: i64 = 100_001;
    /// Account B phone.
    pub const B_PHONE: &str = "+15550002";
    /// Account B login code.
    pub const B_CODE: &str = "22222";
    /// Account B 2FA password.
    pub const B_PASSWORD: &str = "hunter2";
    /// Account B 2FA hint.
    pub const B_HINT: &str = "pet name";
    /// Account B user id.
    pub const B_ID: i64 = 100_002;
    /// Carol (contact of A, username `carol`, phone +15550003).
    pub const CAROL_ID: i64 = 100_003;
    /// Carol's phone (resolvable with contacts.resolvePhone).
    pub const CAROL_PHONE: &str = "+15550003";
    /// Dave (contact of B, no username, phone +15550004).
    pub const DAVE_ID: i64 = 100_004;
    /// Erin (contact of A, username `erin_e`).
    pub const ERIN_ID: i64 = 100_005;
    /// Helper bot (username `helper_bot`).
    pub const BOT_ID: i64 = 100_006;
    /// Frank (nobody's contact, phone +15550005; for contacts.importContacts).
    pub const FRANK_ID: i64 = 100_007;
    /// Frank's phone.
    pub const FRANK_PHONE: &str = "+15550005";
    /// Basic group "Family Group" (A, Carol, Erin).
    pub const FAMILY_GROUP_ID: i64 = 200_008;
    /// Basic group "Bob Club" (B, Dave).
    pub const BOB_CLUB_ID: i64 = 200_009;
    /// Forum supergroup "Dev Forum" (A, B, Carol).
    pub const DEV_FORUM_ID: i64 = 300_010;
    /// Broadcast channel "Tech News" (@technews, creator A; members A, B, Carol).
    pub const TECH_NEWS_ID: i64 = 300_011;
    /// Discussion supergroup "Tech News Chat" (@technews_chat) linked to Tech News.
    pub const TECH_CHAT_ID: i64 = 300_012;
    /// Document `report.pdf` (307 200 bytes, [`super::demo_document_bytes`]).
    pub const REPORT_FILE_ID: i64 = 5_000_000_013;
    /// Photo (2 048 bytes).
    pub const PHOTO_FILE_ID: i64 = 5_000_000_014;
    /// Voice note (4 000 bytes, 3 s).
    pub const VOICE_FILE_ID: i64 = 5_000_000_015;
    /// What messages.transcribeAudio hears in the voice note.
    pub const VOICE_TRANSCRIPT: &str = "Hi Alice, it is Erin. Call me back about the zebra trip.";
    /// A's box id of Erin's voice note.
    pub const VOICE_MSG_ID: i32 = 124;
    /// Number of messages in A's private chat with Carol (ids 1..=120 in A's box).
    pub const CAROL_CHAT_LEN: usize = 120;
    /// Forum topic "Announcements" id in Dev Forum.
    pub const TOPIC_ANNOUNCEMENTS: i32 = 1;
    /// Forum topic "Bugs" id in Dev Forum.
    pub const TOPIC_BUGS: i32 = 2;
    /// Forum topic "Random" id in Dev Forum.
    pub const TOPIC_RANDOM: i32 = 3;
    /// Highest message id in A's box (private chats + basic groups); A's next sent message gets +1.
    pub const A_LAST_BOX_ID: i32 = 136;
    /// Highest message id in B's box.
    pub const B_LAST_BOX_ID: i32 = 10;
    /// Tech News post that has comments (2 comments in Tech News Chat).
    pub const COMMENTED_POST_ID: i32 = 2;
}

/// Size of the demo document.
pub const DEMO_DOCUMENT_LEN: usize = 300 * 1024;

/// Deterministic 300 KiB content of `report.pdf`.
pub fn demo_document_bytes() -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    let mut i = v.len();
    while v.len() < DEMO_DOCUMENT_LEN {
        v.push(((i * 31 + i / 251 + 7) % 256) as u8);
        i += 1;
    }
    v
}

fn pattern(len: usize, seed: u8, header: &[u8]) -> Vec<u8> {
    let mut v = header.to_vec();
    let mut x = seed as u32;
    while v.len() < len {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        v.push((x >> 16) as u8);
    }
    v
}

/// Builds a `Draft` where each `(needle, kind)` marks the first occurrence of `needle`.
fn rich(text: &str, marks: &[(&str, &str)]) -> Draft {
    let mut d = Draft::text(text);
    for (needle, kind) in marks {
        let byte = text.find(needle).expect("needle in text");
        let offset = text[..byte].encode_utf16().count() as i32;
        let length = needle.encode_utf16().count() as i32;
        let e: tl::enums::MessageEntity = match *kind {
            "bold" => tl::types::MessageEntityBold { offset, length }.into(),
            "italic" => tl::types::MessageEntityItalic { offset, length }.into(),
            "url" => tl::types::MessageEntityUrl { offset, length }.into(),
            "code" => tl::types::MessageEntityCode { offset, length }.into(),
            link => tl::types::MessageEntityTextUrl {
                offset,
                length,
                url: link.to_string(),
            }
            .into(),
        };
        d = d.entity(e);
    }
    d
}

impl World {
    /// A rich, deterministic fixture. All ids are stable; the constants live in [`demo`].
    ///
    /// | what | value |
    /// |---|---|
    /// | Account A | Alice Anders, `@alice_a`, phone `+15550001`, code `12345`, no 2FA, id 100001, Premium |
    /// | Account B | Bob Brown, `@bob_b`, phone `+15550002`, code `22222`, 2FA password `hunter2`, hint `pet name`, id 100002, not Premium |
    /// | Carol Chen | id 100003, `@carol`, phone `+15550003`; contact of A (resolvable by phone) |
    /// | Dave Doe | id 100004, no username, phone `+15550004`; contact of B |
    /// | Erin Evans | id 100005, `@erin_e`; contact of A |
    /// | Helper Bot | id 100006, bot, `@helper_bot` |
    /// | Frank Fox | id 100007, phone `+15550005`, nobody's contact (for importContacts) |
    /// | Family Group | basic group 200008 (A, Carol, Erin); muted for A |
    /// | Bob Club | basic group 200009 (B, Dave) |
    /// | Dev Forum | forum supergroup 300010 (A, B, Carol); topics Announcements=1, Bugs=2, Random=3 |
    /// | Tech News | broadcast 300011 `@technews`, creator A, members A, B, Carol; linked to Tech News Chat |
    /// | Tech News Chat | supergroup 300012 `@technews_chat` (A, B, Carol, Erin) |
    ///
    /// Account A's dialogs: Carol (pinned), Erin, Family Group, Saved Messages, Bob (B),
    /// Dev Forum, Tech News, Tech News Chat, and Helper Bot (**archived**, folder 1).
    /// Account B's dialogs: Dave, Saved Messages, Bob Club, Alice (A), Dev Forum, Tech News, Tech News Chat.
    ///
    /// Messages (A's box ids are given for A):
    /// - A↔Carol: exactly 120 messages, ids 1..=120, text `Carol history message {n}`; odd n from
    ///   Carol, even n from A; n = 30, 60, 90, 120 end with ` zebra` (4 hits for "zebra").
    /// - A↔Erin (ids 121..=127): 121 Erin `Check the quarterly report at example site` (bold
    ///   "quarterly report", text link "example site" → https://example.com/report); 122 A photo,
    ///   caption `Sunset photo from the beach`; 123 Erin document `report.pdf` (300 KiB), caption
    ///   `Quarterly report PDF attached`; 124 Erin voice note (no text; transcribed as [`demo::VOICE_TRANSCRIPT`]); 125 A poll `Lunch where?`
    ///   (Tacos/Sushi); 126 Erin `Beautiful sunset!` replying to 122; 127 A, forwarded from Tech
    ///   News post 1: `Tech News: Rust 1.95 released with let chains`.
    /// - Family Group: `Welcome to the family group` (A), `Who wants pineapple pizza tonight?`
    ///   (Carol), `Me! pineapple forever` (Erin).
    /// - A↔Helper Bot: `/start` (A), `Hello! I am the helper bot.` (bot, `helper` in bold).
    /// - A's Saved Messages: `Saved note: buy milk and eggs`, document `report.pdf` caption
    ///   `report backup`.
    /// - A↔B: `Hi Bob, Alice here about the mango project` (A), `Hi Alice! mango project sounds good` (B).
    /// - B↔Dave: 5 messages `Dave says hello {n} kiwi` (odd n from Dave).
    /// - B's Saved Messages: `Bob's secret saved note: walnut`.
    /// - Bob Club: `Bob club meeting at noon` (B), `I'll bring the walnut cake` (Dave).
    /// - Dev Forum (channel ids): 1..=3 topic-created service messages; 4 `Release 0.3 is out`
    ///   (A, Announcements); 5 `Great news about the release` (Carol, Announcements); 6 `Crash when
    ///   opening settings (bug 42)` (B, Bugs); 7 `Fixed the settings crash` (A, Bugs, reply to 6);
    ///   8 `Anyone seen the new octopus documentary?` (Carol, Random); 9 `General chat without topic` (A).
    /// - Tech News posts: 1 `Tech News: Rust 1.95 released with let chains`, 2 `Tech News: quantum
    ///   keyboard announced`, 3 `Tech News: weekly digest`. Tech News Chat: 1..=3 automatic copies
    ///   of the posts, 4 `Quantum keyboards sound fake` (Carol, comment on post 2), 5 `I want one`
    ///   (Erin, comment on post 2), 6 `Discussion group rules: be nice` (B).
    ///
    /// Folders (messages.getDialogFilters) of A: id 2 `Work` (groups, exclude_muted; include Dev
    /// Forum + Tech News; pinned Dev Forum); id 3 `Personal` (contacts, non_contacts,
    /// exclude_archived; exclude Helper Bot); id 4 `Bots` (bots). Of B: id 2 `Friends` (include Dave).
    pub fn demo() -> World {
        use demo::*;
        let mut w = World::new();
        let a = w.add_account(A_PHONE, A_CODE, "Alice", Some("Anders"), Some("alice_a"));
        let b = w.add_account(B_PHONE, B_CODE, "Bob", Some("Brown"), Some("bob_b"));
        w.set_password(b, B_PASSWORD, Some(B_HINT));
        w.users.get_mut(&a).expect("alice").premium = true;
        let carol = w.add_user("Carol", Some("Chen"), Some("carol"), Some(CAROL_PHONE));
        let dave = w.add_user("Dave", Some("Doe"), None, Some("+15550004"));
        let erin = w.add_user("Erin", Some("Evans"), Some("erin_e"), None);
        let bot = w.add_bot("Helper Bot", "helper_bot");
        let frank = w.add_user("Frank", Some("Fox"), None, Some(FRANK_PHONE));
        assert_eq!(
            (a, b, carol, dave, erin, bot, frank),
            (A_ID, B_ID, CAROL_ID, DAVE_ID, ERIN_ID, BOT_ID, FRANK_ID)
        );
        w.users.get_mut(&carol).expect("carol").about = Some("Carol likes zebras".into());
        w.users.get_mut(&bot).expect("bot").about = Some("I help with things".into());
        w.add_contact(a, carol);
        w.add_contact(a, erin);
        w.add_contact(a, b);
        w.add_contact(b, dave);
        w.add_contact(b, a);

        let family = w.add_group("Family Group", a, &[carol, erin]);
        let club = w.add_group("Bob Club", b, &[dave]);
        let forum = w.add_channel("Dev Forum", None, false, a, &[b, carol]);
        let news = w.add_channel("Tech News", Some("technews"), true, a, &[b, carol]);
        let news_chat = w.add_channel(
            "Tech News Chat",
            Some("technews_chat"),
            false,
            a,
            &[b, carol, erin],
        );
        assert_eq!(
            (family, club, forum, news, news_chat),
            (
                FAMILY_GROUP_ID,
                BOB_CLUB_ID,
                DEV_FORUM_ID,
                TECH_NEWS_ID,
                TECH_CHAT_ID
            )
        );
        w.groups.get_mut(&family).expect("family").about = "Family stuff".into();
        w.channels.get_mut(&forum).expect("forum").about = "Where developers talk".into();
        w.channels.get_mut(&news).expect("news").about = "Daily tech news".into();
        w.channels.get_mut(&news_chat).expect("chat").about = "Comments for Tech News".into();
        w.link_discussion(news, news_chat);

        let report = w.add_file(
            FileKind::Document,
            Some("report.pdf"),
            "application/pdf",
            demo_document_bytes(),
        );
        let photo = w.add_file(
            FileKind::Photo { w: 640, h: 480 },
            None,
            "image/jpeg",
            pattern(2048, 3, &[0xFF, 0xD8, 0xFF, 0xE0]),
        );
        let voice = w.add_file(
            FileKind::Voice { duration: 3 },
            None,
            "audio/ogg",
            pattern(4000, 5, b"OggS"),
        );
        assert_eq!(
            (report, photo, voice),
            (REPORT_FILE_ID, PHOTO_FILE_ID, VOICE_FILE_ID)
        );
        w.transcripts.insert(voice, VOICE_TRANSCRIPT.into());

        // A <-> Carol: 120 messages, A's box ids 1..=120.
        for n in 1..=CAROL_CHAT_LEN {
            let text = if n % 30 == 0 {
                format!("Carol history message {n} zebra")
            } else {
                format!("Carol history message {n}")
            };
            if n % 2 == 1 {
                w.deliver(carol, PeerKey::User(a), Draft::text(text));
            } else {
                w.deliver(a, PeerKey::User(carol), Draft::text(text));
            }
        }
        // Tech News posts (needed for the forward below).
        w.deliver(
            a,
            PeerKey::Channel(news),
            Draft::text("Tech News: Rust 1.95 released with let chains"),
        );
        w.deliver(
            a,
            PeerKey::Channel(news),
            Draft::text("Tech News: quantum keyboard announced"),
        );
        w.deliver(
            a,
            PeerKey::Channel(news),
            Draft::text("Tech News: weekly digest"),
        );
        let root = w.channels[&news].messages[1]
            .discussion
            .expect("discussion copy")
            .1;
        w.deliver(
            carol,
            PeerKey::Channel(news_chat),
            Draft::text("Quantum keyboards sound fake")
                .reply_to(root)
                .thread(root),
        );
        w.deliver(
            erin,
            PeerKey::Channel(news_chat),
            Draft::text("I want one").reply_to(root).thread(root),
        );
        w.deliver(
            b,
            PeerKey::Channel(news_chat),
            Draft::text("Discussion group rules: be nice"),
        );

        // A <-> Erin: the rich chat, A's box ids 121..=127.
        let e = PeerKey::User(erin);
        let ea = PeerKey::User(a);
        w.deliver(
            erin,
            ea,
            rich(
                "Check the quarterly report at example site",
                &[
                    ("quarterly report", "bold"),
                    ("example site", "https://example.com/report"),
                ],
            ),
        );
        let sunset = w
            .deliver(
                a,
                e,
                Draft::text("Sunset photo from the beach").media(Media::Photo(photo)),
            )
            .id;
        w.deliver(
            erin,
            ea,
            Draft::text("Quarterly report PDF attached").media(Media::Document(report)),
        );
        w.deliver(erin, ea, Draft::default().media(Media::Document(voice)));
        w.deliver(
            a,
            e,
            Draft::default().media(Media::Poll {
                id: 777,
                question: "Lunch where?".into(),
                answers: vec!["Tacos".into(), "Sushi".into()],
            }),
        );
        w.deliver(erin, ea, Draft::text("Beautiful sunset!").reply_to(sunset));
        let post_date = w.channels[&news].messages[0].date;
        w.deliver(
            a,
            e,
            Draft::text("Tech News: Rust 1.95 released with let chains").forwarded(Forward {
                from: PeerKey::Channel(news),
                date: post_date,
                channel_post: Some(1),
            }),
        );

        // Family group.
        w.deliver(
            a,
            PeerKey::Chat(family),
            Draft::text("Welcome to the family group"),
        );
        w.deliver(
            carol,
            PeerKey::Chat(family),
            Draft::text("Who wants pineapple pizza tonight?"),
        );
        w.deliver(
            erin,
            PeerKey::Chat(family),
            Draft::text("Me! pineapple forever"),
        );

        // Bot chat (archived for A).
        w.deliver(a, PeerKey::User(bot), Draft::text("/start"));
        w.deliver(
            bot,
            ea,
            rich("Hello! I am the helper bot.", &[("helper", "bold")]),
        );

        // Saved messages of A.
        w.deliver(a, ea, Draft::text("Saved note: buy milk and eggs"));
        w.deliver(
            a,
            ea,
            Draft::text("report backup").media(Media::Document(report)),
        );

        // Forum topics and posts.
        let ann = w.add_topic(forum, "Announcements", a);
        let bugs = w.add_topic(forum, "Bugs", b);
        let random = w.add_topic(forum, "Random", carol);
        assert_eq!(
            (ann, bugs, random),
            (TOPIC_ANNOUNCEMENTS, TOPIC_BUGS, TOPIC_RANDOM)
        );
        let fp = PeerKey::Channel(forum);
        w.deliver(
            a,
            fp,
            Draft::text("Release 0.3 is out").reply_to(ann).thread(ann),
        );
        w.deliver(
            carol,
            fp,
            Draft::text("Great news about the release")
                .reply_to(ann)
                .thread(ann),
        );
        let crash = w
            .deliver(
                b,
                fp,
                Draft::text("Crash when opening settings (bug 42)")
                    .reply_to(bugs)
                    .thread(bugs),
            )
            .id;
        w.deliver(
            a,
            fp,
            Draft::text("Fixed the settings crash")
                .reply_to(crash)
                .thread(bugs),
        );
        w.deliver(
            carol,
            fp,
            Draft::text("Anyone seen the new octopus documentary?")
                .reply_to(random)
                .thread(random),
        );
        w.deliver(a, fp, Draft::text("General chat without topic"));

        // A <-> B.
        w.deliver(
            a,
            PeerKey::User(b),
            Draft::text("Hi Bob, Alice here about the mango project"),
        );
        w.deliver(
            b,
            PeerKey::User(a),
            Draft::text("Hi Alice! mango project sounds good"),
        );

        // B's own world.
        for n in 1..=5 {
            let text = format!("Dave says hello {n} kiwi");
            if n % 2 == 1 {
                w.deliver(dave, PeerKey::User(b), Draft::text(text));
            } else {
                w.deliver(b, PeerKey::User(dave), Draft::text(text));
            }
        }
        w.deliver(
            b,
            PeerKey::User(b),
            Draft::text("Bob's secret saved note: walnut"),
        );
        w.deliver(
            b,
            PeerKey::Chat(club),
            Draft::text("Bob club meeting at noon"),
        );
        w.deliver(
            dave,
            PeerKey::Chat(club),
            Draft::text("I'll bring the walnut cake"),
        );

        // Dialog state and folders: everything read (mentions too) except A's chat with Carol after id 100.
        for acc in w.accounts.values_mut() {
            acc.read_inbox.clear();
            acc.unread_mentions.clear();
        }
        let acc_a = w.accounts.get_mut(&a).expect("a");
        acc_a.pinned = vec![PeerKey::User(carol)];
        acc_a.archived.insert(PeerKey::User(bot));
        acc_a.muted.insert(PeerKey::Chat(family));
        acc_a.read_inbox.insert(PeerKey::User(carol), 100);
        acc_a.folders = vec![
            Folder {
                id: 2,
                title: "Work".into(),
                emoticon: Some("💼".into()),
                groups: true,
                exclude_muted: true,
                pinned: vec![PeerKey::Channel(forum)],
                include: vec![PeerKey::Channel(forum), PeerKey::Channel(news)],
                ..Default::default()
            },
            Folder {
                id: 3,
                title: "Personal".into(),
                contacts: true,
                non_contacts: true,
                exclude_archived: true,
                exclude: vec![PeerKey::User(bot)],
                ..Default::default()
            },
            Folder {
                id: 4,
                title: "Bots".into(),
                bots: true,
                ..Default::default()
            },
        ];
        assert_eq!(
            (w.accounts[&a].last_id, w.accounts[&b].last_id),
            (A_LAST_BOX_ID, B_LAST_BOX_ID)
        );
        let acc_b = w.accounts.get_mut(&b).expect("b");
        acc_b.folders = vec![Folder {
            id: 2,
            title: "Friends".into(),
            include: vec![PeerKey::User(dave)],
            ..Default::default()
        }];
        w
    }
}
