//! Scheduled messages: sending with `schedule_date`, `getScheduledHistory`/`getScheduledMessages` and `deleteScheduledMessages`.

use grammers_tl_types as tl;
use tl::Serializable;
use tl::functions as f;

use super::common::{input_peer, writable_peer};
use super::updates::updates_tl;
use super::{Ctx, Res, RpcErr, bad, decode};
use crate::tlconv::{Refs, message_tl, peer_tl};
use crate::world::{Draft, Message, PeerKey, World, now};

/// Latest date Telegram accepts for a scheduled message: a year ahead.
const MAX_AHEAD: i32 = 366 * 24 * 3600;

/// Checks a `schedule_date`: in the future, at most a year ahead.
pub(super) fn check_date(when: i32) -> Result<(), RpcErr> {
    if when <= now() {
        return Err(bad("SCHEDULE_DATE_INVALID"));
    }
    if when > now() + MAX_AHEAD {
        return Err(bad("SCHEDULE_DATE_TOO_LATE"));
    }
    Ok(())
}

/// Schedules drafts (with their random ids) and answers `updateMessageID` +
/// `updateNewScheduledMessage` for each, as Telegram does.
pub(super) fn schedule(
    ctx: &mut Ctx,
    me: i64,
    peer: PeerKey,
    drafts: Vec<(Draft, i64)>,
    when: i32,
) -> Res {
    check_date(when)?;
    let ids: Vec<(i32, i64)> = drafts
        .into_iter()
        .map(|(d, random_id)| (ctx.st.world.schedule(me, peer, d, when), random_id))
        .collect();
    let w = ctx.w();
    let mut ups: Vec<tl::enums::Update> = Vec::new();
    let mut refs = Refs::default();
    refs.peer(PeerKey::User(me));
    refs.peer(peer);
    for (id, random_id) in &ids {
        ups.push(
            tl::types::UpdateMessageId {
                id: *id,
                random_id: *random_id,
            }
            .into(),
        );
        if let Some(m) = find(w, me, peer, *id) {
            ups.push(
                tl::types::UpdateNewScheduledMessage {
                    message: message_tl(w, me, m),
                }
                .into(),
            );
        }
    }
    Ok(updates_tl(ups, refs.users_tl(w, me), refs.chats_tl(w, me)).to_bytes())
}

fn find(w: &World, me: i64, peer: PeerKey, id: i32) -> Option<&Message> {
    w.scheduled(me, peer).into_iter().find(|m| m.id == id)
}

fn messages_tl(w: &World, me: i64, list: &[&Message]) -> Vec<u8> {
    let mut refs = Refs::default();
    refs.peer(PeerKey::User(me));
    for m in list {
        refs.message(w, m);
    }
    tl::enums::messages::Messages::Messages(tl::types::messages::Messages {
        messages: list.iter().map(|m| message_tl(w, me, m)).collect(),
        topics: vec![],
        chats: refs.chats_tl(w, me),
        users: refs.users_tl(w, me),
    })
    .to_bytes()
}

/// `messages.getScheduledHistory`: the caller's scheduled messages in a chat, latest date first.
pub(super) fn messages_get_scheduled_history(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::GetScheduledHistory = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = input_peer(ctx.w(), me, &r.peer)?;
    let w = ctx.w();
    Ok(messages_tl(w, me, &w.scheduled(me, peer)))
}

/// `messages.getScheduledMessages`: the ones asked for that exist.
pub(super) fn messages_get_scheduled_messages(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::GetScheduledMessages = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = input_peer(ctx.w(), me, &r.peer)?;
    let w = ctx.w();
    let list: Vec<&Message> = w
        .scheduled(me, peer)
        .into_iter()
        .filter(|m| r.id.contains(&m.id))
        .collect();
    Ok(messages_tl(w, me, &list))
}

/// `messages.deleteScheduledMessages`: answers `updateDeleteScheduledMessages` with the ids removed.
pub(super) fn messages_delete_scheduled_messages(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::DeleteScheduledMessages = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = writable_peer(ctx.w(), me, &r.peer)?;
    let mut removed = Vec::new();
    if let Some(acc) = ctx.st.world.accounts.get_mut(&me) {
        acc.scheduled.retain(|m| {
            let hit = m.peer == peer && r.id.contains(&m.id);
            if hit {
                removed.push(m.id);
            }
            !hit
        });
    }
    let update = tl::types::UpdateDeleteScheduledMessages {
        peer: peer_tl(peer),
        messages: removed,
        sent_messages: None,
    };
    let w = ctx.w();
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
