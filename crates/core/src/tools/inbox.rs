//! `get_inbox` (chats with unread messages or mentions) and `mark_read`.

use super::args::{self, decode_cursor, encode_cursor};
use super::chats::scan_dialogs;
use super::format::{self, Peers};
use super::{ToolCtx, ToolError, ToolOutput, params::*};
use crate::telegram::TgClient;
use grammers_client::tl;
use grammers_session::types::{PeerKind, PeerRef};
use serde_json::{Value, json};

/// Chats with unread messages or mentions, newest activity first. Only reads the dialog list:
/// nothing is marked as read.
pub async fn get_inbox(ctx: ToolCtx, p: GetInboxParams) -> Result<ToolOutput, ToolError> {
    let limit = args::limit(p.limit, 20, 100)?;
    // The cursor is the (date, chat id) of the last chat returned; the next page starts below it.
    let after: Option<(i32, i64)> = p.cursor.as_deref().map(decode_cursor).transpose()?;
    let (muted, archived) = (p.include_muted.unwrap_or(false), p.include_archived.unwrap_or(false));
    let client = ctx.client().await?;
    let mut dialogs: Vec<_> = scan_dialogs(&client, None)
        .await?
        .into_iter()
        .filter(|d| {
            let id = format::bot_id(&d.peer);
            (d.unread > 0 || d.unread_mentions > 0 || d.marked_unread)
                && (archived || !d.archived)
                // Mentions notify even in muted chats, so they are never hidden.
                && (muted || !d.muted || d.unread_mentions > 0)
                && ctx.permits(id)
                && after.is_none_or(|a| (d.top_date, id) < a)
        })
        .collect();
    dialogs.sort_by_key(|d| std::cmp::Reverse((d.top_date, format::bot_id(&d.peer))));
    let has_more = dialogs.len() > limit;
    dialogs.truncate(limit);
    let next_cursor =
        if has_more { dialogs.last().map(|d| encode_cursor(&(d.top_date, format::bot_id(&d.peer)))) } else { None };
    let chats: Vec<Value> = dialogs
        .into_iter()
        .map(|d| {
            let mut o = json!({
                "chat": d.entity,
                "unread_count": d.unread,
                "unread_mentions_count": d.unread_mentions,
                "marked_unread": d.marked_unread,
                "muted": d.muted,
                "archived": d.archived,
                "pinned": d.pinned,
            });
            if let Some(m) = d.last_message {
                o["last_message"] = m;
            }
            o
        })
        .collect();
    let mut out = json!({ "chats": chats, "has_more": has_more });
    if let Some(c) = next_cursor {
        out["next_cursor"] = json!(c);
    }
    Ok(ToolOutput::json(out))
}

/// Marks a chat as read up to a message (default: all), and its mentions.
pub async fn mark_read(ctx: ToolCtx, p: MarkReadParams) -> Result<ToolOutput, ToolError> {
    if p.max_id.is_some_and(|m| m < 1) {
        return Err(ToolError::invalid("max_id must be a message id (1 or more)"));
    }
    let client = ctx.client().await?;
    let peer = ctx.chat(&client, p.chat_id.as_str()).await?;
    let max_id = p.max_id.unwrap_or(0);
    if peer.id.kind() == PeerKind::Channel {
        client.invoke(&tl::functions::channels::ReadHistory { channel: (&peer).into(), max_id }).await?;
    } else {
        client.invoke(&tl::functions::messages::ReadHistory { peer: (&peer).into(), max_id }).await?;
    }
    if p.mentions.unwrap_or(p.max_id.is_none()) {
        client.invoke(&tl::functions::messages::ReadMentions { peer: (&peer).into(), top_msg_id: None }).await?;
    }
    let (chat, dialog) = peer_dialog(&client, &peer).await?;
    Ok(ToolOutput::json(json!({
        "status": "read",
        "chat": chat,
        "read_up_to_id": dialog.read_inbox_max_id,
        "unread_count": dialog.unread_count,
        "unread_mentions_count": dialog.unread_mentions_count,
    })))
}

/// The chat's entity and its dialog (read state, unread counts) as Telegram has it now.
async fn peer_dialog(client: &TgClient, peer: &PeerRef) -> Result<(Value, tl::types::Dialog), ToolError> {
    let req = tl::functions::messages::GetPeerDialogs {
        peers: vec![tl::types::InputDialogPeer { peer: peer.into() }.into()],
    };
    let tl::enums::messages::PeerDialogs::Dialogs(r) = client.invoke(&req).await?;
    client.remember(&r.users, &r.chats).await;
    let dialog = r.dialogs.into_iter().find_map(|d| match d {
        tl::enums::Dialog::Dialog(d) => Some(d),
        _ => None,
    });
    let dialog = dialog.ok_or_else(|| ToolError::NotFound("this chat is not in your chat list".into()))?;
    let chat = Peers::new(&r.users, &r.chats).entity(&dialog.peer);
    Ok((chat, dialog))
}
