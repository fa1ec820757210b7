//! Dialogs: `messages.getDialogs` (pinned first, folders 0 and 1), `getPeerDialogs`, unread counts, `getDialogFilters` and `updateDialogFilter` (chat folders).

use grammers_tl_types as tl;
use tl::Serializable;
use tl::functions as f;

use super::common::input_peer;
use super::updates::state_tl;
use super::{Ctx, Res, decode, err};
use crate::tlconv::{Refs, input_peer_tl, message_tl, notify_settings, peer_tl};
use crate::world::{Folder, PeerKey, World};

/// `messages.getDialogs`: pinned first, then by newest top message; folder 0 main, 1 archive.
pub(super) fn messages_get_dialogs(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::GetDialogs = decode(ctx, body)?;
    let me = ctx.me()?;
    dialogs_page(ctx.w(), me, &r)
}

/// `messages.getPeerDialogs`
pub(super) fn messages_get_peer_dialogs(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::GetPeerDialogs = decode(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    let mut peers = Vec::new();
    for p in &r.peers {
        if let tl::enums::InputDialogPeer::Peer(p) = p {
            peers.push(input_peer(w, me, &p.peer)?);
        }
    }
    let (dialogs, messages, refs) = dialogs_for(w, me, &peers);
    Ok(
        tl::enums::messages::PeerDialogs::Dialogs(tl::types::messages::PeerDialogs {
            dialogs,
            messages,
            chats: refs.chats_tl(w, me),
            users: refs.users_tl(w, me),
            state: state_tl(w, me),
        })
        .to_bytes(),
    )
}

/// `messages.getDialogFilters`: the default filter, then the account's folders.
pub(super) fn messages_get_dialog_filters(ctx: &mut Ctx, body: &[u8]) -> Res {
    decode::<f::messages::GetDialogFilters>(ctx, body)?;
    let me = ctx.me()?;
    Ok(dialog_filters(ctx.w(), me))
}

/// `messages.updateDialogFilter`: creates or replaces folder `id` (2 and up), or deletes it when
/// no filter is given. Like Telegram: `FILTER_ID_INVALID` below 2, `FILTER_TITLE_EMPTY`, and
/// `FILTER_INCLUDE_EMPTY` for a folder that would take no chat.
pub(super) fn messages_update_dialog_filter(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::UpdateDialogFilter = decode(ctx, body)?;
    let me = ctx.me()?;
    if r.id < 2 {
        return Err(err(400, "FILTER_ID_INVALID"));
    }
    let folder = match &r.filter {
        None => None,
        Some(tl::enums::DialogFilter::Filter(f)) => {
            let w = ctx.w();
            let keys = |v: &[tl::enums::InputPeer]| {
                v.iter()
                    .map(|p| input_peer(w, me, p))
                    .collect::<Result<Vec<_>, _>>()
            };
            let tl::enums::TextWithEntities::Entities(title) = &f.title;
            if title.text.trim().is_empty() {
                return Err(err(400, "FILTER_TITLE_EMPTY"));
            }
            let takes_kinds = f.contacts || f.non_contacts || f.groups || f.broadcasts || f.bots;
            if !takes_kinds && f.include_peers.is_empty() && f.pinned_peers.is_empty() {
                return Err(err(400, "FILTER_INCLUDE_EMPTY"));
            }
            Some(Folder {
                id: r.id,
                title: title.text.clone(),
                emoticon: f.emoticon.clone(),
                contacts: f.contacts,
                non_contacts: f.non_contacts,
                groups: f.groups,
                broadcasts: f.broadcasts,
                bots: f.bots,
                exclude_muted: f.exclude_muted,
                exclude_read: f.exclude_read,
                exclude_archived: f.exclude_archived,
                pinned: keys(&f.pinned_peers)?,
                include: keys(&f.include_peers)?,
                exclude: keys(&f.exclude_peers)?,
            })
        }
        Some(_) => return Err(err(400, "FILTER_NOT_SUPPORTED")),
    };
    let acc = ctx
        .st
        .world
        .accounts
        .get_mut(&me)
        .ok_or_else(|| err(401, "AUTH_KEY_UNREGISTERED"))?;
    match (acc.folders.iter().position(|x| x.id == r.id), folder) {
        (Some(i), Some(f)) => acc.folders[i] = f,
        (None, Some(f)) => acc.folders.push(f),
        (Some(i), None) => {
            acc.folders.remove(i);
        }
        (None, None) => {}
    }
    // The account's other sessions learn of it at once, as Telegram's apps do.
    let update = tl::types::UpdateShort {
        update: tl::types::UpdateDialogFilter {
            id: r.id,
            filter: r.filter,
        }
        .into(),
        date: crate::world::now(),
    };
    let body = tl::enums::Updates::UpdateShort(update).to_bytes();
    let key_id = ctx.key_id;
    ctx.st.push_to_user(me, Some(&key_id), &body);
    Ok(true.to_bytes())
}

/// (read inbox max id, unread count) of `peer` for `me`.
pub(super) fn unread(w: &World, me: i64, peer: PeerKey) -> (i32, i32) {
    let hist = w.history(me, peer);
    let top = hist.last().map(|m| m.id).unwrap_or(0);
    let read = w
        .accounts
        .get(&me)
        .and_then(|a| a.read_inbox.get(&peer).copied())
        .unwrap_or(top);
    let n = hist
        .iter()
        .filter(|m| m.id > read && m.from != Some(PeerKey::User(me)) && m.topic_created.is_none())
        .count();
    (read, n as i32)
}

/// `dialog`s for `peers`, with their top messages and the peers they mention.
fn dialogs_for(
    w: &World,
    me: i64,
    peers: &[PeerKey],
) -> (Vec<tl::enums::Dialog>, Vec<tl::enums::Message>, Refs) {
    let acc = w.accounts.get(&me);
    let mut refs = Refs::default();
    refs.peer(PeerKey::User(me));
    let mut dialogs = Vec::new();
    let mut messages = Vec::new();
    for p in peers {
        refs.peer(*p);
        let top = w.last_message(me, *p);
        if let Some(m) = top {
            refs.message(w, m);
            messages.push(message_tl(w, me, m));
        }
        let (read, unread_count) = unread(w, me, *p);
        dialogs.push(
            tl::types::Dialog {
                pinned: acc.is_some_and(|a| a.pinned.contains(p)),
                unread_mark: false,
                view_forum_as_messages: false,
                peer: peer_tl(*p),
                top_message: top.map(|m| m.id).unwrap_or(0),
                read_inbox_max_id: read,
                read_outbox_max_id: top.map(|m| m.id).unwrap_or(0),
                unread_count,
                unread_mentions_count: acc.map_or(0, |a| {
                    a.unread_mentions.iter().filter(|(q, _)| q == p).count() as i32
                }),
                unread_reactions_count: acc.map_or(0, |a| {
                    a.unread_reactions.iter().filter(|(q, _)| q == p).count() as i32
                }),
                unread_poll_votes_count: 0,
                notify_settings: notify_settings(acc.is_some_and(|a| a.muted.contains(p))),
                pts: match p {
                    PeerKey::Channel(c) => w.channels.get(c).map(|c| c.pts),
                    _ => None,
                },
                draft: super::drafts::dialog_draft(w, me, *p),
                folder_id: acc.is_some_and(|a| a.archived.contains(p)).then_some(1),
                ttl_period: None,
            }
            .into(),
        );
    }
    (dialogs, messages, refs)
}

fn top_key(w: &World, me: i64, p: PeerKey) -> (i32, i32) {
    w.last_message(me, p)
        .map(|m| (m.date, m.id))
        .unwrap_or((0, 0))
}

/// One page of dialogs: pinned first (first page only), then by newest top message.
fn dialogs_page(w: &World, me: i64, r: &tl::functions::messages::GetDialogs) -> Res {
    let acc = w.accounts.get(&me).ok_or_else(|| err(500, "INTERNAL"))?;
    // No folder_id: every dialog, archived ones included; 0: the main list; 1: the archive.
    let all: Vec<PeerKey> = w
        .dialog_peers(me)
        .into_iter()
        .filter(|p| match r.folder_id {
            None => true,
            Some(f) => acc.archived.contains(p) == (f == 1),
        })
        .collect();
    let pinned: Vec<PeerKey> = acc
        .pinned
        .iter()
        .copied()
        .filter(|p| all.contains(p))
        .collect();
    let rest: Vec<PeerKey> = all
        .iter()
        .copied()
        .filter(|p| !pinned.contains(p))
        .collect();
    let total = all.len();
    let offset_peer = match &r.offset_peer {
        tl::enums::InputPeer::Empty => None,
        p => input_peer(w, me, p).ok(),
    };
    let has_offset = offset_peer.is_some() || r.offset_date != 0 || r.offset_id != 0;
    let mut list: Vec<PeerKey> = Vec::new();
    if !has_offset && !r.exclude_pinned {
        list.extend(pinned.iter().copied());
    }
    let start = if let Some(op) = offset_peer.filter(|op| rest.contains(op)) {
        rest.iter()
            .position(|p| *p == op)
            .map(|i| i + 1)
            .unwrap_or(rest.len())
    } else if r.offset_date != 0 {
        rest.iter()
            .position(|p| top_key(w, me, *p) < (r.offset_date, r.offset_id.max(1)))
            .unwrap_or(rest.len())
    } else {
        0
    };
    list.extend(rest[start..].iter().copied());
    let limit = r.limit.clamp(0, 100) as usize;
    list.truncate(limit);
    let complete = !has_offset && list.len() == total;
    let (dialogs, messages, refs) = dialogs_for(w, me, &list);
    let users = refs.users_tl(w, me);
    let chats = refs.chats_tl(w, me);
    let out: tl::enums::messages::Dialogs = if complete {
        tl::types::messages::Dialogs {
            dialogs,
            messages,
            chats,
            users,
        }
        .into()
    } else {
        tl::types::messages::DialogsSlice {
            count: total as i32,
            dialogs,
            messages,
            chats,
            users,
        }
        .into()
    };
    Ok(out.to_bytes())
}

fn dialog_filters(w: &World, me: i64) -> Vec<u8> {
    let folders = w
        .accounts
        .get(&me)
        .map(|a| a.folders.clone())
        .unwrap_or_default();
    let mut filters: Vec<tl::enums::DialogFilter> = vec![tl::enums::DialogFilter::Default];
    for f in folders {
        let ip = |v: &Vec<PeerKey>| v.iter().map(|p| input_peer_tl(w, *p)).collect::<Vec<_>>();
        filters.push(
            tl::types::DialogFilter {
                contacts: f.contacts,
                non_contacts: f.non_contacts,
                groups: f.groups,
                broadcasts: f.broadcasts,
                bots: f.bots,
                exclude_muted: f.exclude_muted,
                exclude_read: f.exclude_read,
                exclude_archived: f.exclude_archived,
                title_noanimate: false,
                id: f.id,
                title: tl::types::TextWithEntities {
                    text: f.title.clone(),
                    entities: vec![],
                }
                .into(),
                emoticon: f.emoticon.clone(),
                color: None,
                pinned_peers: ip(&f.pinned),
                include_peers: ip(&f.include),
                exclude_peers: ip(&f.exclude),
            }
            .into(),
        );
    }
    tl::enums::messages::DialogFilters::Filters(tl::types::messages::DialogFilters {
        tags_enabled: false,
        filters,
    })
    .to_bytes()
}
