//! `find_chats` (global search, dialog activity window, folders) and `get_chat_info`.

use super::args::{self, ChatTypes, DayEdge};
use super::format::{self, Peers};
use super::{ToolCtx, ToolError, ToolOutput, params::*};
use crate::telegram::TgClient;
use grammers_client::tl;
use grammers_session::types::{PeerId, PeerKind};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// Upper bound on dialogs scanned in one call (date windows stop much earlier, as dialogs come newest first).
const MAX_DIALOGS: usize = 3000;

/// One entry of the dialog list.
pub(super) struct DialogInfo {
    pub peer: tl::enums::Peer,
    pub entity: Value,
    pub top_date: i32,
    pub unread: i32,
    /// Unread messages that mention you.
    pub unread_mentions: i32,
    /// Marked as unread by hand.
    pub marked_unread: bool,
    pub muted: bool,
    pub archived: bool,
    pub pinned: bool,
    /// A user in your contacts.
    pub contact: bool,
    /// The newest message, in the uniform schema.
    pub last_message: Option<Value>,
}

/// Finds chats.
pub async fn find_chats(ctx: ToolCtx, p: FindChatsParams) -> Result<ToolOutput, ToolError> {
    let limit = args::limit(p.limit, 20, 100)?;
    let types = ChatTypes::parse(p.chat_type.as_ref())?;
    let min_date = args::date("min_date", p.min_date.as_deref(), DayEdge::Start)?;
    let max_date = args::date("max_date", p.max_date.as_deref(), DayEdge::End)?;
    args::date_window(min_date, max_date)?;
    let terms = p.query.as_deref().map(args::terms).unwrap_or_default();
    if terms.is_empty() && p.filter.is_none() && min_date.is_none() && max_date.is_none() {
        return Err(ToolError::invalid("give a query, a folder name (filter) or a date window (min_date/max_date)"));
    }
    let client = ctx.client().await?;
    let matches_query = |e: &Value| {
        terms.is_empty()
            || terms.iter().any(|t| {
                let t = t.trim_start_matches('@').to_lowercase();
                ["title", "username", "first_name", "last_name"]
                    .iter()
                    .any(|k| e[*k].as_str().is_some_and(|v| v.to_lowercase().contains(&t)))
            })
    };
    let in_window = |d: i32| min_date.is_none_or(|m| d >= m) && max_date.is_none_or(|m| d <= m);
    // Chats outside the token's scope are never listed.
    let in_scope = |e: &Value| e["id"].as_i64().is_some_and(|id| ctx.permits(id));

    let chats: Vec<Value> = if let Some(name) = &p.filter {
        let folder = find_folder(&client, name).await?;
        let dialogs = scan_dialogs(&client, None).await?;
        let mut picked: Vec<&DialogInfo> =
            dialogs.iter().filter(|d| folder.contains(&super::folders::facts(d))).collect();
        picked.sort_by_key(|d| {
            (std::cmp::Reverse(folder.pinned.contains(&format::bot_id(&d.peer))), std::cmp::Reverse(d.top_date))
        });
        picked
            .into_iter()
            .filter(|d| {
                types.accepts(&d.entity, p.public)
                    && in_scope(&d.entity)
                    && matches_query(&d.entity)
                    && in_window(d.top_date)
            })
            .take(limit)
            .map(dialog_json)
            .collect()
    } else if min_date.is_some() || max_date.is_some() {
        let dialogs = scan_dialogs(&client, min_date).await?;
        let mut picked: Vec<&DialogInfo> = dialogs
            .iter()
            .filter(|d| {
                types.accepts(&d.entity, p.public)
                    && in_scope(&d.entity)
                    && matches_query(&d.entity)
                    && in_window(d.top_date)
            })
            .collect();
        picked.sort_by_key(|d| std::cmp::Reverse(d.top_date));
        picked.into_iter().take(limit).map(dialog_json).collect()
    } else {
        global_search(&client, &terms, limit, &types, p.public, &in_scope).await?
    };
    Ok(ToolOutput::json(json!({ "chats": chats })))
}

fn dialog_json(d: &DialogInfo) -> Value {
    let mut e = d.entity.clone();
    e["last_activity_date"] = json!(format::iso(d.top_date));
    if d.unread > 0 {
        e["unread_count"] = json!(d.unread);
    }
    if d.archived {
        e["archived"] = json!(true);
    }
    if d.pinned {
        e["pinned"] = json!(true);
    }
    e
}

async fn global_search(
    client: &TgClient,
    terms: &[String],
    limit: usize,
    types: &ChatTypes,
    public: Option<bool>,
    in_scope: &(dyn Fn(&Value) -> bool + Sync),
) -> Result<Vec<Value>, ToolError> {
    let mut per_term: Vec<Vec<Value>> = Vec::new();
    for t in terms {
        let q = t.trim_start_matches('@').to_string();
        if q.chars().count() < 2 {
            return Err(ToolError::invalid(format!("search term {t:?} is too short (at least 2 characters)")));
        }
        let tl::enums::contacts::Found::Found(f) = client
            .invoke(&tl::functions::contacts::Search {
                broadcasts: false,
                bots: false,
                q,
                limit: (limit * 2).min(100) as i32,
            })
            .await?;
        client.remember(&f.users, &f.chats).await;
        let peers = Peers::new(&f.users, &f.chats);
        // Users first, then chats; own results (contacts, dialogs) before global ones.
        let all: Vec<&tl::enums::Peer> = f.my_results.iter().chain(f.results.iter()).collect();
        let mut list: Vec<Value> =
            all.iter().filter(|p| matches!(p, tl::enums::Peer::User(_))).map(|p| peers.entity(p)).collect();
        list.extend(all.iter().filter(|p| !matches!(p, tl::enums::Peer::User(_))).map(|p| peers.entity(p)));
        per_term.push(list.into_iter().filter(|e| types.accepts(e, public) && in_scope(e)).collect());
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let longest = per_term.iter().map(Vec::len).max().unwrap_or(0);
    'outer: for i in 0..longest {
        for list in &per_term {
            if let Some(e) = list.get(i)
                && seen.insert(e["id"].as_i64().unwrap_or_default())
            {
                out.push(e.clone());
                if out.len() >= limit {
                    break 'outer;
                }
            }
        }
    }
    Ok(out)
}

/// Walks the dialog list (main and archive), newest activity first, stopping at `stop_before` or [`MAX_DIALOGS`].
pub(super) async fn scan_dialogs(client: &TgClient, stop_before: Option<i32>) -> Result<Vec<DialogInfo>, ToolError> {
    let mut out = Vec::new();
    // Folder 0 is the main list and 1 the archive; no folder_id would mean both at once.
    for folder in [Some(0), Some(1)] {
        let mut offset_date = 0;
        let mut offset_id = 0;
        let mut offset_peer = tl::enums::InputPeer::Empty;
        loop {
            let req = tl::functions::messages::GetDialogs {
                exclude_pinned: false,
                folder_id: folder,
                offset_date,
                offset_id,
                offset_peer: offset_peer.clone(),
                limit: 100,
                hash: 0,
            };
            let (dialogs, messages, chats, users, complete) = match client.invoke(&req).await? {
                tl::enums::messages::Dialogs::Dialogs(d) => (d.dialogs, d.messages, d.chats, d.users, true),
                tl::enums::messages::Dialogs::Slice(d) => {
                    let complete = d.dialogs.len() < 100;
                    (d.dialogs, d.messages, d.chats, d.users, complete)
                }
                tl::enums::messages::Dialogs::NotModified(_) => break,
            };
            client.remember(&users, &chats).await;
            let peers = Peers::new(&users, &chats);
            let contacts: HashSet<i64> = users
                .iter()
                .filter_map(|u| match u {
                    tl::enums::User::User(u) if u.contact => Some(u.id),
                    _ => None,
                })
                .collect();
            let tops: HashMap<(i64, i32), (i32, &tl::enums::Message)> = messages
                .iter()
                .filter_map(|m| format::message_key(m).map(|(id, date, peer)| ((format::bot_id(&peer), id), (date, m))))
                .collect();
            let mut last: Option<(i32, i32, tl::enums::Peer)> = None;
            let n = dialogs.len();
            let mut stop = false;
            for d in dialogs {
                let tl::enums::Dialog::Dialog(d) = d else {
                    continue;
                };
                let id = format::bot_id(&d.peer);
                let top = tops.get(&(id, d.top_message));
                let top_date = top.map_or(0, |t| t.0);
                last = Some((top_date, d.top_message, d.peer.clone()));
                if stop_before.is_some_and(|m| top_date < m) && !d.pinned {
                    stop = true;
                    continue;
                }
                let tl::enums::PeerNotifySettings::Settings(ns) = &d.notify_settings;
                let now = crate::clock::now() as i32;
                out.push(DialogInfo {
                    entity: peers.entity(&d.peer),
                    top_date,
                    unread: d.unread_count,
                    unread_mentions: d.unread_mentions_count,
                    marked_unread: d.unread_mark,
                    last_message: top.and_then(|t| format::message(t.1, &peers, false)),
                    muted: ns.mute_until.is_some_and(|m| m > now),
                    archived: folder == Some(1) || d.folder_id == Some(1),
                    pinned: d.pinned,
                    contact: matches!(&d.peer, tl::enums::Peer::User(u) if contacts.contains(&u.user_id)),
                    peer: d.peer,
                });
            }
            if complete || stop || n == 0 || out.len() >= MAX_DIALOGS {
                break;
            }
            let Some((date, id, peer)) = last else { break };
            offset_date = date;
            offset_id = id;
            offset_peer = match client.known(PeerId::from(&peer)).await {
                Some(r) => (&r).into(),
                None => break,
            };
        }
    }
    Ok(out)
}

/// The folder `find_chats` was asked for, by title (spaces and case ignored).
async fn find_folder(client: &TgClient, name: &str) -> Result<crate::folder_scope::FolderDef, ToolError> {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let defs = super::folders::folder_defs(client).await?;
    let names: Vec<String> = defs.iter().take(10).map(|d| d.title.clone()).collect();
    defs.into_iter().find(|d| norm(&d.title) == norm(name)).ok_or_else(|| {
        ToolError::invalid(format!(
            "no folder named {name:?}; your folders: {}",
            if names.is_empty() { "(none)".into() } else { names.join(", ") }
        ))
    })
}

/// Chat details.
pub async fn get_chat_info(ctx: ToolCtx, p: GetChatInfoParams) -> Result<ToolOutput, ToolError> {
    let topics_limit = args::limit(p.topics_limit, 20, 100)?;
    let client = ctx.client().await?;
    let peer = ctx.chat(&client, p.chat_id.as_str()).await?;
    let info = match peer.id.kind() {
        PeerKind::User => {
            let tl::enums::users::UserFull::Full(full) =
                client.invoke(&tl::functions::users::GetFullUser { id: (&peer).into() }).await?;
            client.remember(&full.users, &full.chats).await;
            let tl::enums::UserFull::Full(uf) = &full.full_user;
            let mut e = full
                .users
                .iter()
                .find_map(|u| match u {
                    tl::enums::User::User(u) if u.id == uf.id => Some(format::user_entity(u)),
                    _ => None,
                })
                .unwrap_or_else(|| json!({ "id": uf.id, "type": "private" }));
            if let Some(bio) = &uf.about {
                e["bio"] = json!(bio);
            }
            e["common_chats_count"] = json!(uf.common_chats_count);
            e
        }
        PeerKind::Chat => {
            let tl::enums::messages::ChatFull::Full(full) =
                client.invoke(&tl::functions::messages::GetFullChat { chat_id: peer.id.bare_id_unchecked() }).await?;
            client.remember(&full.users, &full.chats).await;
            let peers = Peers::new(&full.users, &full.chats);
            let mut e = peers
                .by_id(peer.id.bot_api_dialog_id_unchecked())
                .cloned()
                .unwrap_or_else(|| json!({"id": peer.id.bot_api_dialog_id_unchecked(), "type": "group"}));
            if let tl::enums::ChatFull::Full(cf) = &full.full_chat {
                if !cf.about.is_empty() {
                    e["about"] = json!(cf.about);
                }
                if let tl::enums::ChatParticipants::Participants(ps) = &cf.participants {
                    e["members_count"] = json!(ps.participants.len());
                }
            }
            e
        }
        PeerKind::Channel => {
            let tl::enums::messages::ChatFull::Full(full) =
                client.invoke(&tl::functions::channels::GetFullChannel { channel: (&peer).into() }).await?;
            client.remember(&full.users, &full.chats).await;
            let peers = Peers::new(&full.users, &full.chats);
            let id = peer.id.bot_api_dialog_id_unchecked();
            let mut e = peers.by_id(id).cloned().unwrap_or_else(|| json!({"id": id, "type": "group"}));
            if let tl::enums::ChatFull::ChannelFull(cf) = &full.full_chat {
                if !cf.about.is_empty() {
                    e["about"] = json!(cf.about);
                }
                if let Some(n) = cf.participants_count {
                    let key = if e["type"] == "channel" { "subscribers_count" } else { "members_count" };
                    e[key] = json!(n);
                }
                if let Some(linked) = cf.linked_chat_id {
                    e["linked_chat_id"] = json!(PeerId::channel_unchecked(linked).bot_api_dialog_id_unchecked());
                }
            }
            if e["is_forum"] == true {
                let (topics, more) = forum_topics(&client, &peer, topics_limit).await?;
                e["topics"] = json!(topics);
                e["topics_has_more"] = json!(more);
            }
            e
        }
    };
    Ok(ToolOutput::json(info))
}

async fn forum_topics(
    client: &TgClient,
    peer: &grammers_session::types::PeerRef,
    limit: usize,
) -> Result<(Vec<Value>, bool), ToolError> {
    let req = tl::functions::messages::GetForumTopics {
        peer: peer.into(),
        q: None,
        offset_date: 0,
        offset_id: 0,
        offset_topic: 0,
        limit: limit as i32 + 1,
    };
    let tl::enums::messages::ForumTopics::Topics(t) = client.invoke(&req).await?;
    let mut topics: Vec<Value> = t
        .topics
        .iter()
        .filter_map(|t| match t {
            tl::enums::ForumTopic::Topic(t) => {
                Some(json!({ "topic_id": t.id, "title": t.title, "closed": t.closed, "pinned": t.pinned, "unread_count": t.unread_count }))
            }
            _ => None,
        })
        .collect();
    let more = topics.len() > limit;
    topics.truncate(limit);
    Ok((topics, more))
}
