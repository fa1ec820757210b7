//! Parameters of the MCP tools (JSON Schema via schemars).

pub use super::chat_ref::{ChatKind, ChatRef, ChatTypeFilter};
use schemars::JsonSchema;
use serde::Deserialize;

/// How message text is parsed into Telegram formatting.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ParseMode {
    /// HTML if the text contains tags, else Markdown if it has Markdown marks, else plain.
    #[default]
    Auto,
    /// Markdown (`**bold**`, `_italic_`, `` `code` ``, `[text](url)`).
    Markdown,
    /// HTML (`<b>`, `<i>`, `<code>`, `<a href>`).
    Html,
    /// Plain text, sent as is.
    Plain,
}

/// `search_messages_globally` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchGloballyParams {
    /// Search terms; separate several with commas (each is searched, results merged without duplicates).
    pub query: String,
    /// Maximum messages to return (1-100, default 50).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// Only messages on or after this date (ISO 8601 date or date-time).
    pub min_date: Option<String>,
    /// Only messages on or before this date (ISO 8601 date or date-time; a date means the end of that day).
    pub max_date: Option<String>,
    /// Kinds of chat to keep: one of private, bot, group, channel, or a list of them.
    pub chat_type: Option<ChatTypeFilter>,
    /// true = only public chats (with a username), false = only non-public ones.
    pub public: Option<bool>,
    /// Cursor from a previous call's `next_cursor`, to get the next page.
    pub cursor: Option<String>,
}

/// `get_messages` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetMessagesParams {
    /// Chat: `me`, a @username, a numeric id (users positive, groups negative, channels -100…), or a t.me link.
    pub chat_id: ChatRef,
    /// Search terms within the chat (or thread); separate several with commas.
    pub query: Option<String>,
    /// Exact message ids to fetch (cannot be combined with query or reply_to_id).
    pub message_ids: Option<Vec<i32>>,
    /// Thread root: a channel post (its comments), a forum topic id, or any message (its replies).
    pub reply_to_id: Option<i32>,
    /// Only messages sent by this user (`me`, @username or id).
    pub from_user: Option<ChatRef>,
    /// Maximum messages to return (1-100, default 50).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// Only messages on or after this date (ISO 8601).
    pub min_date: Option<String>,
    /// Only messages on or before this date (ISO 8601).
    pub max_date: Option<String>,
    /// Cursor from a previous call's `next_cursor`, to get older messages.
    pub cursor: Option<String>,
    /// Include `total_count` of matching messages in the chat (with several terms and more
    /// results than one page, the sum of the terms' counts, which may count a message twice).
    pub include_total_count: Option<bool>,
    /// Attach media of the returned messages as MCP content (images/audio/files within the size limit).
    pub download_media: Option<bool>,
}

/// `send_message` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SendMessageParams {
    /// Target chat (`me`, @username, numeric id).
    pub chat_id: ChatRef,
    /// Text to send (caption when files are attached). Longer than 4096 characters is split into several messages.
    pub message: String,
    /// Reply to this message id; a forum topic id posts into the topic; a channel post id comments in its discussion group.
    pub reply_to_id: Option<i32>,
    /// Text formatting: auto (default), markdown, html or plain.
    pub parse_mode: Option<ParseMode>,
    /// Files to attach: https URLs (any mode) or local paths (stdio mode only). Several files become an album.
    pub files: Option<Vec<String>>,
    /// Any string unique to this message (e.g. a UUID): a retried call with the same key is sent only once and
    /// answers like the first (`idempotent_replay: true`).
    pub idempotency_key: Option<String>,
    /// Schedule instead of sending now: when to send (ISO 8601 date-time, e.g. 2026-01-31T18:00:00Z; within a
    /// year). See `list_scheduled` / `delete_scheduled`.
    pub schedule_date: Option<String>,
}

/// `edit_message` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct EditMessageParams {
    /// Chat containing the message.
    pub chat_id: ChatRef,
    /// Id of your message to edit.
    pub message_id: i32,
    /// New text.
    pub message: String,
    /// Text formatting: auto (default), markdown, html or plain.
    pub parse_mode: Option<ParseMode>,
}

/// `find_chats` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct FindChatsParams {
    /// Name, @username or phone to look for; separate several with commas. Optional with a folder or date window.
    pub query: Option<String>,
    /// Maximum chats to return (1-100, default 20).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// Kinds of chat to keep: one of private, bot, group, channel, or a list of them.
    pub chat_type: Option<ChatTypeFilter>,
    /// true = only public chats (with a username), false = only non-public ones.
    pub public: Option<bool>,
    /// Only chats with activity on or after this date (searches your dialog list).
    pub min_date: Option<String>,
    /// Only chats with activity on or before this date (searches your dialog list).
    pub max_date: Option<String>,
    /// Name of a Telegram chat folder to list (case-insensitive).
    pub filter: Option<String>,
}

/// `get_chat_info` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetChatInfoParams {
    /// Chat or user (`me`, @username, numeric id).
    pub chat_id: ChatRef,
    /// Forum topics to list for forum groups (1-100, default 20).
    #[schemars(range(min = 1, max = 100))]
    pub topics_limit: Option<u32>,
}

/// `send_message_to_phone` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SendToPhoneParams {
    /// Phone number in international format, e.g. +15551234567.
    pub phone_number: String,
    /// Text to send (caption when files are attached).
    pub message: String,
    /// First name for the contact if one must be created (default "Contact").
    pub first_name: Option<String>,
    /// Last name for the contact if one must be created.
    pub last_name: Option<String>,
    /// Delete the contact afterwards if this call created it.
    pub remove_if_new: Option<bool>,
    /// Reply to this message id in that chat.
    pub reply_to_id: Option<i32>,
    /// Text formatting: auto (default), markdown, html or plain.
    pub parse_mode: Option<ParseMode>,
    /// Files to attach (same rules as send_message).
    pub files: Option<Vec<String>>,
    /// Any string unique to this message: a retried call with the same key is sent only once.
    pub idempotency_key: Option<String>,
}

/// `invoke_mtproto` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct InvokeMtprotoParams {
    /// TL method name, e.g. `messages.getHistory` or `users.getFullUser`.
    pub method: String,
    /// Method parameters as a JSON object. Peer fields accept `me`, @username or ids and are resolved.
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// `get_inbox` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetInboxParams {
    /// Maximum chats to return (1-100, default 20).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// Also list muted chats with unread messages (default false; a muted chat with unread mentions is always listed).
    pub include_muted: Option<bool>,
    /// Also list archived chats (default false).
    pub include_archived: Option<bool>,
    /// Only chats in this chat folder: its title (case and spaces ignored) or its numeric id.
    /// The folder's own rules apply (a folder that leaves out muted chats lists none).
    pub folder: Option<String>,
    /// Cursor from a previous call's `next_cursor`, to get the next (older) chats.
    pub cursor: Option<String>,
}

/// `mark_read` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct MarkReadParams {
    /// Chat to mark as read (`me`, @username, numeric id).
    pub chat_id: ChatRef,
    /// Mark messages up to and including this id as read (default: every message).
    #[schemars(range(min = 1))]
    pub max_id: Option<i32>,
    /// Also clear the chat's unread mentions (default: true when marking every message, false with `max_id`,
    /// as Telegram clears mentions for the whole chat).
    pub mentions: Option<bool>,
    /// Only this forum topic (its id) or comment thread (its root message id) of the chat.
    #[schemars(range(min = 1))]
    pub topic_id: Option<i32>,
    /// Clear only the unread `mentions` or only the unread `reactions` (to your messages), leaving
    /// the messages themselves unread.
    pub only: Option<ReadOnly>,
}

/// What `mark_read` clears when not the messages themselves.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ReadOnly {
    /// Unread mentions of you (and replies to you).
    Mentions,
    /// Unread reactions to your messages.
    Reactions,
}

/// `delete_messages` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DeleteMessagesParams {
    /// Chat containing the messages.
    pub chat_id: ChatRef,
    /// Ids of the messages to delete (1-100).
    #[schemars(length(min = 1, max = 100))]
    pub message_ids: Vec<i32>,
    /// Delete for everyone, not only for you (default false). Always true in supergroups and channels.
    pub revoke: Option<bool>,
}

/// `forward_messages` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ForwardMessagesParams {
    /// Chat the messages are in.
    pub from_chat_id: ChatRef,
    /// Ids of the messages to forward (1-100), forwarded in this order; albums stay together.
    #[schemars(length(min = 1, max = 100))]
    pub message_ids: Vec<i32>,
    /// Chat to forward them to.
    pub to_chat_id: ChatRef,
    /// Send as copies without the "Forwarded from" header (default false).
    pub drop_author: Option<bool>,
}

/// `send_reaction` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SendReactionParams {
    /// Chat containing the message.
    pub chat_id: ChatRef,
    /// Message to react to.
    pub message_id: i32,
    /// The reaction emoji, e.g. 👍; leave out (or empty) to remove your reaction.
    pub emoji: Option<String>,
}

/// `pin_message` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PinMessageParams {
    /// Chat containing the message.
    pub chat_id: ChatRef,
    /// Message to pin.
    pub message_id: i32,
    /// Notify the chat's members (default false: pin silently).
    pub notify: Option<bool>,
    /// In a private chat, pin only for you (default false: for both).
    pub only_for_me: Option<bool>,
}

/// `unpin_message` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct UnpinMessageParams {
    /// Chat containing the message.
    pub chat_id: ChatRef,
    /// Message to unpin.
    pub message_id: i32,
}

/// `list_scheduled` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListScheduledParams {
    /// Chat whose scheduled messages to list.
    pub chat_id: ChatRef,
}

/// `delete_scheduled` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DeleteScheduledParams {
    /// Chat the messages are scheduled in.
    pub chat_id: ChatRef,
    /// Ids of the scheduled messages (from `list_scheduled` or `send_message`'s result), 1-100.
    #[schemars(length(min = 1, max = 100))]
    pub message_ids: Vec<i32>,
}

/// `save_draft` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SaveDraftParams {
    /// Chat to save the draft in.
    pub chat_id: ChatRef,
    /// The draft's text; empty clears the chat's draft.
    pub message: String,
    /// The message the draft replies to.
    pub reply_to_id: Option<i32>,
    /// Text formatting: auto (default), markdown, html or plain.
    pub parse_mode: Option<ParseMode>,
}

/// `get_drafts` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetDraftsParams {
    /// Only the draft of this chat (default: every chat with a draft).
    pub chat_id: Option<ChatRef>,
}

/// `wait_for_messages` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct WaitForMessagesParams {
    /// Chats to watch (`me`, @username, numeric ids; 1-100). Default: every chat you may read.
    pub chat_ids: Option<Vec<ChatRef>>,
    /// `next_cursor` of your previous call: continue right after what it returned, so nothing that
    /// arrived in between is missed. Without it, only messages arriving after this call starts.
    pub cursor: Option<String>,
    /// Seconds to wait for a first new message (0-120, default 30); 0 only checks.
    #[schemars(range(min = 0, max = 120))]
    pub timeout_seconds: Option<u32>,
    /// Most messages to return (1-100, default 50); the rest come with the next call.
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// Also return messages you sent yourself, from any device (default false).
    pub include_outgoing: Option<bool>,
}

/// `transcribe_voice` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct TranscribeVoiceParams {
    /// Chat containing the voice message (`me`, @username, numeric id).
    pub chat_id: ChatRef,
    /// Id of the voice message (or round video message).
    #[schemars(range(min = 1))]
    pub message_id: i32,
}
