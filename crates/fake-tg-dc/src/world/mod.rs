//! The world: every account, user, chat, channel, message and file, and how a viewer reads them.
//!
//! Message ids follow Telegram: private chats and basic groups share one id
//! sequence *per account* (each account has its own "message box"), while every
//! channel/supergroup has its own id sequence shared by all its members.

use std::collections::{BTreeMap, HashMap};

mod build;
mod model;
mod scheduled;

pub use model::{
    Account, BasicGroup, Channel, Delivery, Draft, File, FileKind, Folder, Forward, Media, Message,
    PeerKey, SavedDraft, Topic, User,
};

/// The whole fake Telegram universe served by a [`crate::FakeDc`].
#[derive(Clone, Debug, Default)]
pub struct World {
    /// All users by id (accounts included).
    pub users: BTreeMap<i64, User>,
    /// Accounts by user id.
    pub accounts: BTreeMap<i64, Account>,
    /// Basic groups by id.
    pub groups: BTreeMap<i64, BasicGroup>,
    /// Channels and supergroups by id.
    pub channels: BTreeMap<i64, Channel>,
    /// Files by id.
    pub files: BTreeMap<i64, File>,
    /// Parts uploaded through upload.saveFilePart / saveBigFilePart, by client file id.
    pub uploads: HashMap<i64, BTreeMap<i32, Vec<u8>>>,
    /// What messages.transcribeAudio hears in a voice file, by file id (none: `TRANSCRIPTION_FAILED`).
    pub transcripts: BTreeMap<i64, String>,
    /// Transcriptions already started, as (account, chat, message id): the first request of
    /// one answers `pending` with the first half of the text, later ones the whole text.
    pub transcribing: std::collections::BTreeSet<(i64, PeerKey, i32)>,
    /// World clock for fixture messages (advances 60 s per message).
    pub clock: i32,
    next_id: i64,
    /// Last [`Message::origin`] handed out.
    next_origin: u64,
}

pub(crate) fn now() -> i32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i32)
        .unwrap_or(0)
}

/// Reading the world as one viewer sees it.
impl World {
    /// Display name of a peer (title or "first last").
    pub fn peer_name(&self, p: PeerKey) -> String {
        match p {
            PeerKey::User(id) => self
                .users
                .get(&id)
                .map(|u| match &u.last_name {
                    Some(l) => format!("{} {}", u.first_name, l),
                    None => u.first_name.clone(),
                })
                .unwrap_or_default(),
            PeerKey::Chat(id) => self
                .groups
                .get(&id)
                .map(|g| g.title.clone())
                .unwrap_or_default(),
            PeerKey::Channel(id) => self
                .channels
                .get(&id)
                .map(|c| c.title.clone())
                .unwrap_or_default(),
        }
    }

    /// Account user id for a phone number.
    pub fn account_by_phone(&self, phone: &str) -> Option<i64> {
        let norm = |s: &str| s.chars().filter(|c| c.is_ascii_digit()).collect::<String>();
        let want = norm(phone);
        self.accounts
            .values()
            .find(|a| norm(&a.phone) == want)
            .map(|a| a.user_id)
    }

    /// Messages of a chat as `viewer` sees them, ascending by id.
    pub fn history(&self, viewer: i64, peer: PeerKey) -> Vec<&Message> {
        match peer {
            PeerKey::Channel(id) => self
                .channels
                .get(&id)
                .map(|c| c.messages.iter().collect())
                .unwrap_or_default(),
            _ => self
                .accounts
                .get(&viewer)
                .map(|a| a.messages.iter().filter(|m| m.peer == peer).collect())
                .unwrap_or_default(),
        }
    }

    /// The newest message of a chat as `viewer` sees it.
    pub fn last_message(&self, viewer: i64, peer: PeerKey) -> Option<&Message> {
        self.history(viewer, peer).into_iter().next_back()
    }

    /// Finds one message by id in a chat as `viewer` sees it.
    pub fn message(&self, viewer: i64, peer: PeerKey, id: i32) -> Option<&Message> {
        self.history(viewer, peer).into_iter().find(|m| m.id == id)
    }

    pub(crate) fn message_mut(
        &mut self,
        viewer: i64,
        peer: PeerKey,
        id: i32,
    ) -> Option<&mut Message> {
        match peer {
            PeerKey::Channel(cid) => self
                .channels
                .get_mut(&cid)?
                .messages
                .iter_mut()
                .find(|m| m.id == id),
            _ => self
                .accounts
                .get_mut(&viewer)?
                .messages
                .iter_mut()
                .find(|m| m.id == id && m.peer == peer),
        }
    }

    /// Whether `text` (or a reply to `reply_author`) in a group mentions `user`: Telegram counts
    /// `@username` in the text and replies to the user's own messages; private chats and
    /// broadcast channels have no mentions.
    pub fn mentions(
        &self,
        user: i64,
        peer: PeerKey,
        text: &str,
        reply_author: Option<PeerKey>,
    ) -> bool {
        let group = match peer {
            PeerKey::User(_) => false,
            PeerKey::Chat(_) => true,
            PeerKey::Channel(c) => self.channels.get(&c).is_some_and(|c| !c.broadcast),
        };
        let named = self
            .users
            .get(&user)
            .and_then(|u| u.username.as_ref())
            .is_some_and(|u| {
                let want = format!("@{}", u.to_lowercase());
                text.to_lowercase().match_indices(&want).any(|(i, _)| {
                    let after = text[i + want.len()..].chars().next();
                    !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                })
            });
        group && (named || reply_author == Some(PeerKey::User(user)))
    }

    /// Every copy of a message: in a channel the message itself; in private chats and basic
    /// groups the copy in each account's box, as (account, chat as that account sees it, id).
    pub fn copies(&self, viewer: i64, peer: PeerKey, id: i32) -> Vec<(i64, PeerKey, i32)> {
        let Some(m) = self.message(viewer, peer, id) else {
            return Vec::new();
        };
        if matches!(peer, PeerKey::Channel(_)) || m.origin == 0 {
            return vec![(viewer, peer, id)];
        }
        self.accounts
            .values()
            .flat_map(|a| {
                a.messages
                    .iter()
                    .filter(|c| c.origin == m.origin)
                    .map(|c| (a.user_id, c.peer, c.id))
            })
            .collect()
    }

    /// Concatenated bytes of a client upload (upload.saveFilePart / saveBigFilePart).
    pub fn uploaded_bytes(&self, file_id: i64) -> Option<Vec<u8>> {
        self.uploads
            .get(&file_id)
            .map(|parts| parts.values().flatten().copied().collect())
    }

    /// Whether `viewer` is a member of (or otherwise may read) the chat.
    pub fn can_read(&self, viewer: i64, peer: PeerKey) -> bool {
        match peer {
            PeerKey::User(id) => self.users.contains_key(&id),
            PeerKey::Chat(id) => self
                .groups
                .get(&id)
                .is_some_and(|g| g.members.contains(&viewer)),
            PeerKey::Channel(id) => self
                .channels
                .get(&id)
                .is_some_and(|c| c.members.contains(&viewer) || c.username.is_some()),
        }
    }

    /// Dialog peers of an account (chats with at least one message, plus joined channels),
    /// newest first (pinned dialogs are not moved here).
    pub fn dialog_peers(&self, viewer: i64) -> Vec<PeerKey> {
        let mut tops: BTreeMap<PeerKey, (i32, i32)> = BTreeMap::new();
        if let Some(acc) = self.accounts.get(&viewer) {
            for m in &acc.messages {
                let e = tops.entry(m.peer).or_insert((0, 0));
                if (m.date, m.id) > *e {
                    *e = (m.date, m.id);
                }
            }
        }
        for g in self.groups.values() {
            if g.members.contains(&viewer) {
                tops.entry(PeerKey::Chat(g.id)).or_insert((g.date, 0));
            }
        }
        for c in self.channels.values() {
            if c.members.contains(&viewer) {
                let top = c
                    .messages
                    .last()
                    .map(|m| (m.date, m.id))
                    .unwrap_or((c.date, 0));
                tops.insert(PeerKey::Channel(c.id), top);
            }
        }
        let mut v: Vec<(PeerKey, (i32, i32))> = tops.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
        v.into_iter().map(|(p, _)| p).collect()
    }
}
