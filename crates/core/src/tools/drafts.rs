//! Cloud drafts: `save_draft` and `get_drafts`. A draft is only ever saved or shown, never sent.

use super::format::{self, Peers};
use super::params::*;
use super::write::{parse_text, peers_of};
use super::{ToolCtx, ToolError, ToolOutput};
use grammers_client::tl;
use serde_json::{Value, json};

/// A draft in the uniform shape, or `None` for an empty one.
fn draft_json(chat: Value, d: &tl::enums::DraftMessage) -> Option<Value> {
    let tl::enums::DraftMessage::Message(d) = d else {
        return None;
    };
    let mut o = json!({
        "chat": chat,
        "text": format::render_text(&d.message, d.entities.as_ref()),
        "date": format::iso(d.date),
    });
    if let Some(tl::enums::InputReplyTo::Message(r)) = &d.reply_to {
        o["reply_to_msg_id"] = json!(r.reply_to_msg_id);
    }
    Some(o)
}

/// Saves (or, with an empty message, clears) the draft of a chat.
pub async fn save_draft(ctx: ToolCtx, p: SaveDraftParams) -> Result<ToolOutput, ToolError> {
    let client = ctx.client().await?;
    let chat = ctx.chat(&client, p.chat_id.as_str()).await?;
    ctx.note_text(&p.message);
    let (text, entities) = parse_text(&p.message, p.parse_mode.unwrap_or_default());
    let clear = text.trim().is_empty();
    let reply_to = p.reply_to_id.filter(|_| !clear).map(|id| {
        tl::types::InputReplyToMessage {
            reply_to_msg_id: id,
            top_msg_id: None,
            reply_to_peer_id: None,
            quote_text: None,
            quote_entities: None,
            quote_offset: None,
            monoforum_peer_id: None,
            todo_item_id: None,
            poll_option: None,
        }
        .into()
    });
    let req = tl::functions::messages::SaveDraft {
        no_webpage: false,
        invert_media: false,
        reply_to,
        peer: (&chat).into(),
        message: if clear { String::new() } else { text },
        entities: (!clear && !entities.is_empty()).then_some(entities),
        media: None,
        effect: None,
        suggested_post: None,
        rich_message: None,
    };
    client.invoke(&req).await?;
    let chat_entity = peers_of(&client, &chat).await.entity(&tl::enums::Peer::from(chat.id));
    let mut out = json!({ "status": if clear { "cleared" } else { "saved" }, "chat": chat_entity.clone() });
    if !clear {
        // Read back what Telegram keeps, so the answer is the draft as saved.
        let want = tl::enums::Peer::from(chat.id);
        let saved = all_drafts(&client).await?.into_iter().find(|(p, _, _)| *p == want);
        if let Some(d) = saved.and_then(|(_, d, _)| draft_json(chat_entity, &d)) {
            out["draft"] = d;
        }
    }
    Ok(ToolOutput::json(out))
}

/// Every draft of the account: (chat, draft, the users and chats to name it).
async fn all_drafts(
    client: &crate::telegram::TgClient,
) -> Result<Vec<(tl::enums::Peer, tl::enums::DraftMessage, Peers)>, ToolError> {
    let (updates, users, chats) = match client.invoke(&tl::functions::messages::GetAllDrafts {}).await? {
        tl::enums::Updates::Updates(u) => (u.updates, u.users, u.chats),
        tl::enums::Updates::Combined(u) => (u.updates, u.users, u.chats),
        _ => (Vec::new(), Vec::new(), Vec::new()),
    };
    client.remember(&users, &chats).await;
    Ok(updates
        .into_iter()
        .filter_map(|u| match u {
            tl::enums::Update::DraftMessage(d) => Some((d.peer, d.draft, Peers::new(&users, &chats))),
            _ => None,
        })
        .collect())
}

/// Lists drafts: of one chat, or of every chat the token may see.
pub async fn get_drafts(ctx: ToolCtx, p: GetDraftsParams) -> Result<ToolOutput, ToolError> {
    let client = ctx.client().await?;
    let only = match &p.chat_id {
        Some(c) => Some(tl::enums::Peer::from(ctx.chat(&client, c.as_str()).await?.id)),
        None => None,
    };
    let drafts: Vec<Value> = all_drafts(&client)
        .await?
        .into_iter()
        .filter(|(peer, _, _)| only.as_ref().is_none_or(|o| o == peer) && ctx.permits(format::bot_id(peer)))
        .filter_map(|(peer, d, peers)| draft_json(peers.entity(&peer), &d))
        .collect();
    Ok(ToolOutput::json(json!({ "drafts": drafts })))
}
