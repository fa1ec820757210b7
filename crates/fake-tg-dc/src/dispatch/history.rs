//! Reading messages: history, per-chat and global search, messages by id, replies and discussion threads, search counters; Telegram-style paging.

use grammers_tl_types as tl;
use tl::Serializable;
use tl::functions as f;

use super::common::{input_channel, input_peer, readable_peer};
use super::{Ctx, Res, RpcErr, bad, decode};
use crate::tlconv::{Refs, message_tl};
use crate::world::{FileKind, Media, Message, PeerKey, World};

/// `messages.getHistory`: newest first, paged as in "Pagination in the API".
pub(super) fn messages_get_history(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::GetHistory = decode(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    let peer = readable_peer(w, me, &r.peer)?;
    let all = w.history(me, peer);
    let total = all.len();
    let page = paginate(
        all,
        r.offset_id,
        r.offset_date,
        r.add_offset,
        r.limit,
        r.max_id,
        r.min_id,
    );
    let complete = r.offset_id == 0
        && r.offset_date == 0
        && r.add_offset == 0
        && r.max_id == 0
        && r.min_id == 0
        && page.len() == total;
    Ok(messages_tl(w, me, Some(peer), page, total, complete, None))
}

/// `messages.search`: one chat, by text, sender, topic, filter and date.
pub(super) fn messages_search(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::Search = decode(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    let peer = readable_peer(w, me, &r.peer)?;
    let from = match &r.from_id {
        Some(p) => Some(input_peer(w, me, p)?),
        None => None,
    };
    let matches: Vec<&Message> = w
        .history(me, peer)
        .into_iter()
        .filter(|m| m.topic_created.is_none())
        .filter(|m| text_matches(m, &r.q))
        .filter(|m| from.is_none_or(|f| m.from == Some(f)))
        .filter(|m| r.top_msg_id.is_none_or(|t| m.thread == Some(t)))
        .filter(|m| filter_matches(w, m, &r.filter))
        .filter(|m| {
            (r.min_date == 0 || m.date >= r.min_date) && (r.max_date == 0 || m.date <= r.max_date)
        })
        .collect();
    let total = matches.len();
    let page = paginate(
        matches,
        r.offset_id,
        0,
        r.add_offset,
        r.limit,
        r.max_id,
        r.min_id,
    );
    let complete = r.offset_id == 0
        && r.add_offset == 0
        && r.max_id == 0
        && r.min_id == 0
        && page.len() == total;
    Ok(messages_tl(w, me, Some(peer), page, total, complete, None))
}

/// `messages.searchGlobal`: every dialog, newest first, paged by `next_rate`.
pub(super) fn messages_search_global(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::SearchGlobal = decode(ctx, body)?;
    let me = ctx.me()?;
    global_page(ctx.w(), me, &r)
}

/// `messages.getMessages`: by id (or the message replied to) in private chats and groups.
pub(super) fn messages_get_messages(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::GetMessages = decode(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    let pool: Vec<&Message> = w
        .accounts
        .get(&me)
        .map(|a| a.messages.iter().collect())
        .unwrap_or_default();
    Ok(get_messages(w, me, &pool, &r.id, None))
}

/// `channels.getMessages`: by id in a channel the viewer can read.
pub(super) fn channels_get_messages(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::channels::GetMessages = decode(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    let ch = input_channel(w, &r.channel)?;
    if !w.can_read(me, PeerKey::Channel(ch)) {
        return Err(bad("CHANNEL_PRIVATE"));
    }
    let pool = w.history(me, PeerKey::Channel(ch));
    Ok(get_messages(
        w,
        me,
        &pool,
        &r.id,
        Some(PeerKey::Channel(ch)),
    ))
}

/// `messages.getReplies`: a thread: comments to a post, replies in a topic or to a message.
pub(super) fn messages_get_replies(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::GetReplies = decode(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    let peer = readable_peer(w, me, &r.peer)?;
    let (tpeer, root) = thread_target(w, me, peer, r.msg_id)?;
    let all: Vec<&Message> = w
        .history(me, tpeer)
        .into_iter()
        .filter(|m| m.id != root && (m.thread == Some(root) || m.reply_to == Some(root)))
        .collect();
    let total = all.len();
    let page = paginate(
        all,
        r.offset_id,
        r.offset_date,
        r.add_offset,
        r.limit,
        r.max_id,
        r.min_id,
    );
    Ok(messages_tl(w, me, Some(tpeer), page, total, false, None))
}

/// `messages.getDiscussionMessage`: the root of a thread (for a post, its copy in the linked group).
pub(super) fn messages_get_discussion_message(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::GetDiscussionMessage = decode(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    let peer = readable_peer(w, me, &r.peer)?;
    let (tpeer, root) = thread_target(w, me, peer, r.msg_id)?;
    let root_msg = w
        .message(me, tpeer, root)
        .ok_or_else(|| bad("MSG_ID_INVALID"))?;
    let replies: Vec<&Message> = w
        .history(me, tpeer)
        .into_iter()
        .filter(|m| m.id != root && m.thread == Some(root))
        .collect();
    let mut refs = Refs::default();
    refs.message(w, root_msg);
    refs.peer(peer);
    Ok(
        tl::enums::messages::DiscussionMessage::Message(tl::types::messages::DiscussionMessage {
            messages: vec![message_tl(w, me, root_msg)],
            max_id: replies.last().map(|m| m.id),
            read_inbox_max_id: replies.last().map(|m| m.id),
            read_outbox_max_id: replies.last().map(|m| m.id),
            unread_count: 0,
            chats: refs.chats_tl(w, me),
            users: refs.users_tl(w, me),
        })
        .to_bytes(),
    )
}

/// `messages.getSearchCounters`: per filter, how many messages match.
pub(super) fn messages_get_search_counters(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::GetSearchCounters = decode(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    let peer = readable_peer(w, me, &r.peer)?;
    let msgs: Vec<&Message> = w
        .history(me, peer)
        .into_iter()
        .filter(|m| m.topic_created.is_none())
        .filter(|m| r.top_msg_id.is_none_or(|t| m.thread == Some(t)))
        .collect();
    let out: Vec<tl::enums::messages::SearchCounter> = r
        .filters
        .iter()
        .map(|f| {
            tl::types::messages::SearchCounter {
                inexact: false,
                filter: f.clone(),
                count: msgs.iter().filter(|m| filter_matches(w, m, f)).count() as i32,
            }
            .into()
        })
        .collect();
    Ok(out.to_bytes())
}

/// For a broadcast post: its discussion group and root copy; otherwise the same chat and id.
fn thread_target(w: &World, me: i64, peer: PeerKey, msg_id: i32) -> Result<(PeerKey, i32), RpcErr> {
    let m = w.message(me, peer, msg_id);
    if let PeerKey::Channel(c) = peer
        && w.channels.get(&c).is_some_and(|c| c.broadcast)
    {
        let m = m.ok_or_else(|| bad("MSG_ID_INVALID"))?;
        let (g, root) = m.discussion.ok_or_else(|| bad("MSG_ID_INVALID"))?;
        return Ok((PeerKey::Channel(g), root));
    }
    if let PeerKey::Channel(c) = peer
        && w.channels
            .get(&c)
            .is_some_and(|c| c.forum && c.topics.iter().any(|t| t.id == msg_id))
    {
        return Ok((peer, msg_id));
    }
    let m = m.ok_or_else(|| bad("MSG_ID_INVALID"))?;
    Ok((
        peer,
        m.thread.filter(|_| m.reply_to.is_none()).unwrap_or(msg_id),
    ))
}

fn text_matches(m: &Message, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    q.is_empty() || m.text.to_lowercase().contains(&q)
}

fn filter_matches(w: &World, m: &Message, f: &tl::enums::MessagesFilter) -> bool {
    use tl::enums::MessagesFilter as F;
    let kind = match &m.media {
        Some(Media::Photo(_)) => "photo",
        Some(Media::Document(id)) => match w.files.get(id).map(|f| &f.kind) {
            Some(FileKind::Voice { .. }) => "voice",
            _ => "document",
        },
        Some(Media::Poll { .. }) => "poll",
        None => "text",
    };
    match f {
        F::InputMessagesFilterEmpty => true,
        F::InputMessagesFilterPhotos | F::InputMessagesFilterPhotoVideo => kind == "photo",
        F::InputMessagesFilterDocument => kind == "document",
        F::InputMessagesFilterVoice | F::InputMessagesFilterRoundVoice => kind == "voice",
        F::InputMessagesFilterPoll => kind == "poll",
        F::InputMessagesFilterUrl => m.entities.iter().any(|e| {
            matches!(
                e,
                tl::enums::MessageEntity::Url(_) | tl::enums::MessageEntity::TextUrl(_)
            )
        }),
        _ => false,
    }
}

/// Telegram-style paging over an ascending list; returns newest first.
fn paginate(
    asc: Vec<&Message>,
    offset_id: i32,
    offset_date: i32,
    add_offset: i32,
    limit: i32,
    max_id: i32,
    min_id: i32,
) -> Vec<&Message> {
    let desc: Vec<&Message> = asc
        .into_iter()
        .rev()
        .filter(|m| (max_id == 0 || m.id < max_id) && (min_id == 0 || m.id > min_id))
        .collect();
    let start = if offset_id != 0 {
        desc.iter()
            .position(|m| m.id < offset_id)
            .unwrap_or(desc.len())
    } else if offset_date != 0 {
        desc.iter()
            .position(|m| m.date < offset_date)
            .unwrap_or(desc.len())
    } else {
        0
    } as i64;
    let limit = limit.clamp(0, 100) as i64;
    let s = (start + add_offset as i64).clamp(0, desc.len() as i64) as usize;
    let e = (start + add_offset as i64 + limit).clamp(0, desc.len() as i64) as usize;
    if s >= e {
        Vec::new()
    } else {
        desc[s..e].to_vec()
    }
}

/// A `messages.Messages` page: `channelMessages` in a channel, `messages` when complete, else a slice.
fn messages_tl(
    w: &World,
    me: i64,
    peer: Option<PeerKey>,
    page: Vec<&Message>,
    count: usize,
    complete: bool,
    next_rate: Option<i32>,
) -> Vec<u8> {
    let mut refs = Refs::default();
    refs.peer(PeerKey::User(me));
    if let Some(p) = peer {
        refs.peer(p);
    }
    for m in &page {
        refs.message(w, m);
    }
    let messages: Vec<tl::enums::Message> = page.iter().map(|m| message_tl(w, me, m)).collect();
    let users = refs.users_tl(w, me);
    let chats = refs.chats_tl(w, me);
    let out: tl::enums::messages::Messages = match peer {
        Some(PeerKey::Channel(c)) => tl::types::messages::ChannelMessages {
            inexact: false,
            pts: w.channels.get(&c).map(|c| c.pts).unwrap_or(1),
            count: count as i32,
            offset_id_offset: None,
            messages,
            topics: vec![],
            chats,
            users,
        }
        .into(),
        _ if complete => tl::types::messages::Messages {
            messages,
            topics: vec![],
            chats,
            users,
        }
        .into(),
        _ => tl::types::messages::MessagesSlice {
            inexact: false,
            count: count as i32,
            next_rate,
            offset_id_offset: None,
            search_flood: None,
            messages,
            topics: vec![],
            chats,
            users,
        }
        .into(),
    };
    out.to_bytes()
}

/// Messages by id from `pool`, `messageEmpty` for those missing.
fn get_messages(
    w: &World,
    me: i64,
    pool: &[&Message],
    ids: &[tl::enums::InputMessage],
    peer: Option<PeerKey>,
) -> Vec<u8> {
    let mut found: Vec<tl::enums::Message> = Vec::new();
    let mut refs = Refs::default();
    refs.peer(PeerKey::User(me));
    if let Some(p) = peer {
        refs.peer(p);
    }
    for id in ids {
        let target = match id {
            tl::enums::InputMessage::Id(i) => Some(i.id),
            tl::enums::InputMessage::ReplyTo(i) => {
                pool.iter().find(|m| m.id == i.id).and_then(|m| m.reply_to)
            }
            _ => None,
        };
        match target.and_then(|t| pool.iter().find(|m| m.id == t)) {
            Some(m) => {
                refs.message(w, m);
                found.push(message_tl(w, me, m));
            }
            None => found.push(
                tl::types::MessageEmpty {
                    id: target.unwrap_or(0),
                    peer_id: None,
                }
                .into(),
            ),
        }
    }
    let users = refs.users_tl(w, me);
    let chats = refs.chats_tl(w, me);
    let out: tl::enums::messages::Messages = match peer {
        Some(PeerKey::Channel(c)) => tl::types::messages::ChannelMessages {
            inexact: false,
            pts: w.channels.get(&c).map(|c| c.pts).unwrap_or(1),
            count: found.len() as i32,
            offset_id_offset: None,
            messages: found,
            topics: vec![],
            chats,
            users,
        }
        .into(),
        _ => tl::types::messages::Messages {
            messages: found,
            topics: vec![],
            chats,
            users,
        }
        .into(),
    };
    out.to_bytes()
}

/// One page of `messages.searchGlobal`: every dialog, newest first, resuming after the last message.
fn global_page(w: &World, me: i64, r: &tl::functions::messages::SearchGlobal) -> Res {
    let mut peers = w.dialog_peers(me);
    peers.retain(|p| match p {
        PeerKey::User(_) => !r.broadcasts_only && !r.groups_only,
        PeerKey::Chat(_) => !r.broadcasts_only && !r.users_only,
        PeerKey::Channel(c) => {
            let bc = w.channels.get(c).is_some_and(|c| c.broadcast);
            !r.users_only
                && if bc {
                    !r.groups_only
                } else {
                    !r.broadcasts_only
                }
        }
    });
    let mut all: Vec<&Message> = peers
        .iter()
        .flat_map(|p| w.history(me, *p))
        .filter(|m| m.topic_created.is_none())
        .filter(|m| text_matches(m, &r.q))
        .filter(|m| filter_matches(w, m, &r.filter))
        .filter(|m| {
            (r.min_date == 0 || m.date >= r.min_date) && (r.max_date == 0 || m.date <= r.max_date)
        })
        .collect();
    // Newest first; ties by peer then id, all descending.
    all.sort_by_key(|m| std::cmp::Reverse((m.date, m.peer, m.id)));
    let total = all.len();
    let offset_peer = match &r.offset_peer {
        tl::enums::InputPeer::Empty => None,
        p => Some(input_peer(w, me, p)?),
    };
    let start = match offset_peer {
        Some(op) if r.offset_id != 0 => {
            match all.iter().position(|m| m.peer == op && m.id == r.offset_id) {
                Some(i) => i + 1,
                None if r.offset_rate != 0 => all
                    .iter()
                    .position(|m| (m.date, m.peer, m.id) < (r.offset_rate, op, r.offset_id))
                    .unwrap_or(total),
                None => total,
            }
        }
        _ if r.offset_rate != 0 => all
            .iter()
            .position(|m| m.date < r.offset_rate)
            .unwrap_or(total),
        _ => 0,
    };
    let limit = r.limit.clamp(0, 100) as usize;
    let end = (start + limit).min(total);
    let page: Vec<&Message> = all[start.min(end)..end].to_vec();
    let more = end < total;
    let first_page = start == 0;
    let next_rate = if more {
        page.last().map(|m| m.date)
    } else {
        None
    };
    Ok(messages_tl(
        w,
        me,
        None,
        page,
        total,
        first_page && !more,
        next_rate,
    ))
}
