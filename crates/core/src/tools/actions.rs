//! Actions on existing messages: `delete_messages`, `forward_messages`, `send_reaction`, `pin_message`, `unpin_message`.

use super::format::{self, Peers};
use super::media::fetch_raw;
use super::write::peers_of;
use super::{ToolCtx, ToolError, ToolOutput, params::*};
use crate::telegram::{TgClient, TgError};
use grammers_client::tl;
use grammers_session::types::{PeerKind, PeerRef};
use serde_json::{Value, json};

/// Most messages one call may name.
const MAX_IDS: usize = 100;

/// The ids asked for: 1 to [`MAX_IDS`] message ids, each once.
fn message_ids(ids: &[i32]) -> Result<Vec<i32>, ToolError> {
    if ids.is_empty() || ids.len() > MAX_IDS {
        return Err(ToolError::invalid(format!("give 1 to {MAX_IDS} message_ids")));
    }
    if let Some(bad) = ids.iter().find(|&&id| id < 1) {
        return Err(ToolError::invalid(format!("{bad} is not a message id")));
    }
    let mut out: Vec<i32> = Vec::new();
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    Ok(out)
}

/// The entity of a chat, named by a fresh look-up of it.
pub(super) async fn chat_entity(client: &TgClient, chat: &PeerRef) -> Value {
    peers_of(client, chat).await.entity(&tl::enums::Peer::from(chat.id))
}

/// Telegram's message errors in words the model can act on.
fn message_error(e: TgError, id: Option<i32>) -> ToolError {
    let which = id.map_or("a message".to_string(), |id| format!("message {id}"));
    match e {
        TgError::Rpc { name, .. } if name == "MESSAGE_ID_INVALID" => {
            ToolError::NotFound(format!("{which} does not exist in this chat"))
        }
        TgError::Rpc { name, .. } if name == "REACTION_INVALID" => {
            ToolError::invalid("Telegram does not accept that reaction in this chat; use a standard emoji such as 👍")
        }
        other => other.into(),
    }
}

/// Deletes messages of one chat, for you or for everyone.
pub async fn delete_messages(ctx: ToolCtx, p: DeleteMessagesParams) -> Result<ToolOutput, ToolError> {
    let ids = message_ids(&p.message_ids)?;
    let client = ctx.client().await?;
    let chat = ctx.chat(&client, p.chat_id.as_str()).await?;
    let what = format!(
        "delete {} message(s): {:?}{}",
        ids.len(),
        ids,
        if p.revoke == Some(true) { " for everyone" } else { "" }
    );
    ctx.authorize_write(&chat, "delete_messages", p.chat_id.as_str(), &what).await?;
    let channel = chat.id.kind() == PeerKind::Channel;
    let affected = if channel {
        client.invoke(&tl::functions::channels::DeleteMessages { channel: (&chat).into(), id: ids.clone() }).await?
    } else {
        // messages.deleteMessages names no chat: ids are of the whole account, so only ids that
        // are in this chat (and so in the token's scope) may be passed on.
        let want = tl::enums::Peer::from(chat.id);
        let found: Vec<i32> = fetch_raw(&client, &chat, &ids)
            .await?
            .iter()
            .filter_map(format::message_key)
            .filter(|(_, _, peer)| *peer == want)
            .map(|(id, _, _)| id)
            .collect();
        if let Some(missing) = ids.iter().find(|id| !found.contains(id)) {
            return Err(ToolError::NotFound(format!("message {missing} does not exist in this chat")));
        }
        let revoke = p.revoke.unwrap_or(false);
        client.invoke(&tl::functions::messages::DeleteMessages { revoke, id: ids.clone() }).await?
    };
    let tl::enums::messages::AffectedMessages::Messages(affected) = affected;
    ctx.note_messages(ids.iter().copied());
    Ok(ToolOutput::json(json!({
        "status": "deleted",
        "chat": chat_entity(&client, &chat).await,
        "message_ids": ids,
        "deleted_count": affected.pts_count,
        "revoked": channel || p.revoke.unwrap_or(false),
    })))
}

/// The ids of the messages a send created, in the order of `random_ids`.
fn sent_ids(updates: &tl::enums::Updates, random_ids: &[i64]) -> Vec<i32> {
    let list: &[tl::enums::Update] = match updates {
        tl::enums::Updates::Updates(u) => &u.updates,
        tl::enums::Updates::Combined(u) => &u.updates,
        _ => &[],
    };
    random_ids
        .iter()
        .filter_map(|r| {
            list.iter().find_map(|u| match u {
                tl::enums::Update::MessageId(m) if m.random_id == *r => Some(m.id),
                _ => None,
            })
        })
        .collect()
}

/// Forwards messages from one chat to another, in order.
pub async fn forward_messages(ctx: ToolCtx, p: ForwardMessagesParams) -> Result<ToolOutput, ToolError> {
    let ids = message_ids(&p.message_ids)?;
    let client = ctx.client().await?;
    let from = ctx.chat(&client, p.from_chat_id.as_str()).await?;
    let to = ctx.chat(&client, p.to_chat_id.as_str()).await?;
    let what = format!("forward {} message(s) from {}", ids.len(), p.from_chat_id.as_str());
    ctx.authorize_write(&to, "forward_messages", p.to_chat_id.as_str(), &what).await?;
    let random_ids: Vec<i64> = ids.iter().map(|_| rand::random::<i64>()).collect();
    let req = tl::functions::messages::ForwardMessages {
        silent: false,
        background: false,
        with_my_score: false,
        drop_author: p.drop_author.unwrap_or(false),
        drop_media_captions: false,
        noforwards: false,
        allow_paid_floodskip: false,
        from_ephemeral: false,
        from_peer: (&from).into(),
        id: ids.clone(),
        random_id: random_ids.clone(),
        to_peer: (&to).into(),
        top_msg_id: None,
        reply_to: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        video_timestamp: None,
        allow_paid_stars: None,
        suggested_post: None,
    };
    let updates = client.invoke(&req).await.map_err(|e| message_error(e, None))?;
    let new_ids = sent_ids(&updates, &random_ids);
    ctx.note_messages(new_ids.iter().copied());
    let raw = fetch_raw(&client, &to, &new_ids).await?;
    let peers: Peers = peers_of(&client, &to).await;
    let messages: Vec<Value> = raw.iter().filter_map(|m| format::message(m, &peers, false)).collect();
    Ok(ToolOutput::json(json!({
        "status": "forwarded",
        "chat": peers.entity(&tl::enums::Peer::from(to.id)),
        "messages": messages,
    })))
}

/// Sets (or removes) your reaction to a message.
pub async fn send_reaction(ctx: ToolCtx, p: SendReactionParams) -> Result<ToolOutput, ToolError> {
    let client = ctx.client().await?;
    let chat = ctx.chat(&client, p.chat_id.as_str()).await?;
    let emoji = p.emoji.as_deref().map(str::trim).filter(|e| !e.is_empty());
    let what = match emoji {
        Some(e) => format!("react {e} to message {}", p.message_id),
        None => format!("remove the reaction from message {}", p.message_id),
    };
    ctx.authorize_write(&chat, "send_reaction", p.chat_id.as_str(), &what).await?;
    let req = tl::functions::messages::SendReaction {
        big: false,
        add_to_recent: emoji.is_some(),
        peer: (&chat).into(),
        msg_id: p.message_id,
        reaction: Some(
            emoji.map(|e| tl::types::ReactionEmoji { emoticon: e.to_string() }.into()).into_iter().collect(),
        ),
    };
    let updates = client.invoke(&req).await.map_err(|e| message_error(e, Some(p.message_id)))?;
    ctx.note_messages([p.message_id]);
    let list: &[tl::enums::Update] = match &updates {
        tl::enums::Updates::Updates(u) => &u.updates,
        tl::enums::Updates::Combined(u) => &u.updates,
        _ => &[],
    };
    let from_update = list.iter().find_map(|u| match u {
        tl::enums::Update::MessageReactions(r) if r.msg_id == p.message_id => Some(format::reactions(&r.reactions)),
        _ => None,
    });
    let reactions = match from_update {
        Some(r) => r,
        None => fetch_raw(&client, &chat, &[p.message_id])
            .await?
            .iter()
            .find_map(|m| match m {
                tl::enums::Message::Message(m) => m.reactions.as_ref().map(format::reactions),
                _ => None,
            })
            .unwrap_or_default(),
    };
    Ok(ToolOutput::json(json!({
        "status": if emoji.is_some() { "reacted" } else { "removed" },
        "chat": chat_entity(&client, &chat).await,
        "message_id": p.message_id,
        "reactions": reactions,
    })))
}

async fn set_pinned(
    ctx: &ToolCtx,
    chat_id: &ChatRef,
    message_id: i32,
    unpin: bool,
    notify: bool,
    only_for_me: bool,
) -> Result<ToolOutput, ToolError> {
    let client = ctx.client().await?;
    let chat = ctx.chat(&client, chat_id.as_str()).await?;
    let what = format!("{} message {message_id}", if unpin { "unpin" } else { "pin" });
    ctx.authorize_write(&chat, if unpin { "unpin_message" } else { "pin_message" }, chat_id.as_str(), &what).await?;
    let req = tl::functions::messages::UpdatePinnedMessage {
        silent: !notify,
        unpin,
        pm_oneside: only_for_me,
        peer: (&chat).into(),
        id: message_id,
    };
    client.invoke(&req).await.map_err(|e| message_error(e, Some(message_id)))?;
    ctx.note_messages([message_id]);
    Ok(ToolOutput::json(json!({
        "status": if unpin { "unpinned" } else { "pinned" },
        "chat": chat_entity(&client, &chat).await,
        "message_id": message_id,
    })))
}

/// Pins a message.
pub async fn pin_message(ctx: ToolCtx, p: PinMessageParams) -> Result<ToolOutput, ToolError> {
    let only_for_me = p.only_for_me.unwrap_or(false);
    set_pinned(&ctx, &p.chat_id, p.message_id, false, p.notify.unwrap_or(false), only_for_me).await
}

/// Unpins a message.
pub async fn unpin_message(ctx: ToolCtx, p: UnpinMessageParams) -> Result<ToolOutput, ToolError> {
    set_pinned(&ctx, &p.chat_id, p.message_id, true, false, false).await
}
