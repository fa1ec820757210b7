//! The uniform JSON schema for entities and messages, built from raw TL results.
//!
//! Entity: `{id, type, title, username?, first_name?, last_name?, is_self?, is_contact?,
//! is_forum?, members_count?, subscribers_count?}` where `id` is the Bot-API-style id
//! (users positive, basic groups negative, channels and supergroups `-100…`) that every
//! tool accepts back as `chat_id`, and `type` is `private | bot | group | channel`.
//!
//! Message: `{id, date, text, sender?, chat?, outgoing, reply_to_msg_id?, topic_id?,
//! forwarded_from?, media?, edit_date?, views?, link?, action?}`; dates are RFC 3339 UTC.

use grammers_client::tl;
use grammers_session::types::PeerId;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// Users and chats of one raw result, for naming senders and chats.
#[derive(Default)]
pub struct Peers {
    entities: HashMap<i64, Value>,
    usernames: HashMap<i64, String>,
    broadcast: HashMap<i64, bool>,
}

impl Peers {
    /// Indexes the users and chats of a result.
    pub fn new(users: &[tl::enums::User], chats: &[tl::enums::Chat]) -> Self {
        let mut p = Peers::default();
        p.add(users, chats);
        p
    }

    /// Adds more users and chats.
    pub fn add(&mut self, users: &[tl::enums::User], chats: &[tl::enums::Chat]) {
        for u in users {
            if let tl::enums::User::User(u) = u {
                let e = user_entity(u);
                if let Some(name) = &u.username {
                    self.usernames.insert(u.id, name.clone());
                }
                self.entities.insert(u.id, e);
            }
        }
        for c in chats {
            if let Some(e) = chat_entity(c) {
                let id = e["id"].as_i64().unwrap_or_default();
                if let Some(name) = e.get("username").and_then(Value::as_str) {
                    self.usernames.insert(id, name.to_string());
                }
                self.broadcast.insert(id, e["type"] == "channel");
                self.entities.insert(id, e);
            }
        }
    }

    /// The entity of a peer, or a stub `{id, type}` if the result did not include it.
    pub fn entity(&self, peer: &tl::enums::Peer) -> Value {
        let id = bot_id(peer);
        self.entities.get(&id).cloned().unwrap_or_else(|| {
            let kind = match peer {
                tl::enums::Peer::User(_) => "private",
                tl::enums::Peer::Chat(_) => "group",
                tl::enums::Peer::Channel(_) => "channel",
            };
            json!({ "id": id, "type": kind })
        })
    }

    /// The entity by Bot-API id, if known.
    pub fn by_id(&self, id: i64) -> Option<&Value> {
        self.entities.get(&id)
    }

    /// Whether a Bot-API id is a broadcast channel.
    pub fn is_broadcast(&self, id: i64) -> bool {
        self.broadcast.get(&id).copied().unwrap_or(false)
    }
}

/// Bot-API-style id of a peer.
pub fn bot_id(peer: &tl::enums::Peer) -> i64 {
    PeerId::from(peer).bot_api_dialog_id_unchecked()
}

/// RFC 3339 UTC time of a Unix timestamp.
pub fn iso(ts: i32) -> String {
    jiff::Timestamp::from_second(ts as i64).map(|t| t.to_string()).unwrap_or_default()
}

fn insert_opt(m: &mut Map<String, Value>, k: &str, v: Option<impl Into<Value>>) {
    if let Some(v) = v {
        m.insert(k.into(), v.into());
    }
}

/// Entity of a user.
pub fn user_entity(u: &tl::types::User) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(u.id));
    m.insert("type".into(), json!(if u.bot { "bot" } else { "private" }));
    let full = [u.first_name.as_deref(), u.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let title = if !full.is_empty() {
        full
    } else if let Some(un) = &u.username {
        format!("@{un}")
    } else if u.deleted {
        "Deleted Account".into()
    } else {
        u.id.to_string()
    };
    m.insert("title".into(), json!(title));
    insert_opt(&mut m, "username", u.username.clone());
    insert_opt(&mut m, "first_name", u.first_name.clone());
    insert_opt(&mut m, "last_name", u.last_name.clone());
    if u.is_self {
        m.insert("is_self".into(), json!(true));
    }
    if u.contact {
        m.insert("is_contact".into(), json!(true));
    }
    if u.deleted {
        m.insert("is_deleted".into(), json!(true));
    }
    Value::Object(m)
}

/// Entity of a chat (basic group, supergroup or channel); `None` for empty chats.
pub fn chat_entity(c: &tl::enums::Chat) -> Option<Value> {
    let mut m = Map::new();
    match c {
        tl::enums::Chat::Chat(c) => {
            m.insert("id".into(), json!(-c.id));
            m.insert("type".into(), json!("group"));
            m.insert("title".into(), json!(c.title));
            m.insert("members_count".into(), json!(c.participants_count));
        }
        tl::enums::Chat::Forbidden(c) => {
            m.insert("id".into(), json!(-c.id));
            m.insert("type".into(), json!("group"));
            m.insert("title".into(), json!(c.title));
            m.insert("is_inaccessible".into(), json!(true));
        }
        tl::enums::Chat::Channel(c) => {
            m.insert("id".into(), json!(PeerId::channel_unchecked(c.id).bot_api_dialog_id_unchecked()));
            m.insert("type".into(), json!(if c.broadcast { "channel" } else { "group" }));
            m.insert("title".into(), json!(c.title));
            insert_opt(
                &mut m,
                "username",
                c.username.clone().or_else(|| first_active_username(c.usernames.as_deref())),
            );
            if c.forum {
                m.insert("is_forum".into(), json!(true));
            }
            let key = if c.broadcast { "subscribers_count" } else { "members_count" };
            insert_opt(&mut m, key, c.participants_count);
        }
        tl::enums::Chat::ChannelForbidden(c) => {
            m.insert("id".into(), json!(PeerId::channel_unchecked(c.id).bot_api_dialog_id_unchecked()));
            m.insert("type".into(), json!(if c.broadcast { "channel" } else { "group" }));
            m.insert("title".into(), json!(c.title));
            m.insert("is_inaccessible".into(), json!(true));
        }
        _ => return None,
    }
    Some(Value::Object(m))
}

fn first_active_username(list: Option<&[tl::enums::Username]>) -> Option<String> {
    list?.iter().find_map(|u| {
        let tl::enums::Username::Username(u) = u;
        u.active.then(|| u.username.clone())
    })
}

/// The Telegram text of a message with its entities rendered as Markdown.
pub fn render_text(text: &str, entities: Option<&Vec<tl::enums::MessageEntity>>) -> String {
    match entities {
        Some(e) if !e.is_empty() => grammers_client::parsers::generate_markdown_message(text, e),
        _ => text.to_string(),
    }
}

/// A message in the uniform schema; `None` for empty messages. `with_chat` adds the chat entity.
pub fn message(m: &tl::enums::Message, peers: &Peers, with_chat: bool) -> Option<Value> {
    let mut o = Map::new();
    match m {
        tl::enums::Message::Empty(_) => return None,
        tl::enums::Message::Message(msg) => {
            o.insert("id".into(), json!(msg.id));
            o.insert("date".into(), json!(iso(msg.date)));
            o.insert("text".into(), json!(render_text(&msg.message, msg.entities.as_ref())));
            sender_and_chat(&mut o, msg.from_id.as_ref(), &msg.peer_id, msg.out, peers, with_chat);
            reply_fields(&mut o, msg.reply_to.as_ref());
            if let Some(tl::enums::MessageFwdHeader::Header(f)) = &msg.fwd_from {
                let mut fw = Map::new();
                fw.insert("date".into(), json!(iso(f.date)));
                if let Some(from) = &f.from_id {
                    fw.insert("sender".into(), peers.entity(from));
                }
                insert_opt(&mut fw, "from_name", f.from_name.clone());
                insert_opt(&mut fw, "channel_post", f.channel_post);
                o.insert("forwarded_from".into(), Value::Object(fw));
            }
            if let Some(media) = msg.media.as_ref().and_then(media) {
                o.insert("media".into(), media);
            }
            insert_opt(&mut o, "edit_date", msg.edit_date.map(iso));
            insert_opt(&mut o, "views", msg.views);
            if let Some(tl::enums::MessageReplies::Replies(r)) = &msg.replies {
                o.insert(if r.comments { "comments_count" } else { "replies_count" }.into(), json!(r.replies));
            }
            insert_opt(&mut o, "link", link(&msg.peer_id, msg.id, peers));
            if msg.pinned {
                o.insert("pinned".into(), json!(true));
            }
            if let Some(r) = &msg.reactions {
                let list = reactions(r);
                if !list.is_empty() {
                    o.insert("reactions".into(), Value::Array(list));
                }
            }
        }
        tl::enums::Message::Service(msg) => {
            o.insert("id".into(), json!(msg.id));
            o.insert("date".into(), json!(iso(msg.date)));
            o.insert("text".into(), json!(""));
            sender_and_chat(&mut o, msg.from_id.as_ref(), &msg.peer_id, msg.out, peers, with_chat);
            reply_fields(&mut o, msg.reply_to.as_ref());
            o.insert("action".into(), json!(action_name(&msg.action)));
        }
    }
    Some(Value::Object(o))
}

fn sender_and_chat(
    o: &mut Map<String, Value>,
    from: Option<&tl::enums::Peer>,
    chat: &tl::enums::Peer,
    out: bool,
    peers: &Peers,
    with_chat: bool,
) {
    // In private chats and channels without signatures, from_id is absent: the sender is the chat itself.
    let sender = from.unwrap_or(chat);
    o.insert("sender".into(), peers.entity(sender));
    o.insert("outgoing".into(), json!(out));
    if with_chat {
        o.insert("chat".into(), peers.entity(chat));
    }
}

fn reply_fields(o: &mut Map<String, Value>, reply: Option<&tl::enums::MessageReplyHeader>) {
    if let Some(tl::enums::MessageReplyHeader::Header(h)) = reply {
        insert_opt(o, "reply_to_msg_id", h.reply_to_msg_id);
        let topic = h.reply_to_top_id.or(if h.forum_topic { h.reply_to_msg_id } else { None });
        insert_opt(o, "topic_id", topic);
    }
}

/// Reactions as `[{emoji, count, chosen}]`.
pub fn reactions(r: &tl::enums::MessageReactions) -> Vec<Value> {
    let tl::enums::MessageReactions::Reactions(r) = r;
    r.results
        .iter()
        .map(|c| {
            let tl::enums::ReactionCount::Count(c) = c;
            let emoji = match &c.reaction {
                tl::enums::Reaction::Emoji(e) => e.emoticon.clone(),
                tl::enums::Reaction::CustomEmoji(e) => format!("custom:{}", e.document_id),
                tl::enums::Reaction::Paid => "paid".into(),
                tl::enums::Reaction::Empty => String::new(),
            };
            json!({ "emoji": emoji, "count": c.count, "chosen": c.chosen_order.is_some() })
        })
        .collect()
}

/// `https://t.me/…` link of a message where one exists (public chats, supergroups, channels).
pub fn link(chat: &tl::enums::Peer, msg_id: i32, peers: &Peers) -> Option<String> {
    let tl::enums::Peer::Channel(c) = chat else {
        return None;
    };
    let id = bot_id(chat);
    match peers.usernames.get(&id) {
        Some(u) => Some(format!("https://t.me/{u}/{msg_id}")),
        None => Some(format!("https://t.me/c/{}/{msg_id}", c.channel_id)),
    }
}

/// A lightweight description of a message's media (bytes are never inlined here).
pub fn media(m: &tl::enums::MessageMedia) -> Option<Value> {
    match m {
        tl::enums::MessageMedia::Photo(p) => {
            let size = match &p.photo {
                Some(tl::enums::Photo::Photo(ph)) => largest_photo_size(ph),
                _ => None,
            };
            let mut o = json!({ "type": "photo", "mime_type": "image/jpeg" });
            if let Some(s) = size {
                o["size_bytes"] = json!(s);
            }
            Some(o)
        }
        tl::enums::MessageMedia::Document(d) => {
            let Some(tl::enums::Document::Document(doc)) = &d.document else {
                return Some(json!({"type": "document"}));
            };
            let mut o = Map::new();
            let mut kind = "document";
            let mut duration = None;
            for a in &doc.attributes {
                match a {
                    tl::enums::DocumentAttribute::Filename(f) => {
                        o.insert("file_name".into(), json!(f.file_name));
                    }
                    tl::enums::DocumentAttribute::Audio(a) => {
                        kind = if a.voice { "voice" } else { "audio" };
                        duration = Some(a.duration as f64);
                        insert_opt(&mut o, "title", a.title.clone());
                        insert_opt(&mut o, "performer", a.performer.clone());
                    }
                    tl::enums::DocumentAttribute::Video(v) => {
                        kind = if v.round_message { "round_video" } else { "video" };
                        duration = Some(v.duration);
                    }
                    tl::enums::DocumentAttribute::Sticker(_) => kind = "sticker",
                    tl::enums::DocumentAttribute::Animated => kind = "animation",
                    _ => {}
                }
            }
            if d.voice {
                kind = "voice";
            }
            o.insert("type".into(), json!(kind));
            o.insert("mime_type".into(), json!(doc.mime_type));
            o.insert("size_bytes".into(), json!(doc.size));
            insert_opt(&mut o, "duration_seconds", duration);
            Some(Value::Object(o))
        }
        tl::enums::MessageMedia::Poll(p) => {
            let tl::enums::Poll::Poll(poll) = &p.poll;
            let tl::enums::PollResults::Results(res) = &p.results;
            let votes: HashMap<Vec<u8>, (i32, bool, bool)> = res
                .results
                .iter()
                .flatten()
                .map(|r| {
                    let tl::enums::PollAnswerVoters::Voters(v) = r;
                    (v.option.clone(), (v.voters.unwrap_or(0), v.chosen, v.correct))
                })
                .collect();
            let options: Vec<Value> = poll
                .answers
                .iter()
                .map(|a| {
                    let (text, option) = match a {
                        tl::enums::PollAnswer::Answer(a) => (text_of(&a.text), a.option.clone()),
                        #[allow(unreachable_patterns)]
                        _ => (String::new(), Vec::new()),
                    };
                    let (voters, chosen, correct) = votes.get(&option).copied().unwrap_or((0, false, false));
                    json!({ "text": text, "voters": voters, "chosen": chosen, "correct": correct })
                })
                .collect();
            Some(json!({
                "type": "poll",
                "question": text_of(&poll.question),
                "options": options,
                "total_voters": res.total_voters.unwrap_or(0),
                "closed": poll.closed,
                "multiple_choice": poll.multiple_choice,
                "quiz": poll.quiz,
                "public_voters": poll.public_voters,
            }))
        }
        tl::enums::MessageMedia::Contact(c) => Some(json!({
            "type": "contact", "first_name": c.first_name, "last_name": c.last_name, "user_id": c.user_id,
        })),
        tl::enums::MessageMedia::Geo(g) => match &g.geo {
            tl::enums::GeoPoint::Point(p) => {
                Some(json!({ "type": "location", "latitude": p.lat, "longitude": p.long }))
            }
            _ => None,
        },
        tl::enums::MessageMedia::Venue(v) => Some(json!({ "type": "venue", "title": v.title, "address": v.address })),
        tl::enums::MessageMedia::Dice(d) => Some(json!({ "type": "dice", "emoticon": d.emoticon, "value": d.value })),
        tl::enums::MessageMedia::WebPage(w) => match &w.webpage {
            tl::enums::WebPage::Page(p) => {
                Some(json!({ "type": "webpage", "url": p.url, "title": p.title, "site_name": p.site_name }))
            }
            _ => None,
        },
        _ => None,
    }
}

fn text_of(t: &tl::enums::TextWithEntities) -> String {
    let tl::enums::TextWithEntities::Entities(t) = t;
    t.text.clone()
}

/// Largest size (bytes) among a photo's sizes.
pub fn largest_photo_size(p: &tl::types::Photo) -> Option<i64> {
    p.sizes
        .iter()
        .filter_map(|s| match s {
            tl::enums::PhotoSize::Size(s) => Some(s.size as i64),
            tl::enums::PhotoSize::Progressive(s) => s.sizes.iter().max().map(|&x| x as i64),
            _ => None,
        })
        .max()
}

fn action_name(a: &tl::enums::MessageAction) -> String {
    // "MessageActionChatCreate(..)" → "chat_create"
    let dbg = format!("{a:?}");
    let name = dbg.split(['(', ' ', '{']).next().unwrap_or("");
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// The parts of any `messages.Messages` result.
pub struct Unpacked {
    /// The messages.
    pub messages: Vec<tl::enums::Message>,
    /// Users mentioned by them.
    pub users: Vec<tl::enums::User>,
    /// Chats mentioned by them.
    pub chats: Vec<tl::enums::Chat>,
    /// Total matching messages on the server, when known.
    pub count: Option<i32>,
    /// `next_rate` of a global search slice.
    pub next_rate: Option<i32>,
}

/// Splits a `messages.Messages` result into its parts.
pub fn unpack_messages(r: tl::enums::messages::Messages) -> Unpacked {
    let (messages, users, chats, count, next_rate) = match r {
        tl::enums::messages::Messages::Messages(m) => {
            let n = m.messages.len() as i32;
            (m.messages, m.users, m.chats, Some(n), None)
        }
        tl::enums::messages::Messages::Slice(m) => (m.messages, m.users, m.chats, Some(m.count), m.next_rate),
        tl::enums::messages::Messages::ChannelMessages(m) => (m.messages, m.users, m.chats, Some(m.count), None),
        tl::enums::messages::Messages::NotModified(_) => (Vec::new(), Vec::new(), Vec::new(), None, None),
    };
    Unpacked { messages, users, chats, count, next_rate }
}

/// Id, date and chat peer of a raw message.
pub fn message_key(m: &tl::enums::Message) -> Option<(i32, i32, tl::enums::Peer)> {
    match m {
        tl::enums::Message::Message(m) => Some((m.id, m.date, m.peer_id.clone())),
        tl::enums::Message::Service(m) => Some((m.id, m.date, m.peer_id.clone())),
        tl::enums::Message::Empty(_) => None,
    }
}
