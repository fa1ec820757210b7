//! Updates: `updates.getState`/`getDifference`/`getChannelDifference`, `pts` bookkeeping, and the updates answered to and pushed for a new message.

use grammers_tl_types as tl;
use tl::Serializable;
use tl::functions as f;

use super::common::input_channel;
use super::{Ctx, Res, decode, err};
use crate::State;
use crate::tlconv::{Refs, message_tl};
use crate::world::{Delivery, Message, PeerKey, World, now};

/// `updates.getState`
pub(super) fn updates_get_state(ctx: &mut Ctx, body: &[u8]) -> Res {
    decode::<f::updates::GetState>(ctx, body)?;
    let me = ctx.me()?;
    Ok(state_tl(ctx.w(), me).to_bytes())
}

/// Most new messages one difference carries; more come as `updates.differenceSlice` (or a
/// channel difference that is not `final`), as Telegram pages them (its own page size is not
/// documented).
pub(crate) const DIFFERENCE_PAGE: usize = 100;

/// `updates.getDifference`: the messages that arrived in the account's box (private chats and
/// basic groups) after the client's `pts`, oldest first, with the state to continue from;
/// `differenceEmpty` when nothing is newer; `differenceSlice` for a page that leaves more;
/// `differenceTooLong` when `pts_total_limit` is exceeded. Channel messages are never part of
/// it (they have their own `pts`; see `updates.getChannelDifference`). Other events that took a
/// `pts` (edits, deletions, read marks, pins, reactions) move the state on but are not replayed
/// in `other_updates`: deleted messages simply are not there.
pub(super) fn updates_get_difference(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::updates::GetDifference = decode(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    let current = w.accounts.get(&me).map(|a| a.pts).unwrap_or(1);
    if r.pts >= current {
        return Ok(
            tl::enums::updates::Difference::Empty(tl::types::updates::DifferenceEmpty {
                date: now(),
                seq: 0,
            })
            .to_bytes(),
        );
    }
    if r.pts_total_limit
        .is_some_and(|limit| current - r.pts > limit)
    {
        return Ok(tl::enums::updates::Difference::TooLong(
            tl::types::updates::DifferenceTooLong { pts: current },
        )
        .to_bytes());
    }
    let mut newer: Vec<&Message> = w
        .accounts
        .get(&me)
        .map(|a| a.messages.iter().filter(|m| m.pts > r.pts).collect())
        .unwrap_or_default();
    newer.sort_by_key(|m| m.pts);
    let complete = newer.len() <= DIFFERENCE_PAGE;
    newer.truncate(DIFFERENCE_PAGE);
    let mut refs = Refs::default();
    refs.peer(PeerKey::User(me));
    for m in &newer {
        refs.message(w, m);
    }
    let mut state = tl::types::updates::State {
        pts: current,
        qts: 0,
        date: now(),
        seq: 0,
        unread_count: 0,
    };
    let new_messages = newer.iter().map(|m| message_tl(w, me, m)).collect();
    let (users, chats) = (refs.users_tl(w, me), refs.chats_tl(w, me));
    let diff = if complete {
        tl::enums::updates::Difference::Difference(tl::types::updates::Difference {
            new_messages,
            new_encrypted_messages: Vec::new(),
            other_updates: Vec::new(),
            chats,
            users,
            state: state.into(),
        })
    } else {
        state.pts = newer.last().map_or(current, |m| m.pts);
        tl::enums::updates::Difference::Slice(tl::types::updates::DifferenceSlice {
            new_messages,
            new_encrypted_messages: Vec::new(),
            other_updates: Vec::new(),
            chats,
            users,
            intermediate_state: state.into(),
        })
    };
    Ok(diff.to_bytes())
}

/// `updates.getChannelDifference`: the channel's messages after the client's `pts`, oldest
/// first, at most `limit` (default and cap [`DIFFERENCE_PAGE`]); `final` once nothing is left,
/// else `pts` is that of the last message given. `channelDifferenceEmpty` when nothing is newer.
/// A private channel the account is not in answers `CHANNEL_PRIVATE`.
pub(super) fn updates_get_channel_difference(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::updates::GetChannelDifference = decode(ctx, body)?;
    let me = ctx.me()?;
    let ch = input_channel(ctx.w(), &r.channel)?;
    let w = ctx.w();
    if !w.can_read(me, PeerKey::Channel(ch)) {
        return Err(err(400, "CHANNEL_PRIVATE"));
    }
    let Some(channel) = w.channels.get(&ch) else {
        return Err(err(400, "CHANNEL_INVALID"));
    };
    if r.pts <= 0 {
        return Err(err(400, "PERSISTENT_TIMESTAMP_INVALID"));
    }
    if r.pts >= channel.pts {
        return Ok(tl::enums::updates::ChannelDifference::Empty(
            tl::types::updates::ChannelDifferenceEmpty {
                r#final: true,
                pts: channel.pts,
                timeout: Some(30),
            },
        )
        .to_bytes());
    }
    let page = usize::try_from(r.limit)
        .ok()
        .filter(|l| (1..=DIFFERENCE_PAGE).contains(l))
        .unwrap_or(DIFFERENCE_PAGE);
    let mut newer: Vec<&Message> = channel.messages.iter().filter(|m| m.pts > r.pts).collect();
    newer.sort_by_key(|m| m.pts);
    let complete = newer.len() <= page;
    newer.truncate(page);
    let mut refs = Refs::default();
    refs.peer(PeerKey::Channel(ch));
    for m in &newer {
        refs.message(w, m);
    }
    Ok(
        tl::enums::updates::ChannelDifference::Difference(tl::types::updates::ChannelDifference {
            r#final: complete,
            pts: if complete {
                channel.pts
            } else {
                newer.last().map_or(channel.pts, |m| m.pts)
            },
            timeout: Some(30),
            new_messages: newer.iter().map(|m| message_tl(w, me, m)).collect(),
            other_updates: Vec::new(),
            chats: refs.chats_tl(w, me),
            users: refs.users_tl(w, me),
        })
        .to_bytes(),
    )
}

/// The account's `updates.state`: its `pts`, `seq` 0.
pub(super) fn state_tl(w: &World, me: i64) -> tl::enums::updates::State {
    tl::types::updates::State {
        pts: w.accounts.get(&me).map(|a| a.pts).unwrap_or(1),
        qts: 0,
        date: now(),
        seq: 0,
        unread_count: 0,
    }
    .into()
}

/// Counts one more event in the `pts` of the channel, else of the account; returns it.
pub(super) fn bump_pts(w: &mut World, me: i64, peer: PeerKey) -> i32 {
    match peer {
        PeerKey::Channel(c) => w.channels.get_mut(&c).map(|c| {
            c.pts += 1;
            c.pts
        }),
        _ => w.accounts.get_mut(&me).map(|a| {
            a.pts += 1;
            a.pts
        }),
    }
    .unwrap_or(1)
}

/// An `updates` container with `seq` 0.
pub(super) fn updates_tl(
    updates: Vec<tl::enums::Update>,
    users: Vec<tl::enums::User>,
    chats: Vec<tl::enums::Chat>,
) -> tl::enums::Updates {
    tl::types::Updates {
        updates,
        users,
        chats,
        date: now(),
        seq: 0,
    }
    .into()
}

fn new_message_update(w: &World, owner: i64, m: &Message) -> tl::enums::Update {
    match m.peer {
        PeerKey::Channel(_) => tl::types::UpdateNewChannelMessage {
            message: message_tl(w, owner, m),
            pts: m.pts,
            pts_count: 1,
        }
        .into(),
        _ => tl::types::UpdateNewMessage {
            message: message_tl(w, owner, m),
            pts: m.pts,
            pts_count: 1,
        }
        .into(),
    }
}

/// `updates` answer for sends: `updateMessageID` + new-message updates.
pub(super) fn sent_updates(ctx: &Ctx, me: i64, peer: PeerKey, sent: &[(i32, i64)]) -> Vec<u8> {
    let w = ctx.w();
    let mut ups: Vec<tl::enums::Update> = Vec::new();
    let mut refs = Refs::default();
    refs.peer(PeerKey::User(me));
    refs.peer(peer);
    for (id, random_id) in sent {
        ups.push(
            tl::types::UpdateMessageId {
                id: *id,
                random_id: *random_id,
            }
            .into(),
        );
    }
    for (id, _) in sent {
        if let Some(m) = w.message(me, peer, *id) {
            refs.message(w, m);
            ups.push(new_message_update(w, me, m));
        }
    }
    updates_tl(ups, refs.users_tl(w, me), refs.chats_tl(w, me)).to_bytes()
}

/// Pushes the new message to every other logged-in session that can see it.
pub(super) fn push_delivery(ctx: &Ctx, me: i64, peer: PeerKey, d: &Delivery) {
    push_new_message(ctx.st, Some(&ctx.key_id), me, peer, d);
}

/// Pushes a delivered message (sent by `me` to `peer`) to every logged-in session of every
/// account that received a copy, except the connection key `except` (the sender's own).
pub(crate) fn push_new_message(
    st: &State,
    except: Option<&[u8; 8]>,
    me: i64,
    peer: PeerKey,
    d: &Delivery,
) {
    let w = &st.world;
    let mut targets: Vec<(i64, PeerKey, i32)> = Vec::new();
    for (owner, id) in &d.boxes {
        let p = match peer {
            PeerKey::User(_) if *owner != me => PeerKey::User(me),
            other => other,
        };
        targets.push((*owner, p, *id));
    }
    if let Some((c, id)) = d.channel {
        for member in w
            .channels
            .get(&c)
            .map(|c| c.members.clone())
            .unwrap_or_default()
        {
            if w.accounts.contains_key(&member) {
                targets.push((member, PeerKey::Channel(c), id));
            }
        }
    }
    for (owner, p, id) in targets {
        let Some(m) = w.message(owner, p, id) else {
            continue;
        };
        let mut refs = Refs::default();
        refs.peer(PeerKey::User(owner));
        refs.message(w, m);
        let body = updates_tl(
            vec![new_message_update(w, owner, m)],
            refs.users_tl(w, owner),
            refs.chats_tl(w, owner),
        )
        .to_bytes();
        st.push_to_user(owner, except.filter(|_| owner == me), &body);
    }
}
