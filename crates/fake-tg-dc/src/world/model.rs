//! The data model: peers, users, accounts, groups, channels, topics, files, media and messages.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use grammers_tl_types as tl;

/// A peer as the world knows it (bare ids, as in TL `Peer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeerKey {
    /// A user (or bot), by user id.
    User(i64),
    /// A basic group, by chat id.
    Chat(i64),
    /// A channel or supergroup, by channel id.
    Channel(i64),
}

/// A Telegram user (a person or a bot). Accounts are users too.
#[derive(Clone, Debug)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Access hash the client must present for this user.
    pub access_hash: i64,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// Username without `@`.
    pub username: Option<String>,
    /// Phone number in `+digits` form.
    pub phone: Option<String>,
    /// Whether this user is a bot.
    pub bot: bool,
    /// Bio shown by users.getFullUser.
    pub about: Option<String>,
    /// Has Telegram Premium (the `premium` flag of `user`; needed for messages.transcribeAudio).
    pub premium: bool,
}

/// A dialog folder (messages.getDialogFilters entry).
#[derive(Clone, Debug, Default)]
pub struct Folder {
    /// Filter id (2 and up; 0/1 are reserved by Telegram).
    pub id: i32,
    /// Folder title.
    pub title: String,
    /// Optional emoticon.
    pub emoticon: Option<String>,
    /// Include all contacts.
    pub contacts: bool,
    /// Include all non-contacts.
    pub non_contacts: bool,
    /// Include all groups.
    pub groups: bool,
    /// Include all broadcast channels.
    pub broadcasts: bool,
    /// Include all bots.
    pub bots: bool,
    /// Exclude muted chats.
    pub exclude_muted: bool,
    /// Exclude read chats.
    pub exclude_read: bool,
    /// Exclude archived chats.
    pub exclude_archived: bool,
    /// Pinned peers (also included).
    pub pinned: Vec<PeerKey>,
    /// Explicitly included peers.
    pub include: Vec<PeerKey>,
    /// Explicitly excluded peers.
    pub exclude: Vec<PeerKey>,
}

/// A login-capable account (a user with a phone, login code and optional 2FA).
#[derive(Clone, Debug)]
pub struct Account {
    /// The account's user id.
    pub user_id: i64,
    /// Phone number used for auth.sendCode / auth.signIn.
    pub phone: String,
    /// The login code auth.signIn accepts.
    pub code: String,
    /// 2FA password, if enabled.
    pub password: Option<String>,
    /// 2FA hint.
    pub hint: Option<String>,
    /// Contact user ids.
    pub contacts: Vec<i64>,
    /// Pinned dialogs, in order.
    pub pinned: Vec<PeerKey>,
    /// Dialogs in the archive (folder 1).
    pub archived: BTreeSet<PeerKey>,
    /// Muted dialogs.
    pub muted: BTreeSet<PeerKey>,
    /// Dialog folders.
    pub folders: Vec<Folder>,
    /// Highest read incoming message id per dialog.
    pub read_inbox: HashMap<PeerKey, i32>,
    /// Messages that mention this account and that it has not read yet (chat, message id).
    pub unread_mentions: BTreeSet<(PeerKey, i32)>,
    /// This account's messages that others reacted to since it last looked (chat, message id).
    pub unread_reactions: BTreeSet<(PeerKey, i32)>,
    /// Highest read message id per thread (forum topic or comment thread, by its root id), from
    /// messages.readDiscussion.
    pub read_threads: HashMap<(PeerKey, i32), i32>,
    /// Messages in private chats and basic groups, as seen by this account.
    pub messages: Vec<Message>,
    /// Last message id used in this account's box.
    pub last_id: i32,
    /// Unsent drafts per chat (cloud drafts, shared by the account's sessions).
    pub drafts: BTreeMap<PeerKey, SavedDraft>,
    /// Messages this account scheduled, not sent yet (ids of their own sequence).
    pub scheduled: Vec<Message>,
    /// Last scheduled message id used.
    pub last_scheduled_id: i32,
    /// Common update sequence (pts) of this account.
    pub pts: i32,
}

/// A cloud draft: text being written in a chat, not sent.
#[derive(Clone, Debug)]
pub struct SavedDraft {
    /// Text.
    pub text: String,
    /// Formatting entities.
    pub entities: Vec<tl::enums::MessageEntity>,
    /// The message it replies to.
    pub reply_to: Option<i32>,
    /// When it was saved.
    pub date: i32,
}

/// A basic group.
#[derive(Clone, Debug)]
pub struct BasicGroup {
    /// Chat id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Creator user id.
    pub creator: i64,
    /// Member user ids.
    pub members: Vec<i64>,
    /// Description.
    pub about: String,
    /// Creation date.
    pub date: i32,
}

/// A forum topic inside a forum supergroup.
#[derive(Clone, Debug)]
pub struct Topic {
    /// Topic id (= id of its "topic created" service message).
    pub id: i32,
    /// Title.
    pub title: String,
    /// Creator.
    pub creator: i64,
    /// Creation date.
    pub date: i32,
}

/// A broadcast channel or a supergroup (megagroup).
#[derive(Clone, Debug)]
pub struct Channel {
    /// Channel id.
    pub id: i64,
    /// Access hash.
    pub access_hash: i64,
    /// Title.
    pub title: String,
    /// Public username.
    pub username: Option<String>,
    /// `true` = broadcast channel, `false` = megagroup.
    pub broadcast: bool,
    /// Megagroup with forum topics.
    pub forum: bool,
    /// Creator user id.
    pub creator: i64,
    /// Member user ids.
    pub members: Vec<i64>,
    /// Description.
    pub about: String,
    /// Linked discussion group (for a broadcast) or linked channel (for the group).
    pub linked: Option<i64>,
    /// Forum topics.
    pub topics: Vec<Topic>,
    /// All messages, ascending ids.
    pub messages: Vec<Message>,
    /// Last message id used.
    pub last_id: i32,
    /// Channel pts.
    pub pts: i32,
    /// Creation date.
    pub date: i32,
}

/// Kind of stored file.
#[derive(Clone, Debug, PartialEq)]
pub enum FileKind {
    /// A photo of the given size.
    Photo {
        /// Width.
        w: i32,
        /// Height.
        h: i32,
    },
    /// A plain document.
    Document,
    /// A voice note.
    Voice {
        /// Duration in seconds.
        duration: i32,
    },
}

/// A stored file (photo or document) with its real bytes.
#[derive(Clone, Debug)]
pub struct File {
    /// Photo/document id.
    pub id: i64,
    /// Access hash.
    pub access_hash: i64,
    /// Kind.
    pub kind: FileKind,
    /// File name (documents).
    pub name: Option<String>,
    /// MIME type.
    pub mime_type: String,
    /// Content.
    pub bytes: Vec<u8>,
    /// Upload date.
    pub date: i32,
}

/// Message media.
#[derive(Clone, Debug, PartialEq)]
pub enum Media {
    /// Photo by file id.
    Photo(i64),
    /// Document (incl. voice) by file id.
    Document(i64),
    /// A poll.
    Poll {
        /// Poll id.
        id: i64,
        /// Question.
        question: String,
        /// Answer texts.
        answers: Vec<String>,
    },
}

/// Forward header.
#[derive(Clone, Debug, PartialEq)]
pub struct Forward {
    /// Original sender.
    pub from: PeerKey,
    /// Original date.
    pub date: i32,
    /// Original channel post id (when forwarded from a channel).
    pub channel_post: Option<i32>,
}

/// A message as stored in a box or channel.
#[derive(Clone, Debug)]
pub struct Message {
    /// Message id (box-local or channel-local).
    pub id: i32,
    /// Chat the message is in, from the box owner's point of view.
    pub peer: PeerKey,
    /// Sender (None for broadcast channel posts).
    pub from: Option<PeerKey>,
    /// Unix date.
    pub date: i32,
    /// Text / caption.
    pub text: String,
    /// Formatting entities.
    pub entities: Vec<tl::enums::MessageEntity>,
    /// Media.
    pub media: Option<Media>,
    /// Replied-to message id.
    pub reply_to: Option<i32>,
    /// Thread root: forum topic id or discussion root id.
    pub thread: Option<i32>,
    /// Forward header.
    pub fwd: Option<Forward>,
    /// Edit date.
    pub edit_date: Option<i32>,
    /// Service message "topic created" with this title.
    pub topic_created: Option<String>,
    /// Broadcast channel post.
    pub post: bool,
    /// Client random id (sent messages).
    pub random_id: Option<i64>,
    /// Album id.
    pub grouped_id: Option<i64>,
    /// For a broadcast post: its discussion copy (group id, message id).
    pub discussion: Option<(i64, i32)>,
    /// The same for every copy of one sent message in the account boxes (private chats, basic groups).
    pub origin: u64,
    /// Pinned in its chat.
    pub pinned: bool,
    /// Reactions: (user id, emoji), at most one per user, oldest first.
    pub reactions: Vec<(i64, String)>,
    /// The `pts` its arrival took: of the owning account's box, or of its channel (0 for a
    /// scheduled message, which has not arrived yet). `updates.getDifference` and
    /// `updates.getChannelDifference` return the messages above the client's `pts`.
    pub pts: i32,
}

/// What to send with [`World::deliver`].
#[derive(Clone, Debug, Default)]
pub struct Draft {
    /// Text.
    pub text: String,
    /// Entities.
    pub entities: Vec<tl::enums::MessageEntity>,
    /// Media.
    pub media: Option<Media>,
    /// Reply target.
    pub reply_to: Option<i32>,
    /// Thread (topic id / discussion root).
    pub thread: Option<i32>,
    /// Forward header.
    pub fwd: Option<Forward>,
    /// Fixed date (otherwise the world clock is used).
    pub date: Option<i32>,
    /// Client random id.
    pub random_id: Option<i64>,
    /// Album id.
    pub grouped_id: Option<i64>,
}

impl Draft {
    /// A plain text draft.
    pub fn text(text: impl Into<String>) -> Self {
        Draft {
            text: text.into(),
            ..Default::default()
        }
    }
    /// Adds an entity.
    pub fn entity(mut self, e: tl::enums::MessageEntity) -> Self {
        self.entities.push(e);
        self
    }
    /// Sets media.
    pub fn media(mut self, m: Media) -> Self {
        self.media = Some(m);
        self
    }
    /// Sets reply target.
    pub fn reply_to(mut self, id: i32) -> Self {
        self.reply_to = Some(id);
        self
    }
    /// Sets the thread (topic id / discussion root).
    pub fn thread(mut self, id: i32) -> Self {
        self.thread = Some(id);
        self
    }
    /// Sets a forward header.
    pub fn forwarded(mut self, fwd: Forward) -> Self {
        self.fwd = Some(fwd);
        self
    }
}

/// Where a delivered message landed.
#[derive(Clone, Debug, Default)]
pub struct Delivery {
    /// Id in the sender's box (or the channel id sequence).
    pub id: i32,
    /// Every (account user id, message id) box insertion.
    pub boxes: Vec<(i64, i32)>,
    /// (channel id, message id) when sent to a channel.
    pub channel: Option<(i64, i32)>,
}
