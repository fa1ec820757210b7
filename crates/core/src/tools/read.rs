//! `get_messages`: one chat's latest messages, search, exact ids, and threads
//! (channel post comments via the discussion group, forum topics, replies),
//! with `from_user`, date windows and cursor pagination.

use super::args::{self, DayEdge};
use super::format::{self, Peers};
use super::pager::{self, Hit, Page};
use super::{ToolCtx, ToolError, ToolOutput, params::GetMessagesParams};
use crate::telegram::TgClient;
use grammers_client::tl;
use grammers_session::types::{ChannelKind, PeerInfo, PeerKind, PeerRef};
use serde_json::{Value, json};

/// Reads messages of one chat.
pub async fn get_messages(ctx: ToolCtx, p: GetMessagesParams) -> Result<ToolOutput, ToolError> {
    let client = ctx.client().await?;
    let peer = ctx.chat(&client, p.chat_id.as_str()).await?;
    if let Some(ids) = &p.message_ids {
        if p.query.is_some() || p.reply_to_id.is_some() || p.cursor.is_some() || p.from_user.is_some() {
            return Err(ToolError::invalid(
                "message_ids cannot be combined with query, reply_to_id, from_user or cursor",
            ));
        }
        if p.min_date.is_some() || p.max_date.is_some() {
            return Err(ToolError::invalid("min_date/max_date do not apply to message_ids"));
        }
        let mut out = by_ids(&client, peer, ids).await?;
        crate::attachments::decorate(&ctx.app, &ctx.identity, |_| Some(peer), &mut out.json["messages"]);
        if p.download_media == Some(true) {
            out.extra = super::media::attach(&ctx, &client, &peer, &out.json["messages"]).await?;
        }
        return Ok(out);
    }
    let limit = args::limit(p.limit, 50, 100)?;
    let min_date = args::date("min_date", p.min_date.as_deref(), DayEdge::Start)?;
    let max_date = args::date("max_date", p.max_date.as_deref(), DayEdge::End)?;
    args::date_window(min_date, max_date)?;
    let from = match &p.from_user {
        Some(u) => Some(tl::enums::InputPeer::from(&client.resolve(u.as_str()).await?)),
        None => None,
    };

    // Where the stream lives: a thread of a broadcast post lives in the linked discussion group.
    let mut out = serde_json::Map::new();
    let (target, thread) = match p.reply_to_id {
        None => (peer, None),
        Some(root) if root <= 0 => {
            return Err(ToolError::invalid("reply_to_id must be a positive message id"));
        }
        Some(root) if is_broadcast(&client, &peer).await => {
            let (group, disc_root) = discussion_of(&client, &peer, root).await?;
            out.insert("discussion_chat_id".into(), json!(group.id.bot_api_dialog_id_unchecked()));
            out.insert("linked_post_id".into(), json!(root));
            (group, Some(disc_root))
        }
        Some(root) => (peer, Some(root)),
    };
    if let Some(r) = p.reply_to_id {
        out.insert("reply_to_id".into(), json!(r));
    }

    let terms = match p.query.as_deref() {
        Some(q) => {
            let t = args::terms(q);
            if t.is_empty() {
                return Err(ToolError::invalid("query must contain at least one search term"));
            }
            t
        }
        None => vec![String::new()],
    };
    let searching = p.query.is_some() || from.is_some();
    // Each term's first total count, and the chat entity seen while paging.
    let seen: std::sync::Mutex<(Vec<Option<i32>>, Option<Value>)> =
        std::sync::Mutex::new((vec![None; terms.len()], None));
    let seen_ref = &seen;
    let merged = pager::merge(terms.len(), 0i32, p.cursor.as_deref(), limit, 3, |i, offset_id: i32| {
        let client = client.clone();
        let term = terms[i].clone();
        let from = from.clone();
        let input: tl::enums::InputPeer = (&target).into();
        let fut = async move {
            let page = limit.clamp(20, 100) as i32;
            // The first page starts just after max_date; later pages continue by id.
            let offset_date = if offset_id == 0 { max_date.map_or(0, |d| d + 1) } else { 0 };
            let result = if searching {
                client
                    .invoke(&tl::functions::messages::Search {
                        peer: input,
                        q: term,
                        from_id: from,
                        saved_peer_id: None,
                        saved_reaction: None,
                        top_msg_id: thread,
                        filter: tl::enums::MessagesFilter::InputMessagesFilterEmpty,
                        min_date: min_date.unwrap_or(0),
                        max_date: max_date.unwrap_or(0),
                        offset_id,
                        add_offset: 0,
                        limit: page,
                        max_id: 0,
                        min_id: 0,
                        hash: 0,
                    })
                    .await?
            } else if let Some(root) = thread {
                client
                    .invoke(&tl::functions::messages::GetReplies {
                        peer: input,
                        msg_id: root,
                        offset_id,
                        offset_date,
                        add_offset: 0,
                        limit: page,
                        max_id: 0,
                        min_id: 0,
                        hash: 0,
                    })
                    .await?
            } else {
                client
                    .invoke(&tl::functions::messages::GetHistory {
                        peer: input,
                        offset_id,
                        offset_date,
                        add_offset: 0,
                        limit: page,
                        max_id: 0,
                        min_id: 0,
                        hash: 0,
                    })
                    .await?
            };
            let format::Unpacked { messages: msgs, users, chats, count, .. } = format::unpack_messages(result);
            client.remember(&users, &chats).await;
            Ok::<_, ToolError>((msgs, Peers::new(&users, &chats), count, page))
        };
        async move {
            let (msgs, peers, count, page) = fut.await?;
            {
                let mut s = seen_ref.lock().unwrap_or_else(|e| e.into_inner());
                if s.0[i].is_none() {
                    s.0[i] = count;
                }
            }
            let mut hits = Vec::new();
            let mut ended = (msgs.len() as i32) < page;
            let mut last = None;
            for m in &msgs {
                let Some((id, date, chat)) = format::message_key(m) else {
                    continue;
                };
                if min_date.is_some_and(|d| date < d) {
                    ended = true;
                    break;
                }
                if max_date.is_some_and(|d| date > d) {
                    last = Some(id);
                    continue;
                }
                last = Some(id);
                {
                    let mut s = seen_ref.lock().unwrap_or_else(|e| e.into_inner());
                    if s.1.is_none() {
                        s.1 = Some(peers.entity(&chat));
                    }
                }
                if let Some(json) = format::message(m, &peers, false) {
                    hits.push(Hit { key: (format::bot_id(&chat), id), order: (id as i64, 0, 0), json, after: id });
                }
            }
            let next = if ended { None } else { last };
            Ok(Page { hits, next })
        }
    })
    .await?;
    let (counts, chat_entity) = seen.into_inner().unwrap_or_else(|e| e.into_inner());
    // One term: the server's count. Several: exact when every match is in this answer (a message
    // found by two terms counts once), else the sum of the terms' counts (an upper bound).
    let total = if counts.len() > 1 && p.cursor.is_none() && merged.next_cursor.is_none() {
        Some(merged.items.len() as i32)
    } else {
        counts.iter().flatten().copied().reduce(|a, b| a + b)
    };
    if let Some(c) = chat_entity {
        out.insert("chat".into(), c);
    }
    let mut items = json!(merged.items);
    crate::attachments::decorate(&ctx.app, &ctx.identity, |_| Some(target), &mut items);
    out.insert("messages".into(), items);
    out.insert("has_more".into(), json!(merged.next_cursor.is_some()));
    out.insert("next_cursor".into(), json!(merged.next_cursor));
    if p.include_total_count == Some(true) {
        out.insert("total_count".into(), json!(total.unwrap_or(0)));
    }
    if p.download_media == Some(true) {
        let extra = super::media::attach(&ctx, &client, &target, &out["messages"]).await?;
        return Ok(ToolOutput { json: Value::Object(out), extra });
    }
    Ok(ToolOutput::json(Value::Object(out)))
}

/// The discussion group of a broadcast post and the id of the post's copy there (the thread root).
pub async fn discussion_of(client: &TgClient, channel: &PeerRef, post: i32) -> Result<(PeerRef, i32), ToolError> {
    let req = tl::functions::messages::GetDiscussionMessage { peer: channel.into(), msg_id: post };
    let tl::enums::messages::DiscussionMessage::Message(d) = client.invoke(&req).await.map_err(|e| match e {
        crate::telegram::TgError::Rpc { name, .. } if name.starts_with("MSG_ID_INVALID") => ToolError::invalid(
            format!("post {post} has no comments (the channel has no discussion group, or the post does not exist)"),
        ),
        other => other.into(),
    })?;
    client.remember(&d.users, &d.chats).await;
    let (root, group) = d
        .messages
        .iter()
        .filter_map(format::message_key)
        .map(|(id, _, peer)| (id, peer))
        .min_by_key(|(id, _)| *id)
        .ok_or_else(|| ToolError::invalid(format!("post {post} has no discussion thread")))?;
    let group = client
        .known((&group).into())
        .await
        .ok_or_else(|| ToolError::internal("discussion group could not be resolved"))?;
    Ok((group, root))
}

/// Whether a resolved peer is a broadcast channel (asks Telegram when the session does not know).
pub async fn is_broadcast(client: &TgClient, peer: &PeerRef) -> bool {
    if peer.id.kind() != PeerKind::Channel {
        return false;
    }
    match client.info(peer.id).await {
        Some(PeerInfo::Channel { kind: Some(k), .. }) => k == ChannelKind::Broadcast,
        _ => {
            let req = tl::functions::channels::GetChannels { id: vec![peer.into()] };
            match client.invoke(&req).await {
                Ok(r) => {
                    let chats = match r {
                        tl::enums::messages::Chats::Chats(c) => c.chats,
                        tl::enums::messages::Chats::Slice(c) => c.chats,
                    };
                    client.remember(&[], &chats).await;
                    chats.iter().any(|c| matches!(c, tl::enums::Chat::Channel(ch) if ch.broadcast))
                }
                Err(_) => false,
            }
        }
    }
}

async fn by_ids(client: &TgClient, peer: PeerRef, ids: &[i32]) -> Result<ToolOutput, ToolError> {
    if ids.is_empty() || ids.len() > 100 {
        return Err(ToolError::invalid("message_ids must list 1 to 100 ids"));
    }
    let wanted: Vec<tl::enums::InputMessage> = ids.iter().map(|&id| tl::types::InputMessageId { id }.into()).collect();
    let result = if peer.id.kind() == PeerKind::Channel {
        client.invoke(&tl::functions::channels::GetMessages { channel: (&peer).into(), id: wanted }).await?
    } else {
        client.invoke(&tl::functions::messages::GetMessages { id: wanted }).await?
    };
    let format::Unpacked { messages: msgs, users, chats, .. } = format::unpack_messages(result);
    client.remember(&users, &chats).await;
    let peers = Peers::new(&users, &chats);
    let mut chat = None;
    let items: Vec<Value> = ids
        .iter()
        .map(|&id| {
            let found = msgs.iter().find(|m| {
                format::message_key(m).is_some_and(|(mid, _, p)| {
                    mid == id
                        && (peer.id.kind() == PeerKind::Channel || grammers_session::types::PeerId::from(&p) == peer.id)
                })
            });
            match found.and_then(|m| {
                if chat.is_none() {
                    chat = format::message_key(m).map(|(_, _, p)| peers.entity(&p));
                }
                format::message(m, &peers, false)
            }) {
                Some(v) => v,
                None => json!({ "id": id, "error": "message not found or not accessible" }),
            }
        })
        .collect();
    let mut out = json!({ "messages": items, "has_more": false });
    if let Some(c) = chat {
        out["chat"] = c;
    }
    Ok(ToolOutput::json(out))
}
