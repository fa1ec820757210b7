//! The account's chat folders read from Telegram (`messages.getDialogFilters` and the dialog list), cached per session for a few seconds, for token scopes and `find_chats`.

use super::ToolError;
use super::chats::{DialogInfo, scan_dialogs};
use crate::folder_scope::{ChatFacts, ChatKind, FolderDef, FolderFlags, FolderScope, needs_dialogs};
use crate::policy::Policy;
use crate::telegram::TgClient;
use grammers_client::tl;
use grammers_session::types::PeerId;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long folders and dialog states read for token scopes are reused. Writes through this
/// server drop them at once ([`FolderCache::forget`]), and so does a folder change made in
/// another Telegram app as soon as the update stream reports it ([`TgClient::folder_edits`]);
/// this bounds what a lost update or a changed dialog state (muted, read) can leave stale.
pub const FOLDER_CACHE_TTL: Duration = Duration::from_secs(10);

/// The account's folders (and, when a scope needed it, its dialog list), by session.
#[derive(Default)]
pub struct FolderCache {
    inner: Mutex<HashMap<String, Cached>>,
}

#[derive(Clone)]
struct Cached {
    at: Instant,
    /// [`TgClient::folder_edits`] when it was read.
    edits: u64,
    defs: Arc<Vec<FolderDef>>,
    dialogs: Option<Arc<Vec<ChatFacts>>>,
}

impl FolderCache {
    /// Drops what was read for `session_id` (after a write that may change folders or chat states).
    pub fn forget(&self, session_id: &str) {
        self.lock().remove(session_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fresh(&self, session_id: &str, edits: u64) -> Option<Cached> {
        self.lock().get(session_id).filter(|c| c.at.elapsed() < FOLDER_CACHE_TTL && c.edits == edits).cloned()
    }

    /// `policy`'s folders resolved for a call on `session_id`: from the cache when it is fresh,
    /// else read from Telegram (a failure fails the call; it never widens the scope).
    pub async fn scope(&self, client: &TgClient, session_id: &str, policy: &Policy) -> Result<FolderScope, ToolError> {
        let edits = client.folder_edits();
        let mut cached = match self.fresh(session_id, edits) {
            Some(c) => c,
            None => Cached { at: Instant::now(), edits, defs: Arc::new(folder_defs(client).await?), dialogs: None },
        };
        if cached.dialogs.is_none() && needs_dialogs(policy, &cached.defs) {
            let dialogs = scan_dialogs(client, None).await?;
            cached.dialogs = Some(Arc::new(dialogs.iter().map(facts).collect()));
        }
        let scope = FolderScope::resolve(policy, &cached.defs, cached.dialogs.as_deref().map(Vec::as_slice));
        self.lock().insert(session_id.to_string(), cached);
        Ok(scope)
    }
}

/// What folder rules need to know about a dialog.
pub(super) fn facts(d: &DialogInfo) -> ChatFacts {
    let kind = match d.entity["type"].as_str().unwrap_or("") {
        "bot" => ChatKind::Bot,
        "group" => ChatKind::Group,
        "channel" => ChatKind::Channel,
        _ if d.entity["is_self"] == true => ChatKind::SelfUser,
        _ => ChatKind::User,
    };
    ChatFacts {
        id: super::format::bot_id(&d.peer),
        kind,
        contact: d.contact,
        muted: d.muted,
        unread: d.unread > 0 || d.marked_unread,
        mentions: d.unread_mentions > 0,
        archived: d.archived,
    }
}

/// The account's folders (`messages.getDialogFilters`), without the "All chats" entry. Shared
/// folders (chat lists) hold only their pinned and included chats.
pub async fn folder_defs(client: &TgClient) -> Result<Vec<FolderDef>, crate::telegram::TgError> {
    let tl::enums::messages::DialogFilters::Filters(fs) =
        client.invoke(&tl::functions::messages::GetDialogFilters {}).await?;
    let ids = |v: &[tl::enums::InputPeer]| v.iter().filter_map(input_peer_id).collect::<HashSet<i64>>();
    Ok(fs
        .filters
        .into_iter()
        .filter_map(|f| match f {
            tl::enums::DialogFilter::Filter(f) => {
                let tl::enums::TextWithEntities::Entities(t) = &f.title;
                Some(FolderDef {
                    id: f.id,
                    title: t.text.clone(),
                    include: ids(&f.include_peers),
                    pinned: ids(&f.pinned_peers),
                    exclude: ids(&f.exclude_peers),
                    flags: FolderFlags {
                        contacts: f.contacts,
                        non_contacts: f.non_contacts,
                        groups: f.groups,
                        broadcasts: f.broadcasts,
                        bots: f.bots,
                        exclude_muted: f.exclude_muted,
                        exclude_read: f.exclude_read,
                        exclude_archived: f.exclude_archived,
                    },
                })
            }
            tl::enums::DialogFilter::Chatlist(f) => {
                let tl::enums::TextWithEntities::Entities(t) = &f.title;
                Some(FolderDef {
                    id: f.id,
                    title: t.text.clone(),
                    include: ids(&f.include_peers),
                    pinned: ids(&f.pinned_peers),
                    ..FolderDef::default()
                })
            }
            tl::enums::DialogFilter::Default => None,
        })
        .collect())
}

fn input_peer_id(p: &tl::enums::InputPeer) -> Option<i64> {
    let id = match p {
        tl::enums::InputPeer::User(u) => PeerId::user_unchecked(u.user_id),
        tl::enums::InputPeer::Chat(c) => PeerId::chat_unchecked(c.chat_id),
        tl::enums::InputPeer::Channel(c) => PeerId::channel_unchecked(c.channel_id),
        _ => return None,
    };
    Some(id.bot_api_dialog_id_unchecked())
}
