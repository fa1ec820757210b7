//! Actions on existing messages: forward, react, pin and unpin, and reading mentions, reactions and threads.

use grammers_tl_types as tl;
use tl::Serializable;
use tl::functions as f;

use super::common::{readable_peer, writable_peer};
use super::updates::{bump_pts, push_delivery, sent_updates, updates_tl};
use super::writing::next_date;
use super::{Ctx, Res, bad, decode, err};
use crate::tlconv::{Refs, peer_tl, reactions_tl};
use crate::world::{Draft, Forward, PeerKey};

/// `messages.forwardMessages`: copies in the order asked, each with the original's forward
/// header (none with `drop_author`); an album stays one album.
pub(super) fn messages_forward_messages(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::ForwardMessages = decode(ctx, body)?;
    let me = ctx.me()?;
    let from = readable_peer(ctx.w(), me, &r.from_peer)?;
    let to = writable_peer(ctx.w(), me, &r.to_peer)?;
    if r.id.is_empty() || r.id.len() != r.random_id.len() {
        return Err(bad("RANDOM_ID_INVALID"));
    }
    let mut drafts = Vec::new();
    let mut albums: Vec<(i64, i64)> = Vec::new();
    for (id, random_id) in r.id.iter().zip(&r.random_id) {
        let w = ctx.w();
        let Some(m) = w.message(me, from, *id) else {
            continue;
        };
        if m.topic_created.is_some() {
            continue;
        }
        let origin = m.fwd.clone().unwrap_or_else(|| Forward {
            from: m.from.unwrap_or(m.peer),
            date: m.date,
            channel_post: m.post.then_some(m.id),
        });
        let grouped_id = m
            .grouped_id
            .map(|g| match albums.iter().find(|(old, _)| *old == g) {
                Some((_, new)) => *new,
                None => {
                    let new = rand::random::<i64>().abs();
                    albums.push((g, new));
                    new
                }
            });
        let drop_caption = r.drop_author && r.drop_media_captions && m.media.is_some();
        drafts.push((
            Draft {
                text: if drop_caption {
                    String::new()
                } else {
                    m.text.clone()
                },
                entities: if drop_caption {
                    Vec::new()
                } else {
                    m.entities.clone()
                },
                media: m.media.clone(),
                thread: r.top_msg_id,
                fwd: (!r.drop_author).then_some(origin),
                random_id: Some(*random_id),
                grouped_id,
                ..Default::default()
            },
            *random_id,
        ));
    }
    if drafts.is_empty() {
        return Err(bad("MESSAGE_ID_INVALID"));
    }
    let mut sent = Vec::new();
    for (mut draft, random_id) in drafts {
        draft.date = Some(next_date(ctx.w()));
        let d = ctx.st.world.deliver(me, to, draft);
        push_delivery(ctx, me, to, &d);
        sent.push((d.id, random_id));
    }
    Ok(sent_updates(ctx, me, to, &sent))
}

/// `messages.sendReaction`: one emoji per user (replacing theirs), or none to remove it.
pub(super) fn messages_send_reaction(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::SendReaction = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = readable_peer(ctx.w(), me, &r.peer)?;
    let emoji = match r.reaction.as_deref().unwrap_or_default() {
        [] => None,
        [tl::enums::Reaction::Emoji(e)] => {
            let valid = !e.emoticon.is_empty()
                && e.emoticon.chars().count() <= 4
                && !e.emoticon.chars().any(|c| c.is_ascii());
            if !valid {
                return Err(bad("REACTION_INVALID"));
            }
            Some(e.emoticon.clone())
        }
        [_] => return Err(bad("REACTION_INVALID")),
        _ => return Err(bad("REACTIONS_TOO_MANY")),
    };
    let copies = ctx.w().copies(me, peer, r.msg_id);
    let service = ctx
        .w()
        .message(me, peer, r.msg_id)
        .is_none_or(|m| m.topic_created.is_some());
    if copies.is_empty() || service {
        return Err(bad("MESSAGE_ID_INVALID"));
    }
    for (owner, p, id) in copies {
        let mut authored = false;
        if let Some(m) = ctx.st.world.message_mut(owner, p, id) {
            m.reactions.retain(|(u, _)| *u != me);
            if let Some(e) = &emoji {
                m.reactions.push((me, e.clone()));
            }
            authored = m.from == Some(PeerKey::User(owner)) && owner != me;
        }
        // Someone else's reaction to an account's own message is unread for that account.
        if authored && let Some(acc) = ctx.st.world.accounts.get_mut(&owner) {
            if emoji.is_some() {
                acc.unread_reactions.insert((p, id));
            } else {
                acc.unread_reactions.remove(&(p, id));
            }
        }
    }
    let w = ctx.w();
    let m = w
        .message(me, peer, r.msg_id)
        .ok_or_else(|| err(500, "INTERNAL"))?;
    let reactions = reactions_tl(me, &m.reactions).unwrap_or_else(|| {
        tl::types::MessageReactions {
            min: false,
            can_see_list: false,
            reactions_as_tags: false,
            results: vec![],
            recent_reactions: None,
            top_reactors: None,
        }
        .into()
    });
    let update = tl::types::UpdateMessageReactions {
        peer: peer_tl(peer),
        msg_id: r.msg_id,
        top_msg_id: None,
        saved_peer_id: None,
        reactions,
    };
    let mut refs = Refs::default();
    refs.peer(PeerKey::User(me));
    refs.peer(peer);
    Ok(updates_tl(
        vec![update.into()],
        refs.users_tl(w, me),
        refs.chats_tl(w, me),
    )
    .to_bytes())
}

/// `messages.updatePinnedMessage`: pins or unpins for everyone in the chat (only for the
/// caller with `pm_oneside` in a private chat); a broadcast channel needs its creator.
pub(super) fn messages_update_pinned_message(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::UpdatePinnedMessage = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = readable_peer(ctx.w(), me, &r.peer)?;
    if let PeerKey::Channel(c) = peer {
        match ctx.w().channels.get(&c) {
            Some(ch) if ch.broadcast && ch.creator != me => {
                return Err(bad("CHAT_ADMIN_REQUIRED"));
            }
            Some(ch) if !ch.members.contains(&me) => return Err(bad("CHANNEL_PRIVATE")),
            _ => {}
        }
    }
    let copies = ctx.w().copies(me, peer, r.id);
    if copies.is_empty() {
        return Err(bad("MESSAGE_ID_INVALID"));
    }
    let one_side = r.pm_oneside && matches!(peer, PeerKey::User(_));
    for (owner, p, id) in copies {
        if one_side && owner != me {
            continue;
        }
        if let Some(m) = ctx.st.world.message_mut(owner, p, id) {
            m.pinned = !r.unpin;
        }
    }
    let pts = bump_pts(&mut ctx.st.world, me, peer);
    let update: tl::enums::Update = match peer {
        PeerKey::Channel(c) => tl::types::UpdatePinnedChannelMessages {
            pinned: !r.unpin,
            channel_id: c,
            messages: vec![r.id],
            pts,
            pts_count: 1,
        }
        .into(),
        _ => tl::types::UpdatePinnedMessages {
            pinned: !r.unpin,
            peer: peer_tl(peer),
            messages: vec![r.id],
            pts,
            pts_count: 1,
        }
        .into(),
    };
    let w = ctx.w();
    let mut refs = Refs::default();
    refs.peer(PeerKey::User(me));
    refs.peer(peer);
    Ok(updates_tl(vec![update], refs.users_tl(w, me), refs.chats_tl(w, me)).to_bytes())
}

/// `messages.readMentions`: clears the caller's unread mentions in a chat (or one thread).
pub(super) fn messages_read_mentions(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::ReadMentions = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = readable_peer(ctx.w(), me, &r.peer)?;
    let in_thread = r
        .top_msg_id
        .map(|top| thread_ids(ctx.w(), me, peer, top))
        .unwrap_or_default();
    let acc = ctx
        .st
        .world
        .accounts
        .get_mut(&me)
        .ok_or_else(|| err(500, "INTERNAL"))?;
    acc.unread_mentions
        .retain(|(p, id)| *p != peer || (r.top_msg_id.is_some() && !in_thread.contains(id)));
    Ok(
        tl::enums::messages::AffectedHistory::History(tl::types::messages::AffectedHistory {
            pts: acc.pts,
            pts_count: 0,
            offset: 0,
        })
        .to_bytes(),
    )
}

/// The ids of the messages in a thread (forum topic or comment thread) of `peer`, root included.
fn thread_ids(w: &crate::world::World, me: i64, peer: PeerKey, top: i32) -> Vec<i32> {
    w.history(me, peer)
        .iter()
        .filter(|m| m.thread == Some(top) || m.id == top)
        .map(|m| m.id)
        .collect()
}

/// `messages.readReactions`: clears the caller's unread reactions in a chat (or one thread).
pub(super) fn messages_read_reactions(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::ReadReactions = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = readable_peer(ctx.w(), me, &r.peer)?;
    let in_thread = r
        .top_msg_id
        .map(|top| thread_ids(ctx.w(), me, peer, top))
        .unwrap_or_default();
    let acc = ctx
        .st
        .world
        .accounts
        .get_mut(&me)
        .ok_or_else(|| err(500, "INTERNAL"))?;
    acc.unread_reactions
        .retain(|(p, id)| *p != peer || (r.top_msg_id.is_some() && !in_thread.contains(id)));
    Ok(
        tl::enums::messages::AffectedHistory::History(tl::types::messages::AffectedHistory {
            pts: acc.pts,
            pts_count: 0,
            offset: 0,
        })
        .to_bytes(),
    )
}

/// `messages.readDiscussion`: marks a thread (forum topic or comment thread, named by its
/// root) read up to `read_max_id`; read state only moves forward. `MSG_ID_INVALID` for a root
/// that is not in the chat.
pub(super) fn messages_read_discussion(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::ReadDiscussion = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = readable_peer(ctx.w(), me, &r.peer)?;
    let ids = thread_ids(ctx.w(), me, peer, r.msg_id);
    if !ids.contains(&r.msg_id) {
        return Err(bad("MSG_ID_INVALID"));
    }
    let max = ids
        .iter()
        .copied()
        .filter(|id| *id <= r.read_max_id)
        .max()
        .unwrap_or(r.msg_id);
    let acc = ctx
        .st
        .world
        .accounts
        .get_mut(&me)
        .ok_or_else(|| err(500, "INTERNAL"))?;
    let read = acc.read_threads.entry((peer, r.msg_id)).or_insert(0);
    *read = (*read).max(max);
    Ok(true.to_bytes())
}
