//! Scheduled messages: `schedule_date` of `send_message`, `list_scheduled` and `delete_scheduled`.

use super::args::{self, DayEdge};
use super::format;
use super::write::peers_of;
use super::{ToolCtx, ToolError, ToolOutput, params::*};
use crate::telegram::TgClient;
use grammers_client::tl;
use grammers_session::types::PeerRef;
use serde_json::{Value, json};

/// How far ahead Telegram accepts a scheduled message.
const MAX_AHEAD_SECS: i64 = 365 * 24 * 3600;

/// The Unix time of a `schedule_date`, which must be in the future and within a year.
pub fn schedule_date(v: Option<&str>) -> Result<Option<i32>, ToolError> {
    let Some(t) = args::date("schedule_date", v, DayEdge::Start)? else {
        return Ok(None);
    };
    let now = crate::clock::now();
    if i64::from(t) <= now {
        return Err(ToolError::invalid("schedule_date is in the past; give a future date-time (UTC unless it says)"));
    }
    if i64::from(t) > now + MAX_AHEAD_SECS {
        return Err(ToolError::invalid("schedule_date is more than a year ahead"));
    }
    Ok(Some(t))
}

/// Scheduled messages of `chat` by id.
pub async fn fetch_scheduled(
    client: &TgClient,
    chat: &PeerRef,
    ids: &[i32],
) -> Result<Vec<tl::enums::Message>, ToolError> {
    let r =
        client.invoke(&tl::functions::messages::GetScheduledMessages { peer: chat.into(), id: ids.to_vec() }).await?;
    let format::Unpacked { messages, users, chats, .. } = format::unpack_messages(r);
    client.remember(&users, &chats).await;
    Ok(messages)
}

/// Lists your scheduled messages in a chat.
pub async fn list_scheduled(ctx: ToolCtx, p: ListScheduledParams) -> Result<ToolOutput, ToolError> {
    let client = ctx.client().await?;
    let chat = ctx.chat(&client, p.chat_id.as_str()).await?;
    let r = client.invoke(&tl::functions::messages::GetScheduledHistory { peer: (&chat).into(), hash: 0 }).await?;
    let format::Unpacked { messages, users, chats, .. } = format::unpack_messages(r);
    client.remember(&users, &chats).await;
    let mut peers = peers_of(&client, &chat).await;
    peers.add(&users, &chats);
    let list: Vec<Value> = messages.iter().filter_map(|m| format::message(m, &peers, false)).collect();
    Ok(ToolOutput::json(json!({
        "chat": peers.entity(&tl::enums::Peer::from(chat.id)),
        "messages": list,
    })))
}

/// Deletes scheduled messages before they are sent.
pub async fn delete_scheduled(ctx: ToolCtx, p: DeleteScheduledParams) -> Result<ToolOutput, ToolError> {
    if p.message_ids.is_empty() || p.message_ids.len() > 100 {
        return Err(ToolError::invalid("give 1 to 100 message_ids"));
    }
    let client = ctx.client().await?;
    let chat = ctx.chat(&client, p.chat_id.as_str()).await?;
    let req = tl::functions::messages::DeleteScheduledMessages { peer: (&chat).into(), id: p.message_ids.clone() };
    let updates = client.invoke(&req).await?;
    let list: &[tl::enums::Update] = match &updates {
        tl::enums::Updates::Updates(u) => &u.updates,
        tl::enums::Updates::Combined(u) => &u.updates,
        _ => &[],
    };
    let deleted: Vec<i32> = list
        .iter()
        .filter_map(|u| match u {
            tl::enums::Update::DeleteScheduledMessages(d) => Some(d.messages.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    ctx.note_messages(deleted.iter().copied());
    let peers = peers_of(&client, &chat).await;
    Ok(ToolOutput::json(json!({
        "status": "deleted",
        "chat": peers.entity(&tl::enums::Peer::from(chat.id)),
        "message_ids": deleted,
    })))
}
