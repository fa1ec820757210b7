//! Writing: send (or schedule) text, media and albums, edit, delete, and mark read; new messages are pushed to the other sessions that see them.

use grammers_tl_types as tl;
use tl::Serializable;
use tl::functions as f;

use super::common::{input_channel, readable_peer, writable_peer};
use super::files::input_media;
use super::scheduled::schedule;
use super::updates::{bump_pts, push_delivery, sent_updates, updates_tl};
use super::{Ctx, Res, RpcErr, bad, decode, err};
use crate::tlconv::{Refs, message_tl};
use crate::world::{Draft, PeerKey, World, now};

/// `messages.sendMessage`: `updateShortSentMessage`, or full updates in a channel.
pub(super) fn messages_send_message(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::SendMessage = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = writable_peer(ctx.w(), me, &r.peer)?;
    if r.message.trim().is_empty() {
        return Err(bad("MESSAGE_EMPTY"));
    }
    let draft = Draft {
        text: r.message.clone(),
        entities: r.entities.clone().unwrap_or_default(),
        random_id: Some(r.random_id),
        date: Some(next_date(ctx.w())),
        ..Default::default()
    };
    let draft = apply_reply(ctx.w(), me, peer, draft, r.reply_to.as_ref())?;
    if r.clear_draft {
        clear_draft(&mut ctx.st.world, me, peer);
    }
    if let Some(when) = r.schedule_date {
        return schedule(ctx, me, peer, vec![(draft, r.random_id)], when);
    }
    let d = ctx.st.world.deliver(me, peer, draft);
    push_delivery(ctx, me, peer, &d);
    if matches!(peer, PeerKey::Channel(_)) {
        Ok(sent_updates(ctx, me, peer, &[(d.id, r.random_id)]))
    } else {
        let w = ctx.w();
        let m = w
            .message(me, peer, d.id)
            .ok_or_else(|| err(500, "INTERNAL"))?;
        let pts = w.accounts.get(&me).map(|a| a.pts).unwrap_or(1);
        Ok(
            tl::enums::Updates::UpdateShortSentMessage(tl::types::UpdateShortSentMessage {
                out: true,
                id: m.id,
                pts,
                pts_count: 1,
                date: m.date,
                media: None,
                entities: if m.entities.is_empty() {
                    None
                } else {
                    Some(m.entities.clone())
                },
                ttl_period: None,
            })
            .to_bytes(),
        )
    }
}

/// `messages.sendMedia`
pub(super) fn messages_send_media(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::SendMedia = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = writable_peer(ctx.w(), me, &r.peer)?;
    let media = input_media(&mut ctx.st.world, &r.media)?;
    let draft = Draft {
        text: r.message.clone(),
        entities: r.entities.clone().unwrap_or_default(),
        media: Some(media),
        random_id: Some(r.random_id),
        date: Some(next_date(ctx.w())),
        ..Default::default()
    };
    let draft = apply_reply(ctx.w(), me, peer, draft, r.reply_to.as_ref())?;
    if r.clear_draft {
        clear_draft(&mut ctx.st.world, me, peer);
    }
    if let Some(when) = r.schedule_date {
        return schedule(ctx, me, peer, vec![(draft, r.random_id)], when);
    }
    let d = ctx.st.world.deliver(me, peer, draft);
    push_delivery(ctx, me, peer, &d);
    Ok(sent_updates(ctx, me, peer, &[(d.id, r.random_id)]))
}

/// `messages.uploadMedia`: stores the media without sending it.
pub(super) fn messages_upload_media(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::UploadMedia = decode(ctx, body)?;
    let me = ctx.me()?;
    writable_peer(ctx.w(), me, &r.peer)?;
    let media = input_media(&mut ctx.st.world, &r.media)?;
    crate::tlconv::media_tl(ctx.w(), &media)
        .map(|m| m.to_bytes())
        .ok_or_else(|| bad("MEDIA_INVALID"))
}

/// `messages.sendMultiMedia`: an album: one `grouped_id`, the reply on the first item.
pub(super) fn messages_send_multi_media(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::SendMultiMedia = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = writable_peer(ctx.w(), me, &r.peer)?;
    let grouped = (r.multi_media.len() > 1).then(|| rand::random::<i64>().abs());
    let mut sent = Vec::new();
    let mut drafts = Vec::new();
    for (i, sm) in r.multi_media.iter().enumerate() {
        let tl::enums::InputSingleMedia::Media(sm) = sm;
        let media = input_media(&mut ctx.st.world, &sm.media)?;
        let draft = Draft {
            text: sm.message.clone(),
            entities: sm.entities.clone().unwrap_or_default(),
            media: Some(media),
            random_id: Some(sm.random_id),
            grouped_id: grouped,
            date: Some(next_date(ctx.w())),
            ..Default::default()
        };
        let draft = if i == 0 {
            apply_reply(ctx.w(), me, peer, draft, r.reply_to.as_ref())?
        } else {
            draft
        };
        if r.schedule_date.is_some() {
            drafts.push((draft, sm.random_id));
            continue;
        }
        let d = ctx.st.world.deliver(me, peer, draft);
        push_delivery(ctx, me, peer, &d);
        sent.push((d.id, sm.random_id));
    }
    if let Some(when) = r.schedule_date {
        return schedule(ctx, me, peer, drafts, when);
    }
    Ok(sent_updates(ctx, me, peer, &sent))
}

/// `messages.editMessage`: only the author (or a channel post); an unchanged edit fails.
pub(super) fn messages_edit_message(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::EditMessage = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = writable_peer(ctx.w(), me, &r.peer)?;
    let new_media = match &r.media {
        Some(m) => Some(input_media(&mut ctx.st.world, m)?),
        None => None,
    };
    let date = next_date(ctx.w());
    let m = ctx
        .st
        .world
        .message_mut(me, peer, r.id)
        .ok_or_else(|| bad("MESSAGE_ID_INVALID"))?;
    if m.from != Some(PeerKey::User(me)) && !m.post {
        return Err(err(403, "MESSAGE_AUTHOR_REQUIRED"));
    }
    let new_text = r.message.clone().unwrap_or_else(|| m.text.clone());
    let new_entities = r.entities.clone().unwrap_or_default();
    if new_text == m.text && new_entities == m.entities && new_media.is_none() {
        return Err(bad("MESSAGE_NOT_MODIFIED"));
    }
    m.text = new_text;
    m.entities = new_entities;
    if new_media.is_some() {
        m.media = new_media;
    }
    m.edit_date = Some(date);
    let pts = bump_pts(&mut ctx.st.world, me, peer);
    let w = ctx.w();
    let m = w
        .message(me, peer, r.id)
        .ok_or_else(|| err(500, "INTERNAL"))?;
    let msg = message_tl(w, me, m);
    let update: tl::enums::Update = match peer {
        PeerKey::Channel(_) => tl::types::UpdateEditChannelMessage {
            message: msg,
            pts,
            pts_count: 1,
        }
        .into(),
        _ => tl::types::UpdateEditMessage {
            message: msg,
            pts,
            pts_count: 1,
        }
        .into(),
    };
    let mut refs = Refs::default();
    refs.message(w, m);
    Ok(updates_tl(vec![update], refs.users_tl(w, me), refs.chats_tl(w, me)).to_bytes())
}

/// `messages.deleteMessages`: from the viewer's own message box; with `revoke`, every copy
/// too (in a private chat any message, in a basic group one's own or any as its creator).
pub(super) fn messages_delete_messages(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::DeleteMessages = decode(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    let mut gone: Vec<(i64, PeerKey, i32)> = Vec::new();
    let mine: Vec<(PeerKey, i32, Option<PeerKey>)> = w
        .accounts
        .get(&me)
        .map(|a| {
            a.messages
                .iter()
                .filter(|m| r.id.contains(&m.id))
                .map(|m| (m.peer, m.id, m.from))
                .collect()
        })
        .unwrap_or_default();
    for (peer, id, from) in mine {
        let may_revoke = match peer {
            PeerKey::User(_) => true,
            PeerKey::Chat(g) => {
                from == Some(PeerKey::User(me)) || w.groups.get(&g).is_some_and(|g| g.creator == me)
            }
            PeerKey::Channel(_) => false,
        };
        if r.revoke && may_revoke {
            gone.extend(w.copies(me, peer, id));
        } else {
            gone.push((me, peer, id));
        }
    }
    let mut n = 0;
    for acc in ctx.st.world.accounts.values_mut() {
        let owner = acc.user_id;
        let before = acc.messages.len();
        acc.messages
            .retain(|m| !gone.contains(&(owner, m.peer, m.id)));
        acc.unread_mentions
            .retain(|(p, id)| !gone.contains(&(owner, *p, *id)));
        let removed = (before - acc.messages.len()) as i32;
        acc.pts += removed;
        if owner == me {
            n = removed;
        }
    }
    let pts = ctx.w().accounts.get(&me).map(|a| a.pts).unwrap_or(1);
    Ok(
        tl::enums::messages::AffectedMessages::Messages(tl::types::messages::AffectedMessages {
            pts,
            pts_count: n,
        })
        .to_bytes(),
    )
}

/// `channels.deleteMessages`: the viewer's own messages, or any as the creator.
pub(super) fn channels_delete_messages(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::channels::DeleteMessages = decode(ctx, body)?;
    let me = ctx.me()?;
    let id = input_channel(ctx.w(), &r.channel)?;
    let ch = ctx
        .st
        .world
        .channels
        .get_mut(&id)
        .ok_or_else(|| bad("CHANNEL_INVALID"))?;
    let admin = ch.creator == me;
    let before = ch.messages.len();
    ch.messages
        .retain(|m| !(r.id.contains(&m.id) && (admin || m.from == Some(PeerKey::User(me)))));
    let n = (before - ch.messages.len()) as i32;
    ch.pts += n;
    let pts = ch.pts;
    let kept: Vec<i32> = ch.messages.iter().map(|m| m.id).collect();
    let chat = PeerKey::Channel(id);
    for acc in ctx.st.world.accounts.values_mut() {
        acc.unread_mentions
            .retain(|(p, m)| *p != chat || kept.contains(m));
    }
    Ok(
        tl::enums::messages::AffectedMessages::Messages(tl::types::messages::AffectedMessages {
            pts,
            pts_count: n,
        })
        .to_bytes(),
    )
}

/// `messages.readHistory`
pub(super) fn messages_read_history(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::ReadHistory = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = readable_peer(ctx.w(), me, &r.peer)?;
    let top = ctx.w().last_message(me, peer).map(|m| m.id).unwrap_or(0);
    let max = if r.max_id == 0 {
        top
    } else {
        r.max_id.min(top)
    };
    let acc = ctx
        .st
        .world
        .accounts
        .get_mut(&me)
        .ok_or_else(|| err(500, "INTERNAL"))?;
    // Read state only moves forward.
    let read = acc.read_inbox.entry(peer).or_insert(0);
    *read = (*read).max(max);
    Ok(
        tl::enums::messages::AffectedMessages::Messages(tl::types::messages::AffectedMessages {
            pts: acc.pts,
            pts_count: 0,
        })
        .to_bytes(),
    )
}

/// `channels.readHistory`
pub(super) fn channels_read_history(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::channels::ReadHistory = decode(ctx, body)?;
    let me = ctx.me()?;
    let id = input_channel(ctx.w(), &r.channel)?;
    let peer = PeerKey::Channel(id);
    let top = ctx.w().last_message(me, peer).map(|m| m.id).unwrap_or(0);
    let max = if r.max_id == 0 {
        top
    } else {
        r.max_id.min(top)
    };
    if let Some(acc) = ctx.st.world.accounts.get_mut(&me) {
        let read = acc.read_inbox.entry(peer).or_insert(0);
        *read = (*read).max(max);
    }
    Ok(true.to_bytes())
}

/// Drops `me`'s draft in `peer` (a send with `clear_draft`).
fn clear_draft(w: &mut World, me: i64, peer: PeerKey) {
    if let Some(a) = w.accounts.get_mut(&me) {
        a.drafts.remove(&peer);
    }
}

/// Now, but never before the newest message: dates stay ordered like ids.
pub(super) fn next_date(w: &World) -> i32 {
    let newest = w
        .accounts
        .values()
        .flat_map(|a| a.messages.last())
        .chain(w.channels.values().flat_map(|c| c.messages.last()))
        .map(|m| m.date)
        .max()
        .unwrap_or(0);
    now().max(newest + 1)
}

/// Sets `reply_to` and the thread (topic, comment thread) of a draft from `InputReplyTo`.
fn apply_reply(
    w: &World,
    me: i64,
    peer: PeerKey,
    mut draft: Draft,
    reply: Option<&tl::enums::InputReplyTo>,
) -> Result<Draft, RpcErr> {
    let Some(tl::enums::InputReplyTo::Message(r)) = reply else {
        return Ok(draft);
    };
    let forum_topic = |id: i32| match peer {
        PeerKey::Channel(c) => w
            .channels
            .get(&c)
            .is_some_and(|c| c.forum && c.topics.iter().any(|t| t.id == id)),
        _ => false,
    };
    let target = w.message(me, peer, r.reply_to_msg_id);
    if target.is_none() && !forum_topic(r.reply_to_msg_id) {
        return Err(bad("REPLY_TO_INVALID"));
    }
    draft.reply_to = Some(r.reply_to_msg_id);
    draft.thread = r.top_msg_id.or_else(|| {
        if forum_topic(r.reply_to_msg_id) {
            Some(r.reply_to_msg_id)
        } else {
            target.and_then(|t| {
                t.thread.or(t
                    .discussion
                    .filter(|_| matches!(peer, PeerKey::Channel(_)))
                    .map(|_| t.id))
            })
        }
    });
    Ok(draft)
}
