//! Updates: `updates.getState`/`getDifference`/`getChannelDifference`, `pts` bookkeeping, and the updates answered to and pushed for a new message.

use grammers_tl_types as tl;
use tl::Serializable;
use tl::functions as f;

use super::common::input_channel;
use super::{Ctx, Res, decode};
use crate::tlconv::{Refs, message_tl};
use crate::world::{Delivery, Message, PeerKey, World, now};

/// `updates.getState`
pub(super) fn updates_get_state(ctx: &mut Ctx, body: &[u8]) -> Res {
    decode::<f::updates::GetState>(ctx, body)?;
    let me = ctx.me()?;
    Ok(state_tl(ctx.w(), me).to_bytes())
}

/// `updates.getDifference`: always empty: gaps are never filled.
pub(super) fn updates_get_difference(ctx: &mut Ctx, body: &[u8]) -> Res {
    decode::<f::updates::GetDifference>(ctx, body)?;
    ctx.me()?;
    Ok(
        tl::enums::updates::Difference::Empty(tl::types::updates::DifferenceEmpty {
            date: now(),
            seq: 0,
        })
        .to_bytes(),
    )
}

/// `updates.getChannelDifference`: always empty and final.
pub(super) fn updates_get_channel_difference(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::updates::GetChannelDifference = decode(ctx, body)?;
    ctx.me()?;
    let ch = input_channel(ctx.w(), &r.channel)?;
    let pts = ctx.w().channels.get(&ch).map(|c| c.pts).unwrap_or(1);
    Ok(
        tl::enums::updates::ChannelDifference::Empty(tl::types::updates::ChannelDifferenceEmpty {
            r#final: true,
            pts,
            timeout: Some(30),
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
        PeerKey::Channel(c) => tl::types::UpdateNewChannelMessage {
            message: message_tl(w, owner, m),
            pts: w.channels.get(&c).map(|c| c.pts).unwrap_or(1),
            pts_count: 1,
        }
        .into(),
        _ => tl::types::UpdateNewMessage {
            message: message_tl(w, owner, m),
            pts: w.accounts.get(&owner).map(|a| a.pts).unwrap_or(1),
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
    let w = ctx.w();
    let mut targets: Vec<(i64, PeerKey, i32)> = Vec::new();
    for (owner, id) in &d.boxes {
        let p = match peer {
            PeerKey::User(to) if *owner != me => {
                let _ = to;
                PeerKey::User(me)
            }
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
        let except = if owner == me { Some(&ctx.key_id) } else { None };
        if owner == me && except.is_none() {
            continue;
        }
        ctx.st.push_to_user(owner, except, &body);
    }
}
