//! `search_messages_globally`: messages.searchGlobal per term, merged, with
//! Telegram's real paging (offset_rate + offset_peer + offset_id) kept in the cursor.

use super::args::{self, ChatTypes, DayEdge};
use super::format::{self, Peers};
use super::pager::{self, Hit, Page};
use super::{ToolCtx, ToolError, ToolOutput, params::SearchGloballyParams};
use grammers_client::tl;
use grammers_session::types::PeerId;
use serde_json::json;

/// Position in a searchGlobal stream: (offset_rate, offset_peer Bot-API id, offset_id).
type Pos = (i32, i64, i32);

/// Runs a global search.
pub async fn search_globally(ctx: ToolCtx, p: SearchGloballyParams) -> Result<ToolOutput, ToolError> {
    let terms = args::terms(&p.query);
    if terms.is_empty() {
        return Err(ToolError::invalid("query must contain at least one search term"));
    }
    let limit = args::limit(p.limit, 50, 100)?;
    let min_date = args::date("min_date", p.min_date.as_deref(), DayEdge::Start)?;
    let max_date = args::date("max_date", p.max_date.as_deref(), DayEdge::End)?;
    args::date_window(min_date, max_date)?;
    let types = ChatTypes::parse(p.chat_type.as_ref())?;
    let client = ctx.client().await?;
    let page_size = limit.clamp(20, 100) as i32;
    let single = types.single().map(str::to_string);
    let policy = ctx.scope();

    let start: Pos = (0, 0, 0);
    let merged = pager::merge(terms.len(), start, p.cursor.as_deref(), limit, 3, |i, (rate, peer, id): Pos| {
        let term = terms[i].clone();
        let client = client.clone();
        let types = types.clone();
        let single = single.clone();
        let policy = policy.clone();
        async move {
            let offset_peer = match PeerId::from_bot_api_dialog_id(peer) {
                Some(pid) if peer != 0 => match client.known(pid).await {
                    Some(r) => tl::enums::InputPeer::from(&r),
                    None => tl::enums::InputPeer::Empty,
                },
                _ => tl::enums::InputPeer::Empty,
            };
            let req = tl::functions::messages::SearchGlobal {
                broadcasts_only: single.as_deref() == Some("channel"),
                groups_only: single.as_deref() == Some("group"),
                users_only: matches!(single.as_deref(), Some("private") | Some("bot")),
                folder_id: None,
                community: None,
                q: term,
                filter: tl::enums::MessagesFilter::InputMessagesFilterEmpty,
                min_date: min_date.unwrap_or(0),
                max_date: max_date.unwrap_or(0),
                offset_rate: rate,
                offset_peer,
                offset_id: id,
                limit: page_size,
            };
            let format::Unpacked { messages: msgs, users, chats, next_rate, .. } =
                format::unpack_messages(client.invoke(&req).await?);
            client.remember(&users, &chats).await;
            let peers = Peers::new(&users, &chats);
            let raw_len = msgs.len();
            let mut last: Option<Pos> = None;
            let mut hits = Vec::new();
            for m in &msgs {
                let Some((mid, date, chat)) = format::message_key(m) else {
                    continue;
                };
                let chat_id = format::bot_id(&chat);
                let after = (date, chat_id, mid);
                last = Some(after);
                let Some(json) = format::message(m, &peers, true) else {
                    continue;
                };
                // Chats outside the token's scope are left out (titles and snippets included).
                if !types.accepts(&json["chat"], p.public) || !policy.permits(chat_id) {
                    continue;
                }
                hits.push(Hit { key: (chat_id, mid), order: (date as i64, chat_id, mid as i64), json, after });
            }
            // Telegram's next_rate is the right offset_rate for the next page when it gives one.
            let next = match last {
                Some((date, chat, id)) if raw_len as i32 >= page_size => Some((next_rate.unwrap_or(date), chat, id)),
                _ => None,
            };
            Ok(Page { hits, next })
        }
    })
    .await?;
    let mut items = json!(merged.items);
    if ctx.app.config.domain.is_some() {
        // Resolve each hit's chat from the session cache (filled while searching).
        let mut chats = std::collections::HashMap::new();
        for m in items.as_array().into_iter().flatten() {
            if let Some(id) = m["chat"]["id"].as_i64()
                && let Some(pid) = PeerId::from_bot_api_dialog_id(id)
                && let Some(r) = client.known(pid).await
            {
                chats.insert(id, r);
            }
        }
        crate::attachments::decorate(
            &ctx.app,
            &ctx.identity,
            |m| m["chat"]["id"].as_i64().and_then(|id| chats.get(&id).copied()),
            &mut items,
        );
    }
    Ok(ToolOutput::json(json!({
        "messages": items,
        "has_more": merged.next_cursor.is_some(),
        "next_cursor": merged.next_cursor,
    })))
}
