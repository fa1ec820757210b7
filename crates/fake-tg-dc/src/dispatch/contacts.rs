//! Contacts and usernames: `contacts.resolveUsername`/`resolvePhone`/`search`, and the contact list (`getContacts`, `importContacts`, `deleteContacts`).

use grammers_tl_types as tl;
use tl::Serializable;
use tl::functions as f;

use super::common::input_user;
use super::updates::updates_tl;
use super::{Ctx, Res, bad, decode};
use crate::tlconv::{Refs, peer_tl, user_tl};
use crate::world::{PeerKey, World};

/// `contacts.resolveUsername`: a user or channel by username, case-insensitive, `@` optional.
pub(super) fn contacts_resolve_username(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::contacts::ResolveUsername = decode(ctx, body)?;
    let me = ctx.me()?;
    let name = r.username.trim_start_matches('@').to_lowercase();
    let w = ctx.w();
    let peer = w
        .users
        .values()
        .find(|u| u.username.as_deref().map(str::to_lowercase).as_deref() == Some(name.as_str()))
        .map(|u| PeerKey::User(u.id))
        .or_else(|| {
            w.channels
                .values()
                .find(|c| {
                    c.username.as_deref().map(str::to_lowercase).as_deref() == Some(name.as_str())
                })
                .map(|c| PeerKey::Channel(c.id))
        })
        .ok_or_else(|| bad("USERNAME_NOT_OCCUPIED"))?;
    Ok(resolved(w, me, peer))
}

/// `contacts.resolvePhone`: only the viewer's contacts resolve (the common privacy setting).
pub(super) fn contacts_resolve_phone(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::contacts::ResolvePhone = decode(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    // Models the common privacy setting "find me by phone: my contacts": only the
    // viewer's contacts resolve; others must be imported with contacts.importContacts.
    let uid = user_by_phone(w, &r.phone)
        .filter(|u| w.accounts.get(&me).is_some_and(|a| a.contacts.contains(u)))
        .ok_or_else(|| bad("PHONE_NOT_OCCUPIED"))?;
    Ok(resolved(w, me, PeerKey::User(uid)))
}

/// `contacts.search`: by name or username: the viewer's contacts and dialogs, then public peers.
pub(super) fn contacts_search(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::contacts::Search = decode(ctx, body)?;
    let me = ctx.me()?;
    Ok(found(ctx.w(), me, &r.q, r.limit))
}

/// `contacts.getContacts`: the viewer's contacts, `mutual` when they have the viewer too.
pub(super) fn contacts_get_contacts(ctx: &mut Ctx, body: &[u8]) -> Res {
    decode::<f::contacts::GetContacts>(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    let ids = w
        .accounts
        .get(&me)
        .map(|a| a.contacts.clone())
        .unwrap_or_default();
    Ok(
        tl::enums::contacts::Contacts::Contacts(tl::types::contacts::Contacts {
            contacts: ids
                .iter()
                .map(|id| {
                    tl::types::Contact {
                        user_id: *id,
                        mutual: w.accounts.get(id).is_some_and(|a| a.contacts.contains(&me)),
                    }
                    .into()
                })
                .collect(),
            saved_count: 0,
            users: ids.iter().map(|id| user_tl(w, Some(me), *id)).collect(),
        })
        .to_bytes(),
    )
}

/// `contacts.importContacts`: adds every phone that belongs to a user.
pub(super) fn contacts_import_contacts(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::contacts::ImportContacts = decode(ctx, body)?;
    let me = ctx.me()?;
    let mut imported = Vec::new();
    for c in &r.contacts {
        let tl::enums::InputContact::InputPhoneContact(c) = c;
        if let Some(uid) = user_by_phone(ctx.w(), &c.phone) {
            ctx.st.world.add_contact(me, uid);
            imported.push((uid, c.client_id));
        }
    }
    let w = ctx.w();
    Ok(
        tl::enums::contacts::ImportedContacts::Contacts(tl::types::contacts::ImportedContacts {
            imported: imported
                .iter()
                .map(|(u, c)| {
                    tl::types::ImportedContact {
                        user_id: *u,
                        client_id: *c,
                    }
                    .into()
                })
                .collect(),
            popular_invites: vec![],
            retry_contacts: vec![],
            users: imported
                .iter()
                .map(|(u, _)| user_tl(w, Some(me), *u))
                .collect(),
        })
        .to_bytes(),
    )
}

/// `contacts.deleteContacts`
pub(super) fn contacts_delete_contacts(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::contacts::DeleteContacts = decode(ctx, body)?;
    let me = ctx.me()?;
    let mut ids = Vec::new();
    for u in &r.id {
        ids.push(input_user(ctx.w(), me, u)?);
    }
    if let Some(a) = ctx.st.world.accounts.get_mut(&me) {
        a.contacts.retain(|c| !ids.contains(c));
    }
    let w = ctx.w();
    Ok(updates_tl(
        vec![],
        ids.iter().map(|u| user_tl(w, Some(me), *u)).collect(),
        vec![],
    )
    .to_bytes())
}

/// The user with this phone number, digits compared.
fn user_by_phone(w: &World, phone: &str) -> Option<i64> {
    let norm = |s: &str| s.chars().filter(|c| c.is_ascii_digit()).collect::<String>();
    let want = norm(phone);
    if want.is_empty() {
        return None;
    }
    w.users
        .values()
        .find(|u| u.phone.as_deref().map(norm).as_deref() == Some(want.as_str()))
        .map(|u| u.id)
}

fn resolved(w: &World, me: i64, peer: PeerKey) -> Vec<u8> {
    let mut refs = Refs::default();
    refs.peer(peer);
    tl::enums::contacts::ResolvedPeer::Peer(tl::types::contacts::ResolvedPeer {
        peer: peer_tl(peer),
        chats: refs.chats_tl(w, me),
        users: refs.users_tl(w, me),
    })
    .to_bytes()
}

/// Peers whose name or username contains `q`: the viewer's contacts and dialogs first, then public
/// users and channels.
fn found(w: &World, me: i64, q: &str, limit: i32) -> Vec<u8> {
    let q = q.trim().trim_start_matches('@').to_lowercase();
    let limit = limit.clamp(0, 100) as usize;
    let mine: Vec<PeerKey> = {
        let mut v: Vec<PeerKey> = w
            .accounts
            .get(&me)
            .map(|a| a.contacts.iter().map(|c| PeerKey::User(*c)).collect())
            .unwrap_or_default();
        for p in w.dialog_peers(me) {
            if !v.contains(&p) && p != PeerKey::User(me) {
                v.push(p);
            }
        }
        v
    };
    let name_match = |p: PeerKey| {
        let uname = match p {
            PeerKey::User(id) => w.users.get(&id).and_then(|u| u.username.clone()),
            PeerKey::Channel(id) => w.channels.get(&id).and_then(|c| c.username.clone()),
            PeerKey::Chat(_) => None,
        };
        !q.is_empty()
            && (w.peer_name(p).to_lowercase().contains(&q)
                || uname.is_some_and(|u| u.to_lowercase().contains(&q)))
    };
    let my_results: Vec<PeerKey> = mine
        .iter()
        .copied()
        .filter(|p| name_match(*p))
        .take(limit)
        .collect();
    let mut results: Vec<PeerKey> = Vec::new();
    for u in w.users.values() {
        if u.id != me
            && u.username.is_some()
            && name_match(PeerKey::User(u.id))
            && !my_results.contains(&PeerKey::User(u.id))
        {
            results.push(PeerKey::User(u.id));
        }
    }
    for c in w.channels.values() {
        let p = PeerKey::Channel(c.id);
        if c.username.is_some() && name_match(p) && !my_results.contains(&p) {
            results.push(p);
        }
    }
    results.truncate(limit);
    let mut refs = Refs::default();
    for p in my_results.iter().chain(results.iter()) {
        refs.peer(*p);
    }
    tl::enums::contacts::Found::Found(tl::types::contacts::Found {
        my_results: my_results.iter().map(|p| peer_tl(*p)).collect(),
        results: results.iter().map(|p| peer_tl(*p)).collect(),
        chats: refs.chats_tl(w, me),
        users: refs.users_tl(w, me),
    })
    .to_bytes()
}
