//! Shared request helpers: resolving `InputUser`/`InputChannel`/`InputPeer` with their access checks.

use grammers_tl_types as tl;

use super::{RpcErr, bad, err};
use crate::world::{PeerKey, World};

/// The user an `InputUser` names, if its access hash is right.
pub(super) fn input_user(w: &World, me: i64, u: &tl::enums::InputUser) -> Result<i64, RpcErr> {
    match u {
        tl::enums::InputUser::UserSelf => Ok(me),
        tl::enums::InputUser::User(u) => match w.users.get(&u.user_id) {
            Some(x) if x.access_hash == u.access_hash || u.user_id == me => Ok(u.user_id),
            _ => Err(bad("USER_ID_INVALID")),
        },
        tl::enums::InputUser::FromMessage(u) => w
            .users
            .contains_key(&u.user_id)
            .then_some(u.user_id)
            .ok_or_else(|| bad("USER_ID_INVALID")),
        tl::enums::InputUser::Empty => Err(bad("USER_ID_INVALID")),
    }
}

/// The channel an `InputChannel` names, if its access hash is right.
pub(super) fn input_channel(w: &World, c: &tl::enums::InputChannel) -> Result<i64, RpcErr> {
    match c {
        tl::enums::InputChannel::Channel(c) => match w.channels.get(&c.channel_id) {
            Some(x) if x.access_hash == c.access_hash => Ok(c.channel_id),
            _ => Err(bad("CHANNEL_INVALID")),
        },
        tl::enums::InputChannel::FromMessage(c) => w
            .channels
            .contains_key(&c.channel_id)
            .then_some(c.channel_id)
            .ok_or_else(|| bad("CHANNEL_INVALID")),
        tl::enums::InputChannel::Empty => Err(bad("CHANNEL_INVALID")),
    }
}

/// The peer an `InputPeer` names, if it exists and its access hash is right.
pub(super) fn input_peer(w: &World, me: i64, p: &tl::enums::InputPeer) -> Result<PeerKey, RpcErr> {
    use tl::enums::InputPeer as P;
    match p {
        P::PeerSelf => Ok(PeerKey::User(me)),
        P::User(u) => match w.users.get(&u.user_id) {
            Some(x) if x.access_hash == u.access_hash || u.user_id == me => {
                Ok(PeerKey::User(u.user_id))
            }
            _ => Err(bad("PEER_ID_INVALID")),
        },
        P::Chat(c) => w
            .groups
            .contains_key(&c.chat_id)
            .then_some(PeerKey::Chat(c.chat_id))
            .ok_or_else(|| bad("PEER_ID_INVALID")),
        P::Channel(c) => match w.channels.get(&c.channel_id) {
            Some(x) if x.access_hash == c.access_hash => Ok(PeerKey::Channel(c.channel_id)),
            _ => Err(bad("CHANNEL_INVALID")),
        },
        P::UserFromMessage(u) => w
            .users
            .contains_key(&u.user_id)
            .then_some(PeerKey::User(u.user_id))
            .ok_or_else(|| bad("PEER_ID_INVALID")),
        P::ChannelFromMessage(c) => w
            .channels
            .contains_key(&c.channel_id)
            .then_some(PeerKey::Channel(c.channel_id))
            .ok_or_else(|| bad("CHANNEL_INVALID")),
        P::Empty => Err(bad("PEER_ID_INVALID")),
    }
}

/// An [`input_peer`] whose messages `me` may read.
pub(super) fn readable_peer(
    w: &World,
    me: i64,
    p: &tl::enums::InputPeer,
) -> Result<PeerKey, RpcErr> {
    let peer = input_peer(w, me, p)?;
    if !w.can_read(me, peer) {
        return Err(bad(if matches!(peer, PeerKey::Channel(_)) {
            "CHANNEL_PRIVATE"
        } else {
            "PEER_ID_INVALID"
        }));
    }
    Ok(peer)
}

/// An [`input_peer`] `me` may post in.
pub(super) fn writable_peer(
    w: &World,
    me: i64,
    p: &tl::enums::InputPeer,
) -> Result<PeerKey, RpcErr> {
    let peer = input_peer(w, me, p)?;
    match peer {
        PeerKey::User(_) => Ok(peer),
        PeerKey::Chat(id) if w.groups.get(&id).is_some_and(|g| g.members.contains(&me)) => Ok(peer),
        PeerKey::Channel(id) => match w.channels.get(&id) {
            Some(c) if c.broadcast && c.creator != me => Err(err(403, "CHAT_WRITE_FORBIDDEN")),
            Some(c) if c.members.contains(&me) => Ok(peer),
            _ => Err(bad("CHANNEL_PRIVATE")),
        },
        PeerKey::Chat(_) => Err(err(403, "CHAT_WRITE_FORBIDDEN")),
    }
}
