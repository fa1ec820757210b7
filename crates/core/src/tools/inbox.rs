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
    let folder = match p.folder.as_deref().map(str::trim) {
        Some(name) => Some(find_folder(&client, name).await?),
        None => None,
    };
    let mut dialogs: Vec<_> = scan_dialogs(&client, None)
        .await?
        .into_iter()
        .filter(|d| {
            let id = format::bot_id(&d.peer);
            folder.as_ref().is_none_or(|f| f.contains(&super::folders::facts(d)))
                && (d.unread > 0 || d.unread_mentions > 0 || d.marked_unread)
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

/// The one folder `name` names (title or id), or a clear error listing the account's folders.
async fn find_folder(client: &TgClient, name: &str) -> Result<crate::folder_scope::FolderDef, ToolError> {
    let defs = super::folders::folder_defs(client).await?;
    let found = crate::folder_scope::by_name(&defs, name);
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let titles: Vec<String> = defs.iter().map(|d| format!("{} (id {})", d.title, d.id)).collect();
            let have = if titles.is_empty() { "none".to_string() } else { titles.join(", ") };
            Err(ToolError::NotFound(format!("no chat folder is named {name:?}; your folders: {have}")))
        }
        _ => Err(ToolError::invalid(format!("several chat folders are titled {name:?}: give the folder's id instead"))),
    }
}

/// Marks a chat (or one forum topic / thread of it) as read up to a message (default: all), and
/// its mentions; or clears only its unread mentions or reactions.
pub async fn mark_read(ctx: ToolCtx, p: MarkReadParams) -> Result<ToolOutput, ToolError> {
    if p.max_id.is_some_and(|m| m < 1) {
        return Err(ToolError::invalid("max_id must be a message id (1 or more)"));
    }
    if p.topic_id.is_some_and(|t| t < 1) {
        return Err(ToolError::invalid("topic_id must be a message id (1 or more)"));
    }
    if p.only.is_some() && (p.max_id.is_some() || p.mentions.is_some()) {
        return Err(ToolError::invalid(
            "`only` clears mentions or reactions as a whole: leave out max_id and mentions",
        ));
    }
    let client = ctx.client().await?;
    let peer = ctx.chat(&client, p.chat_id.as_str()).await?;
    let top_msg_id = p.topic_id;
    match (p.only, p.topic_id) {
        (Some(ReadOnly::Mentions), _) => {
            client.invoke(&tl::functions::messages::ReadMentions { peer: (&peer).into(), top_msg_id }).await?;
        }
        (Some(ReadOnly::Reactions), _) => {
            let req = tl::functions::messages::ReadReactions { peer: (&peer).into(), top_msg_id, saved_peer_id: None };
            client.invoke(&req).await?;
        }
        (None, Some(topic)) => {
            let read_max_id = match p.max_id {
                Some(m) => m,
                None => newest_in_thread(&client, &peer, topic).await?,
            };
            let req = tl::functions::messages::ReadDiscussion { peer: (&peer).into(), msg_id: topic, read_max_id };
            client.invoke(&req).await.map_err(|e| match e {
                crate::telegram::TgError::Rpc { name, .. } if name == "MSG_ID_INVALID" => {
                    ToolError::NotFound(format!("there is no topic or thread {topic} in this chat"))
                }
                other => other.into(),
            })?;
            if p.mentions.unwrap_or(p.max_id.is_none()) {
                client.invoke(&tl::functions::messages::ReadMentions { peer: (&peer).into(), top_msg_id }).await?;
            }
        }
        (None, None) => {
            let max_id = p.max_id.unwrap_or(0);
            if peer.id.kind() == PeerKind::Channel {
                client.invoke(&tl::functions::channels::ReadHistory { channel: (&peer).into(), max_id }).await?;
            } else {
                client.invoke(&tl::functions::messages::ReadHistory { peer: (&peer).into(), max_id }).await?;
            }
            if p.mentions.unwrap_or(p.max_id.is_none()) {
                client
                    .invoke(&tl::functions::messages::ReadMentions { peer: (&peer).into(), top_msg_id: None })
                    .await?;
            }
        }
    }
    let (chat, dialog) = peer_dialog(&client, &peer).await?;
    let mut out = json!({
        "status": "read",
        "chat": chat,
        "read_up_to_id": dialog.read_inbox_max_id,
        "unread_count": dialog.unread_count,
        "unread_mentions_count": dialog.unread_mentions_count,
        "unread_reactions_count": dialog.unread_reactions_count,
    });
    if let Some(t) = p.topic_id {
        out["topic_id"] = json!(t);
    }
    if let Some(only) = p.only {
        out["only"] = json!(match only {
            ReadOnly::Mentions => "mentions",
            ReadOnly::Reactions => "reactions",
        });
    }
    Ok(ToolOutput::json(out))
}

/// The newest message id of a forum topic or thread (its root when it has no replies).
async fn newest_in_thread(client: &TgClient, peer: &PeerRef, root: i32) -> Result<i32, ToolError> {
    let req = tl::functions::messages::GetReplies {
        peer: peer.into(),
        msg_id: root,
        offset_id: 0,
        offset_date: 0,
        add_offset: 0,
        limit: 1,
        max_id: 0,
        min_id: 0,
        hash: 0,
    };
    let newest = match client.invoke(&req).await {
        Ok(r) => format::unpack_messages(r).messages.iter().filter_map(format::message_key).map(|(id, _, _)| id).max(),
        Err(crate::telegram::TgError::Rpc { name, .. }) if name == "MSG_ID_INVALID" => {
            return Err(ToolError::NotFound(format!("there is no topic or thread {root} in this chat")));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(newest.unwrap_or(root).max(root))
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
