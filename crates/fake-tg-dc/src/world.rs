//! The world model: accounts, users, chats, channels, messages and files.
//!
//! Message ids follow Telegram: private chats and basic groups share one id
//! sequence *per account* (each account has its own "message box"), while every
//! channel/supergroup has its own id sequence shared by all its members.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use grammers_tl_types as tl;

/// A peer as the world knows it (bare ids, as in TL `Peer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeerKey {
    /// A user (or bot), by user id.
    User(i64),
    /// A basic group, by chat id.
    Chat(i64),
    /// A channel or supergroup, by channel id.
    Channel(i64),
}

/// A Telegram user (a person or a bot). Accounts are users too.
#[derive(Clone, Debug)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Access hash the client must present for this user.
    pub access_hash: i64,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// Username without `@`.
    pub username: Option<String>,
    /// Phone number in `+digits` form.
    pub phone: Option<String>,
    /// Whether this user is a bot.
    pub bot: bool,
    /// Bio shown by users.getFullUser.
    pub about: Option<String>,
}

/// A dialog folder (messages.getDialogFilters entry).
#[derive(Clone, Debug, Default)]
pub struct Folder {
    /// Filter id (2 and up; 0/1 are reserved by Telegram).
    pub id: i32,
    /// Folder title.
    pub title: String,
    /// Optional emoticon.
    pub emoticon: Option<String>,
    /// Include all contacts.
    pub contacts: bool,
    /// Include all non-contacts.
    pub non_contacts: bool,
    /// Include all groups.
    pub groups: bool,
    /// Include all broadcast channels.
    pub broadcasts: bool,
    /// Include all bots.
    pub bots: bool,
    /// Exclude muted chats.
    pub exclude_muted: bool,
    /// Exclude read chats.
    pub exclude_read: bool,
    /// Exclude archived chats.
    pub exclude_archived: bool,
    /// Pinned peers (also included).
    pub pinned: Vec<PeerKey>,
    /// Explicitly included peers.
    pub include: Vec<PeerKey>,
    /// Explicitly excluded peers.
    pub exclude: Vec<PeerKey>,
}

/// A login-capable account (a user with a phone, login code and optional 2FA).
#[derive(Clone, Debug)]
pub struct Account {
    /// The account's user id.
    pub user_id: i64,
    /// Phone number used for auth.sendCode / auth.signIn.
    pub phone: String,
    /// The login code auth.signIn accepts.
    pub code: String,
    /// 2FA password, if enabled.
    pub password: Option<String>,
    /// 2FA hint.
    pub hint: Option<String>,
    /// Contact user ids.
    pub contacts: Vec<i64>,
    /// Pinned dialogs, in order.
    pub pinned: Vec<PeerKey>,
    /// Dialogs in the archive (folder 1).
    pub archived: BTreeSet<PeerKey>,
    /// Muted dialogs.
    pub muted: BTreeSet<PeerKey>,
    /// Dialog folders.
    pub folders: Vec<Folder>,
    /// Highest read incoming message id per dialog.
    pub read_inbox: HashMap<PeerKey, i32>,
    /// Messages in private chats and basic groups, as seen by this account.
    pub messages: Vec<Message>,
    /// Last message id used in this account's box.
    pub last_id: i32,
    /// Common update sequence (pts) of this account.
    pub pts: i32,
}

/// A basic group.
#[derive(Clone, Debug)]
pub struct BasicGroup {
    /// Chat id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Creator user id.
    pub creator: i64,
    /// Member user ids.
    pub members: Vec<i64>,
    /// Description.
    pub about: String,
    /// Creation date.
    pub date: i32,
}

/// A forum topic inside a forum supergroup.
#[derive(Clone, Debug)]
pub struct Topic {
    /// Topic id (= id of its "topic created" service message).
    pub id: i32,
    /// Title.
    pub title: String,
    /// Creator.
    pub creator: i64,
    /// Creation date.
    pub date: i32,
}

/// A broadcast channel or a supergroup (megagroup).
#[derive(Clone, Debug)]
pub struct Channel {
    /// Channel id.
    pub id: i64,
    /// Access hash.
    pub access_hash: i64,
    /// Title.
    pub title: String,
    /// Public username.
    pub username: Option<String>,
    /// `true` = broadcast channel, `false` = megagroup.
    pub broadcast: bool,
    /// Megagroup with forum topics.
    pub forum: bool,
    /// Creator user id.
    pub creator: i64,
    /// Member user ids.
    pub members: Vec<i64>,
    /// Description.
    pub about: String,
    /// Linked discussion group (for a broadcast) or linked channel (for the group).
    pub linked: Option<i64>,
    /// Forum topics.
    pub topics: Vec<Topic>,
    /// All messages, ascending ids.
    pub messages: Vec<Message>,
    /// Last message id used.
    pub last_id: i32,
    /// Channel pts.
    pub pts: i32,
    /// Creation date.
    pub date: i32,
}

/// Kind of stored file.
#[derive(Clone, Debug, PartialEq)]
pub enum FileKind {
    /// A photo of the given size.
    Photo {
        /// Width.
        w: i32,
        /// Height.
        h: i32,
    },
    /// A plain document.
    Document,
    /// A voice note.
    Voice {
        /// Duration in seconds.
        duration: i32,
    },
}

/// A stored file (photo or document) with its real bytes.
#[derive(Clone, Debug)]
pub struct File {
    /// Photo/document id.
    pub id: i64,
    /// Access hash.
    pub access_hash: i64,
    /// Kind.
    pub kind: FileKind,
    /// File name (documents).
    pub name: Option<String>,
    /// MIME type.
    pub mime_type: String,
    /// Content.
    pub bytes: Vec<u8>,
    /// Upload date.
    pub date: i32,
}

/// Message media.
#[derive(Clone, Debug, PartialEq)]
pub enum Media {
    /// Photo by file id.
    Photo(i64),
    /// Document (incl. voice) by file id.
    Document(i64),
    /// A poll.
    Poll {
        /// Poll id.
        id: i64,
        /// Question.
        question: String,
        /// Answer texts.
        answers: Vec<String>,
    },
}

/// Forward header.
#[derive(Clone, Debug, PartialEq)]
pub struct Forward {
    /// Original sender.
    pub from: PeerKey,
    /// Original date.
    pub date: i32,
    /// Original channel post id (when forwarded from a channel).
    pub channel_post: Option<i32>,
}

/// A message as stored in a box or channel.
#[derive(Clone, Debug)]
pub struct Message {
    /// Message id (box-local or channel-local).
    pub id: i32,
    /// Chat the message is in, from the box owner's point of view.
    pub peer: PeerKey,
    /// Sender (None for broadcast channel posts).
    pub from: Option<PeerKey>,
    /// Unix date.
    pub date: i32,
    /// Text / caption.
    pub text: String,
    /// Formatting entities.
    pub entities: Vec<tl::enums::MessageEntity>,
    /// Media.
    pub media: Option<Media>,
    /// Replied-to message id.
    pub reply_to: Option<i32>,
    /// Thread root: forum topic id or discussion root id.
    pub thread: Option<i32>,
    /// Forward header.
    pub fwd: Option<Forward>,
    /// Edit date.
    pub edit_date: Option<i32>,
    /// Service message "topic created" with this title.
    pub topic_created: Option<String>,
    /// Broadcast channel post.
    pub post: bool,
    /// Client random id (sent messages).
    pub random_id: Option<i64>,
    /// Album id.
    pub grouped_id: Option<i64>,
    /// For a broadcast post: its discussion copy (group id, message id).
    pub discussion: Option<(i64, i32)>,
}

/// What to send with [`World::deliver`].
#[derive(Clone, Debug, Default)]
pub struct Draft {
    /// Text.
    pub text: String,
    /// Entities.
    pub entities: Vec<tl::enums::MessageEntity>,
    /// Media.
    pub media: Option<Media>,
    /// Reply target.
    pub reply_to: Option<i32>,
    /// Thread (topic id / discussion root).
    pub thread: Option<i32>,
    /// Forward header.
    pub fwd: Option<Forward>,
    /// Fixed date (otherwise the world clock is used).
    pub date: Option<i32>,
    /// Client random id.
    pub random_id: Option<i64>,
    /// Album id.
    pub grouped_id: Option<i64>,
}

impl Draft {
    /// A plain text draft.
    pub fn text(text: impl Into<String>) -> Self {
        Draft {
            text: text.into(),
            ..Default::default()
        }
    }
    /// Adds an entity.
    pub fn entity(mut self, e: tl::enums::MessageEntity) -> Self {
        self.entities.push(e);
        self
    }
    /// Sets media.
    pub fn media(mut self, m: Media) -> Self {
        self.media = Some(m);
        self
    }
    /// Sets reply target.
    pub fn reply_to(mut self, id: i32) -> Self {
        self.reply_to = Some(id);
        self
    }
    /// Sets the thread (topic id / discussion root).
    pub fn thread(mut self, id: i32) -> Self {
        self.thread = Some(id);
        self
    }
    /// Sets a forward header.
    pub fn forwarded(mut self, fwd: Forward) -> Self {
        self.fwd = Some(fwd);
        self
    }
}

/// Where a delivered message landed.
#[derive(Clone, Debug, Default)]
pub struct Delivery {
    /// Id in the sender's box (or the channel id sequence).
    pub id: i32,
    /// Every (account user id, message id) box insertion.
    pub boxes: Vec<(i64, i32)>,
    /// (channel id, message id) when sent to a channel.
    pub channel: Option<(i64, i32)>,
}

/// The whole fake Telegram universe served by a [`crate::FakeDc`].
#[derive(Clone, Debug, Default)]
pub struct World {
    /// All users by id (accounts included).
    pub users: BTreeMap<i64, User>,
    /// Accounts by user id.
    pub accounts: BTreeMap<i64, Account>,
    /// Basic groups by id.
    pub groups: BTreeMap<i64, BasicGroup>,
    /// Channels and supergroups by id.
    pub channels: BTreeMap<i64, Channel>,
    /// Files by id.
    pub files: BTreeMap<i64, File>,
    /// Parts uploaded through upload.saveFilePart / saveBigFilePart, by client file id.
    pub uploads: HashMap<i64, BTreeMap<i32, Vec<u8>>>,
    /// World clock for fixture messages (advances 60 s per message).
    pub clock: i32,
    next_id: i64,
}

fn hash_for(id: i64, salt: i64) -> i64 {
    id.wrapping_mul(0x5851_F42D_4C95_7F2D).wrapping_add(salt) ^ 0x2545_F491
}

pub(crate) fn now() -> i32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i32)
        .unwrap_or(0)
}

impl World {
    /// An empty world whose fixture clock starts at 2024-01-01T00:00:00Z.
    pub fn new() -> Self {
        World {
            clock: 1_704_067_200,
            next_id: 0,
            ..Default::default()
        }
    }

    fn alloc(&mut self, base: i64) -> i64 {
        self.next_id += 1;
        base + self.next_id
    }

    fn tick(&mut self) -> i32 {
        self.clock += 60;
        self.clock
    }

    /// Adds a user; returns its id.
    pub fn add_user(
        &mut self,
        first_name: &str,
        last_name: Option<&str>,
        username: Option<&str>,
        phone: Option<&str>,
    ) -> i64 {
        let id = self.alloc(100_000);
        self.users.insert(
            id,
            User {
                id,
                access_hash: hash_for(id, 11),
                first_name: first_name.into(),
                last_name: last_name.map(Into::into),
                username: username.map(Into::into),
                phone: phone.map(Into::into),
                bot: false,
                about: None,
            },
        );
        id
    }

    /// Adds a bot; returns its id.
    pub fn add_bot(&mut self, name: &str, username: &str) -> i64 {
        let id = self.add_user(name, None, Some(username), None);
        self.users.get_mut(&id).expect("just added").bot = true;
        id
    }

    /// Adds an account (a user who can log in with `phone` + `code`); returns its user id.
    pub fn add_account(
        &mut self,
        phone: &str,
        code: &str,
        first_name: &str,
        last_name: Option<&str>,
        username: Option<&str>,
    ) -> i64 {
        let id = self.add_user(first_name, last_name, username, Some(phone));
        self.accounts.insert(
            id,
            Account {
                user_id: id,
                phone: phone.into(),
                code: code.into(),
                password: None,
                hint: None,
                contacts: Vec::new(),
                pinned: Vec::new(),
                archived: BTreeSet::new(),
                muted: BTreeSet::new(),
                folders: Vec::new(),
                read_inbox: HashMap::new(),
                messages: Vec::new(),
                last_id: 0,
                pts: 1,
            },
        );
        id
    }

    /// Enables 2FA on an account.
    pub fn set_password(&mut self, account: i64, password: &str, hint: Option<&str>) {
        let a = self.accounts.get_mut(&account).expect("unknown account");
        a.password = Some(password.into());
        a.hint = hint.map(Into::into);
    }

    /// Adds `user` to `account`'s contacts.
    pub fn add_contact(&mut self, account: i64, user: i64) {
        let a = self.accounts.get_mut(&account).expect("unknown account");
        if !a.contacts.contains(&user) {
            a.contacts.push(user);
        }
    }

    /// Adds a basic group; returns its chat id.
    pub fn add_group(&mut self, title: &str, creator: i64, members: &[i64]) -> i64 {
        let id = self.alloc(200_000);
        let mut all = vec![creator];
        all.extend(members.iter().copied().filter(|m| *m != creator));
        let date = self.tick();
        self.groups.insert(
            id,
            BasicGroup {
                id,
                title: title.into(),
                creator,
                members: all,
                about: String::new(),
                date,
            },
        );
        id
    }

    /// Adds a channel (`broadcast`) or a supergroup; returns its channel id.
    pub fn add_channel(
        &mut self,
        title: &str,
        username: Option<&str>,
        broadcast: bool,
        creator: i64,
        members: &[i64],
    ) -> i64 {
        let id = self.alloc(300_000);
        let mut all = vec![creator];
        all.extend(members.iter().copied().filter(|m| *m != creator));
        let date = self.tick();
        self.channels.insert(
            id,
            Channel {
                id,
                access_hash: hash_for(id, 29),
                title: title.into(),
                username: username.map(Into::into),
                broadcast,
                forum: false,
                creator,
                members: all,
                about: String::new(),
                linked: None,
                topics: Vec::new(),
                messages: Vec::new(),
                last_id: 0,
                pts: 1,
                date,
            },
        );
        id
    }

    /// Links a broadcast channel with its discussion supergroup.
    pub fn link_discussion(&mut self, channel: i64, group: i64) {
        self.channels
            .get_mut(&channel)
            .expect("unknown channel")
            .linked = Some(group);
        self.channels.get_mut(&group).expect("unknown group").linked = Some(channel);
    }

    /// Turns a supergroup into a forum and adds a topic; returns the topic id.
    pub fn add_topic(&mut self, channel: i64, title: &str, creator: i64) -> i32 {
        let date = self.tick();
        let ch = self.channels.get_mut(&channel).expect("unknown channel");
        ch.forum = true;
        ch.last_id += 1;
        ch.pts += 1;
        let id = ch.last_id;
        ch.messages.push(Message {
            id,
            peer: PeerKey::Channel(channel),
            from: Some(PeerKey::User(creator)),
            date,
            text: String::new(),
            entities: Vec::new(),
            media: None,
            reply_to: None,
            thread: None,
            fwd: None,
            edit_date: None,
            topic_created: Some(title.into()),
            post: false,
            random_id: None,
            grouped_id: None,
            discussion: None,
        });
        ch.topics.push(Topic {
            id,
            title: title.into(),
            creator,
            date,
        });
        id
    }

    /// Stores a file; returns its id.
    pub fn add_file(
        &mut self,
        kind: FileKind,
        name: Option<&str>,
        mime_type: &str,
        bytes: Vec<u8>,
    ) -> i64 {
        let id = self.alloc(5_000_000_000);
        let date = self.clock;
        self.files.insert(
            id,
            File {
                id,
                access_hash: hash_for(id, 41),
                kind,
                name: name.map(Into::into),
                mime_type: mime_type.into(),
                bytes,
                date,
            },
        );
        id
    }

    /// Display name of a peer (title or "first last").
    pub fn peer_name(&self, p: PeerKey) -> String {
        match p {
            PeerKey::User(id) => self
                .users
                .get(&id)
                .map(|u| match &u.last_name {
                    Some(l) => format!("{} {}", u.first_name, l),
                    None => u.first_name.clone(),
                })
                .unwrap_or_default(),
            PeerKey::Chat(id) => self
                .groups
                .get(&id)
                .map(|g| g.title.clone())
                .unwrap_or_default(),
            PeerKey::Channel(id) => self
                .channels
                .get(&id)
                .map(|c| c.title.clone())
                .unwrap_or_default(),
        }
    }

    /// Account user id for a phone number.
    pub fn account_by_phone(&self, phone: &str) -> Option<i64> {
        let norm = |s: &str| s.chars().filter(|c| c.is_ascii_digit()).collect::<String>();
        let want = norm(phone);
        self.accounts
            .values()
            .find(|a| norm(&a.phone) == want)
            .map(|a| a.user_id)
    }

    /// Sends a message from user `from` into `to` and stores it everywhere it belongs.
    ///
    /// Private chat: into the sender's and the recipient's box (if they are accounts).
    /// Basic group: into every member account's box. Channel: into the channel; a broadcast
    /// post with a linked discussion group also gets its automatic copy in that group.
    pub fn deliver(&mut self, from: i64, to: PeerKey, draft: Draft) -> Delivery {
        let date = draft.date.unwrap_or_else(|| self.tick());
        let mut delivery = Delivery::default();
        let mk = |id: i32, peer: PeerKey, sender: Option<PeerKey>, post: bool| Message {
            id,
            peer,
            from: sender,
            date,
            text: draft.text.clone(),
            entities: draft.entities.clone(),
            media: draft.media.clone(),
            reply_to: draft.reply_to,
            thread: draft.thread,
            fwd: draft.fwd.clone(),
            edit_date: None,
            topic_created: None,
            post,
            random_id: draft.random_id,
            grouped_id: draft.grouped_id,
            discussion: None,
        };
        match to {
            PeerKey::User(uid) => {
                let mut targets = vec![(from, PeerKey::User(uid))];
                if uid != from {
                    targets.push((uid, PeerKey::User(from)));
                }
                for (owner, peer) in targets {
                    if let Some(acc) = self.accounts.get_mut(&owner) {
                        acc.last_id += 1;
                        acc.pts += 1;
                        let id = acc.last_id;
                        acc.messages
                            .push(mk(id, peer, Some(PeerKey::User(from)), false));
                        delivery.boxes.push((owner, id));
                    }
                }
            }
            PeerKey::Chat(cid) => {
                let members = self
                    .groups
                    .get(&cid)
                    .map(|g| g.members.clone())
                    .unwrap_or_default();
                let mut ordered: Vec<i64> =
                    members.iter().copied().filter(|m| *m == from).collect();
                ordered.extend(members.iter().copied().filter(|m| *m != from));
                for owner in ordered {
                    if let Some(acc) = self.accounts.get_mut(&owner) {
                        acc.last_id += 1;
                        acc.pts += 1;
                        let id = acc.last_id;
                        acc.messages
                            .push(mk(id, to, Some(PeerKey::User(from)), false));
                        delivery.boxes.push((owner, id));
                    }
                }
            }
            PeerKey::Channel(chid) => {
                let Some(ch) = self.channels.get_mut(&chid) else {
                    return delivery;
                };
                ch.last_id += 1;
                ch.pts += 1;
                let id = ch.last_id;
                let broadcast = ch.broadcast;
                let sender = if broadcast {
                    None
                } else {
                    Some(PeerKey::User(from))
                };
                ch.messages.push(mk(id, to, sender, broadcast));
                let linked = ch.linked;
                delivery.channel = Some((chid, id));
                if broadcast && let Some(group) = linked {
                    let copy = Draft {
                        text: draft.text.clone(),
                        entities: draft.entities.clone(),
                        media: draft.media.clone(),
                        fwd: Some(Forward {
                            from: PeerKey::Channel(chid),
                            date,
                            channel_post: Some(id),
                        }),
                        date: Some(date),
                        ..Default::default()
                    };
                    if let Some(g) = self.channels.get_mut(&group) {
                        g.last_id += 1;
                        g.pts += 1;
                        let gid = g.last_id;
                        let mut m = Message {
                            id: gid,
                            peer: PeerKey::Channel(group),
                            from: Some(PeerKey::Channel(chid)),
                            date,
                            text: copy.text,
                            entities: copy.entities,
                            media: copy.media,
                            reply_to: None,
                            thread: None,
                            fwd: copy.fwd,
                            edit_date: None,
                            topic_created: None,
                            post: false,
                            random_id: None,
                            grouped_id: None,
                            discussion: None,
                        };
                        m.discussion = Some((chid, id));
                        g.messages.push(m);
                        if let Some(ch) = self.channels.get_mut(&chid)
                            && let Some(post) = ch.messages.last_mut()
                        {
                            post.discussion = Some((group, gid));
                        }
                    }
                }
            }
        }
        delivery.id = delivery
            .boxes
            .iter()
            .find(|(o, _)| *o == from)
            .or(delivery.boxes.first())
            .map(|(_, id)| *id)
            .or(delivery.channel.map(|(_, id)| id))
            .unwrap_or(0);
        delivery
    }

    /// Messages of a chat as `viewer` sees them, ascending by id.
    pub fn history(&self, viewer: i64, peer: PeerKey) -> Vec<&Message> {
        match peer {
            PeerKey::Channel(id) => self
                .channels
                .get(&id)
                .map(|c| c.messages.iter().collect())
                .unwrap_or_default(),
            _ => self
                .accounts
                .get(&viewer)
                .map(|a| a.messages.iter().filter(|m| m.peer == peer).collect())
                .unwrap_or_default(),
        }
    }

    /// The newest message of a chat as `viewer` sees it.
    pub fn last_message(&self, viewer: i64, peer: PeerKey) -> Option<&Message> {
        self.history(viewer, peer).into_iter().next_back()
    }

    /// Finds one message by id in a chat as `viewer` sees it.
    pub fn message(&self, viewer: i64, peer: PeerKey, id: i32) -> Option<&Message> {
        self.history(viewer, peer).into_iter().find(|m| m.id == id)
    }

    pub(crate) fn message_mut(
        &mut self,
        viewer: i64,
        peer: PeerKey,
        id: i32,
    ) -> Option<&mut Message> {
        match peer {
            PeerKey::Channel(cid) => self
                .channels
                .get_mut(&cid)?
                .messages
                .iter_mut()
                .find(|m| m.id == id),
            _ => self
                .accounts
                .get_mut(&viewer)?
                .messages
                .iter_mut()
                .find(|m| m.id == id && m.peer == peer),
        }
    }

    /// Concatenated bytes of a client upload (upload.saveFilePart / saveBigFilePart).
    pub fn uploaded_bytes(&self, file_id: i64) -> Option<Vec<u8>> {
        self.uploads
            .get(&file_id)
            .map(|parts| parts.values().flatten().copied().collect())
    }

    /// Whether `viewer` is a member of (or otherwise may read) the chat.
    pub fn can_read(&self, viewer: i64, peer: PeerKey) -> bool {
        match peer {
            PeerKey::User(id) => self.users.contains_key(&id),
            PeerKey::Chat(id) => self
                .groups
                .get(&id)
                .is_some_and(|g| g.members.contains(&viewer)),
            PeerKey::Channel(id) => self
                .channels
                .get(&id)
                .is_some_and(|c| c.members.contains(&viewer) || c.username.is_some()),
        }
    }

    /// Dialog peers of an account (chats with at least one message, plus joined channels),
    /// newest first (pinned dialogs are not moved here).
    pub fn dialog_peers(&self, viewer: i64) -> Vec<PeerKey> {
        let mut tops: BTreeMap<PeerKey, (i32, i32)> = BTreeMap::new();
        if let Some(acc) = self.accounts.get(&viewer) {
            for m in &acc.messages {
                let e = tops.entry(m.peer).or_insert((0, 0));
                if (m.date, m.id) > *e {
                    *e = (m.date, m.id);
                }
            }
        }
        for g in self.groups.values() {
            if g.members.contains(&viewer) {
                tops.entry(PeerKey::Chat(g.id)).or_insert((g.date, 0));
            }
        }
        for c in self.channels.values() {
            if c.members.contains(&viewer) {
                let top = c
                    .messages
                    .last()
                    .map(|m| (m.date, m.id))
                    .unwrap_or((c.date, 0));
                tops.insert(PeerKey::Channel(c.id), top);
            }
        }
        let mut v: Vec<(PeerKey, (i32, i32))> = tops.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
        v.into_iter().map(|(p, _)| p).collect()
    }
}
