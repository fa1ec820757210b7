//! The typed shapes of tool results (schemars): what every tool declares as its `outputSchema`.
//!
//! Entities and messages follow [`format`](super::format): ids are Bot-API-style numbers that
//! every tool accepts back as `chat_id`; dates are RFC 3339 UTC. Objects may carry more fields
//! than listed (a chat's profile adds `about`, `topics`…), so clients must ignore unknown ones.

use super::chat_ref::ChatKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A user, bot, group or channel.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Entity {
    /// Bot-API-style id: users positive, basic groups negative, channels and supergroups `-100…`.
    pub id: i64,
    /// What kind of chat this is.
    #[serde(rename = "type")]
    pub kind: ChatKind,
    /// Display name (absent when the result did not include the peer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Public @username, without the @.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// A user's first name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// A user's last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// This is you.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_self: Option<bool>,
    /// The user is in your contacts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_contact: Option<bool>,
    /// A deleted account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_deleted: Option<bool>,
    /// A supergroup with forum topics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_forum: Option<bool>,
    /// A chat you were removed from or that is private to you.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_inaccessible: Option<bool>,
    /// Members of a group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members_count: Option<i64>,
    /// Subscribers of a channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscribers_count: Option<i64>,
}

/// A message, or a requested id that does not exist.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum MessageItem {
    /// A message.
    Message(Box<Message>),
    /// An id asked for with `message_ids` that is not there.
    Missing {
        /// The id asked for.
        id: i32,
        /// Why it is missing.
        error: String,
    },
}

/// A message in one uniform shape.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    /// Message id within its chat.
    pub id: i32,
    /// When it was sent (RFC 3339 UTC).
    pub date: String,
    /// Text (or caption) with formatting as Markdown; empty for service messages.
    pub text: String,
    /// Who sent it (the chat itself for channel posts and private chats).
    pub sender: Entity,
    /// The chat (in results that span chats).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<Entity>,
    /// Sent by you.
    pub outgoing: bool,
    /// The message it replies to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to_msg_id: Option<i32>,
    /// The forum topic it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<i32>,
    /// Where it was forwarded from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarded_from: Option<Forward>,
    /// Its media, described (bytes are never inlined here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
    /// When it was last edited (RFC 3339 UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit_date: Option<String>,
    /// Views of a channel post.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub views: Option<i64>,
    /// Comments under a channel post.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comments_count: Option<i64>,
    /// Replies in a group thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replies_count: Option<i64>,
    /// `https://t.me/…` link, where one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The action of a service message (e.g. `chat_add_user`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Pinned in its chat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    /// Reactions to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reactions: Option<Vec<Reaction>>,
}

/// One reaction and how many chose it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Reaction {
    /// The emoji (or `custom:<id>` for a custom emoji, `paid` for Stars).
    pub emoji: String,
    /// How many reacted with it.
    pub count: i64,
    /// You reacted with it.
    pub chosen: bool,
}

/// The origin of a forwarded message.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Forward {
    /// When the original was sent (RFC 3339 UTC).
    pub date: String,
    /// The original sender, if visible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<Entity>,
    /// The original sender's name, when hidden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// The original channel post id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_post: Option<i32>,
}

/// A file of a message: `attachment_download_url` appears when the server has a public DOMAIN.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FileMedia {
    /// The file's name, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// MIME type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<i64>,
    /// Length of audio and video, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    /// An audio file's title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// An audio file's performer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performer: Option<String>,
    /// A time-limited download link (HTTP with DOMAIN only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment_download_url: Option<String>,
}

/// One answer of a poll.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PollOption {
    /// The answer's text.
    pub text: String,
    /// Votes for it.
    pub voters: i64,
    /// You chose it.
    pub chosen: bool,
    /// The right answer of a quiz.
    pub correct: bool,
}

/// Media of a message, by `type`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Media {
    /// A photo.
    Photo(FileMedia),
    /// Any other file.
    Document(FileMedia),
    /// A voice message.
    Voice(FileMedia),
    /// A music file.
    Audio(FileMedia),
    /// A video.
    Video(FileMedia),
    /// A round video message.
    RoundVideo(FileMedia),
    /// A sticker.
    Sticker(FileMedia),
    /// A GIF-like animation.
    Animation(FileMedia),
    /// A poll.
    Poll {
        /// The question.
        question: String,
        /// The answers with their votes.
        options: Vec<PollOption>,
        /// Everyone who voted.
        total_voters: i64,
        /// Voting is over.
        #[serde(skip_serializing_if = "Option::is_none")]
        closed: Option<bool>,
        /// Several answers allowed.
        #[serde(skip_serializing_if = "Option::is_none")]
        multiple_choice: Option<bool>,
        /// A quiz (one right answer).
        #[serde(skip_serializing_if = "Option::is_none")]
        quiz: Option<bool>,
        /// Votes are public.
        #[serde(skip_serializing_if = "Option::is_none")]
        public_voters: Option<bool>,
    },
    /// A shared contact.
    Contact {
        /// First name.
        first_name: String,
        /// Last name.
        last_name: String,
        /// Their Telegram user id, if they have an account.
        user_id: i64,
    },
    /// A point on the map.
    Location {
        /// Latitude, degrees.
        latitude: f64,
        /// Longitude, degrees.
        longitude: f64,
    },
    /// A place.
    Venue {
        /// Its name.
        title: String,
        /// Its address.
        address: String,
    },
    /// An animated dice roll.
    Dice {
        /// The emoji.
        emoticon: String,
        /// The value rolled.
        value: i64,
    },
    /// A link preview.
    Webpage {
        /// The page.
        url: String,
        /// Its title.
        #[serde(skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// Its site.
        #[serde(skip_serializing_if = "Option::is_none")]
        site_name: Option<String>,
    },
}

/// `search_messages_globally` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SearchResult {
    /// Matching messages, newest first, each with its `chat`.
    pub messages: Vec<MessageItem>,
    /// More results exist: pass `next_cursor` to get them.
    pub has_more: bool,
    /// Cursor of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `get_messages` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MessagesResult {
    /// The chat read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<Entity>,
    /// Messages, newest first (in the order asked for with `message_ids`).
    pub messages: Vec<MessageItem>,
    /// More (older) messages exist: pass `next_cursor` to get them.
    pub has_more: bool,
    /// Cursor of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Matching messages in the chat (with `include_total_count`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_count: Option<i64>,
    /// The thread root asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to_id: Option<i32>,
    /// Where the comments of a channel post live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discussion_chat_id: Option<i64>,
    /// The post's id in that discussion group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_post_id: Option<i32>,
}

/// `find_chats` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ChatsResult {
    /// Matching chats.
    pub chats: Vec<Entity>,
}

/// A forum topic.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Topic {
    /// Topic id (pass it as `reply_to_id`).
    pub topic_id: i32,
    /// Its title.
    pub title: String,
    /// Closed to new messages.
    pub closed: bool,
    /// Pinned.
    pub pinned: bool,
    /// Unread messages.
    pub unread_count: i64,
}

/// `get_chat_info` result: the entity and its profile.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ChatInfo {
    /// The entity.
    #[serde(flatten)]
    pub entity: Entity,
    /// A user's bio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    /// Groups you share with a user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_chats_count: Option<i64>,
    /// A group's or channel's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// The discussion group of a channel (or the channel of a discussion group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_chat_id: Option<i64>,
    /// Forum topics (forums only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topics: Option<Vec<Topic>>,
    /// More topics exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topics_has_more: Option<bool>,
}

/// `send_message` and `send_message_to_phone` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SentResult {
    /// `sent`, or `scheduled` with `schedule_date` (the messages then carry scheduled ids and their send date).
    pub status: String,
    /// Where it went.
    pub chat: Entity,
    /// The messages sent (long text and albums make several).
    pub messages: Vec<Message>,
    /// The phone number, masked (`send_message_to_phone`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// A contact was created for the number (`send_message_to_phone`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_was_new: Option<bool>,
    /// That contact was removed again (`send_message_to_phone`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_removed: Option<bool>,
}

/// `edit_message` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EditedResult {
    /// `edited`.
    pub status: String,
    /// The message as it is now.
    pub message: Message,
}

/// `invoke_mtproto` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MtprotoResult {
    /// The method called, canonically spelt.
    pub method: String,
    /// Telegram's answer as JSON (`_` names each constructor).
    pub result: Value,
}

/// One chat of `get_inbox`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InboxChat {
    /// The chat.
    pub chat: Entity,
    /// Unread messages.
    pub unread_count: i64,
    /// Unread messages that mention you (or reply to you).
    pub unread_mentions_count: i64,
    /// You marked the chat as unread by hand.
    pub marked_unread: bool,
    /// Notifications are muted.
    pub muted: bool,
    /// In the archive.
    pub archived: bool,
    /// Pinned in your chat list.
    pub pinned: bool,
    /// The newest message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message: Option<Message>,
}

/// `get_inbox` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InboxResult {
    /// Chats with unread messages or mentions, newest activity first.
    pub chats: Vec<InboxChat>,
    /// More chats exist: pass `next_cursor` to get them.
    pub has_more: bool,
    /// Cursor of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `mark_read` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MarkReadResult {
    /// `read`.
    pub status: String,
    /// The chat.
    pub chat: Entity,
    /// Messages up to this id are now read.
    pub read_up_to_id: i32,
    /// Unread messages left (newer than `read_up_to_id`).
    pub unread_count: i64,
    /// Unread mentions left.
    pub unread_mentions_count: i64,
    /// Unread reactions to your messages left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread_reactions_count: Option<i64>,
    /// The forum topic or thread marked (when one was asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<i32>,
    /// `mentions` or `reactions` when only those were cleared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only: Option<String>,
}

/// `delete_messages` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DeletedResult {
    /// `deleted`.
    pub status: String,
    /// The chat.
    pub chat: Entity,
    /// Ids asked for.
    pub message_ids: Vec<i32>,
    /// Messages Telegram actually deleted (ids that did not exist or were not yours to delete are not counted).
    pub deleted_count: i64,
    /// Deleted for everyone.
    pub revoked: bool,
}

/// `forward_messages` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ForwardedResult {
    /// `forwarded`.
    pub status: String,
    /// Where they went.
    pub chat: Entity,
    /// The new messages, in the order forwarded.
    pub messages: Vec<Message>,
}

/// `send_reaction` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReactionResult {
    /// `reacted` or `removed`.
    pub status: String,
    /// The chat.
    pub chat: Entity,
    /// The message.
    pub message_id: i32,
    /// Its reactions now.
    pub reactions: Vec<Reaction>,
}

/// `pin_message` and `unpin_message` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PinResult {
    /// `pinned` or `unpinned`.
    pub status: String,
    /// The chat.
    pub chat: Entity,
    /// The message.
    pub message_id: i32,
}

/// `list_scheduled` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScheduledResult {
    /// The chat.
    pub chat: Entity,
    /// Your scheduled messages there, latest send date first; `date` is when each will be sent.
    pub messages: Vec<Message>,
}

/// `delete_scheduled` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DeletedScheduledResult {
    /// `deleted`.
    pub status: String,
    /// The chat.
    pub chat: Entity,
    /// The scheduled messages deleted (ids asked for that were not scheduled are left out).
    pub message_ids: Vec<i32>,
}

/// A cloud draft.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DraftItem {
    /// The chat it is written in.
    pub chat: Entity,
    /// Its text, formatting as Markdown.
    pub text: String,
    /// When it was saved (RFC 3339 UTC).
    pub date: String,
    /// The message it replies to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to_msg_id: Option<i32>,
}

/// `save_draft` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DraftSavedResult {
    /// `saved` or `cleared`.
    pub status: String,
    /// The chat.
    pub chat: Entity,
    /// The draft as Telegram keeps it (absent when cleared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft: Option<DraftItem>,
}

/// `get_drafts` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DraftsResult {
    /// Your unsent drafts.
    pub drafts: Vec<DraftItem>,
}

/// `wait_for_messages` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WaitResult {
    /// New messages after the cursor, oldest first, each with its chat (empty when the wait timed out).
    pub messages: Vec<Message>,
    /// Pass this as `cursor` to the next call to continue right after these messages.
    pub next_cursor: String,
    /// No new message arrived within `timeout_seconds`.
    pub timed_out: bool,
    /// More new messages are waiting: call again with `next_cursor` (no need to wait).
    pub has_more: bool,
    /// Messages that arrived after the cursor but were dropped from the server's buffer (it keeps
    /// the newest 1000) before this call; only for tokens that may read every chat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missed_count: Option<u64>,
    /// The cursor came from an earlier run of the server: results start with everything received
    /// since it started, some of which you may have seen already.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor_reset: Option<bool>,
}

/// `transcribe_voice` result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TranscriptionResult {
    /// `done`, or `pending` while Telegram is still transcribing (call again in a few seconds for the rest).
    pub status: String,
    /// The chat.
    pub chat: Entity,
    /// The voice message.
    pub message_id: i32,
    /// The text heard so far (all of it when `done`).
    pub text: String,
    /// Telegram's id of this transcription.
    pub transcription_id: String,
}
