//! Cloud drafts: `messages.saveDraft`, `messages.getAllDrafts`, and the draft of a dialog.

use grammers_tl_types as tl;
use tl::Serializable;
use tl::functions as f;

use super::common::readable_peer;
use super::updates::updates_tl;
use super::{Ctx, Res, decode, err};
use crate::tlconv::{Refs, peer_tl};
use crate::world::{PeerKey, SavedDraft, World, now};

/// The `DraftMessage` of a saved draft.
pub(super) fn draft_tl(d: &SavedDraft) -> tl::enums::DraftMessage {
    tl::types::DraftMessage {
        no_webpage: false,
        invert_media: false,
        reply_to: d.reply_to.map(|id| {
            tl::types::InputReplyToMessage {
                reply_to_msg_id: id,
                top_msg_id: None,
                reply_to_peer_id: None,
                quote_text: None,
                quote_entities: None,
                quote_offset: None,
                monoforum_peer_id: None,
                poll_option: None,
                todo_item_id: None,
            }
            .into()
        }),
        message: d.text.clone(),
        entities: (!d.entities.is_empty()).then(|| d.entities.clone()),
        media: None,
        date: d.date,
        effect: None,
        suggested_post: None,
        rich_message: None,
    }
    .into()
}

/// The draft of `peer` for `me`, if any.
pub(super) fn dialog_draft(w: &World, me: i64, peer: PeerKey) -> Option<tl::enums::DraftMessage> {
    w.accounts.get(&me)?.drafts.get(&peer).map(draft_tl)
}

/// `messages.saveDraft`: saves the draft of a chat; an empty message clears it.
pub(super) fn messages_save_draft(ctx: &mut Ctx, body: &[u8]) -> Res {
    let r: f::messages::SaveDraft = decode(ctx, body)?;
    let me = ctx.me()?;
    let peer = readable_peer(ctx.w(), me, &r.peer)?;
    let reply_to = match &r.reply_to {
        Some(tl::enums::InputReplyTo::Message(m)) => Some(m.reply_to_msg_id),
        _ => None,
    };
    let acc = ctx
        .st
        .world
        .accounts
        .get_mut(&me)
        .ok_or_else(|| err(500, "INTERNAL"))?;
    if r.message.is_empty() && r.media.is_none() {
        acc.drafts.remove(&peer);
    } else {
        acc.drafts.insert(
            peer,
            SavedDraft {
                text: r.message.clone(),
                entities: r.entities.clone().unwrap_or_default(),
                reply_to,
                date: now(),
            },
        );
    }
    Ok(true.to_bytes())
}

/// `messages.getAllDrafts`: one `updateDraftMessage` per chat with a draft.
pub(super) fn messages_get_all_drafts(ctx: &mut Ctx, body: &[u8]) -> Res {
    decode::<f::messages::GetAllDrafts>(ctx, body)?;
    let me = ctx.me()?;
    let w = ctx.w();
    let mut refs = Refs::default();
    refs.peer(PeerKey::User(me));
    let mut ups: Vec<tl::enums::Update> = Vec::new();
    for (peer, d) in w.accounts.get(&me).map(|a| &a.drafts).into_iter().flatten() {
        refs.peer(*peer);
        ups.push(
            tl::types::UpdateDraftMessage {
                peer: peer_tl(*peer),
                top_msg_id: None,
                saved_peer_id: None,
                draft: draft_tl(d),
            }
            .into(),
        );
    }
    Ok(updates_tl(ups, refs.users_tl(w, me), refs.chats_tl(w, me)).to_bytes())
}
