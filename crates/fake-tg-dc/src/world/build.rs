//! Building a world: adding users, accounts, groups, channels, topics and files, and delivering messages.

use std::collections::{BTreeSet, HashMap};

use super::{
    Account, BasicGroup, Channel, Delivery, Draft, File, FileKind, Forward, Message, PeerKey,
    Topic, User, World,
};

fn hash_for(id: i64, salt: i64) -> i64 {
    id.wrapping_mul(0x5851_F42D_4C95_7F2D).wrapping_add(salt) ^ 0x2545_F491
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
                premium: false,
            },
        );
        id
    }

    /// Adds Telegram's service notifications account (id 777000, the chat login codes arrive
    /// in) if it is not there yet; returns its id.
    pub fn add_service_notifications(&mut self) -> i64 {
        const ID: i64 = 777_000;
        self.users.entry(ID).or_insert_with(|| User {
            id: ID,
            access_hash: hash_for(ID, 11),
            first_name: "Telegram".into(),
            last_name: None,
            username: None,
            phone: Some("42777".into()),
            bot: false,
            about: None,
            premium: false,
        });
        ID
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
                unread_mentions: BTreeSet::new(),
                unread_reactions: BTreeSet::new(),
                read_threads: HashMap::new(),
                messages: Vec::new(),
                last_id: 0,
                drafts: Default::default(),
                scheduled: Vec::new(),
                last_scheduled_id: 0,
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
            origin: 0,
            pinned: false,
            reactions: Vec::new(),
            pts: ch.pts,
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

    /// Sends a message from user `from` into `to` and stores it everywhere it belongs.
    ///
    /// Private chat: into the sender's and the recipient's box (if they are accounts).
    /// Basic group: into every member account's box. Channel: into the channel; a broadcast
    /// post with a linked discussion group also gets its automatic copy in that group.
    pub fn deliver(&mut self, from: i64, to: PeerKey, draft: Draft) -> Delivery {
        let date = draft.date.unwrap_or_else(|| self.tick());
        self.next_origin += 1;
        let origin = self.next_origin;
        let mut delivery = Delivery::default();
        let mk = |id: i32, pts: i32, peer: PeerKey, sender: Option<PeerKey>, post: bool| Message {
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
            origin,
            pinned: false,
            reactions: Vec::new(),
            pts,
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
                            .push(mk(id, acc.pts, peer, Some(PeerKey::User(from)), false));
                        delivery.boxes.push((owner, id));
                        if owner != from {
                            acc.read_inbox.entry(peer).or_insert(id - 1);
                        }
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
                let mentioned: Vec<i64> = ordered
                    .iter()
                    .copied()
                    .filter(|m| self.mentions(*m, to, &draft.text, None))
                    .collect();
                for owner in ordered {
                    if let Some(acc) = self.accounts.get_mut(&owner) {
                        acc.last_id += 1;
                        acc.pts += 1;
                        let id = acc.last_id;
                        acc.messages
                            .push(mk(id, acc.pts, to, Some(PeerKey::User(from)), false));
                        delivery.boxes.push((owner, id));
                        if owner != from {
                            acc.read_inbox.entry(to).or_insert(id - 1);
                        }
                        if owner != from && mentioned.contains(&owner) {
                            acc.unread_mentions.insert((to, id));
                        }
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
                let reply_author = draft
                    .reply_to
                    .and_then(|r| ch.messages.iter().find(|m| m.id == r))
                    // Posting in a forum topic replies to its root; that mentions nobody.
                    .filter(|m| m.topic_created.is_none())
                    .and_then(|m| m.from);
                ch.messages.push(mk(id, ch.pts, to, sender, broadcast));
                let linked = ch.linked;
                delivery.channel = Some((chid, id));
                let members = ch.members.clone();
                for member in members {
                    let mentioned = self.mentions(member, to, &draft.text, reply_author);
                    if let Some(acc) = self.accounts.get_mut(&member)
                        && member != from
                    {
                        // A new message is unread for the other members.
                        acc.read_inbox.entry(to).or_insert(id - 1);
                        if mentioned {
                            acc.unread_mentions.insert((to, id));
                        }
                    }
                }
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
                            origin: 0,
                            pinned: false,
                            reactions: Vec::new(),
                            pts: g.pts,
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
}
