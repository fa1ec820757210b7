//! What a token may do: its access level, its chat scope and the sensitive chats, checked in one
//! place ([`Policy`]) for every tool, the raw API and the `/mtproto-api` bridge.
//!
//! 1. **Access.** `read` (search and read), `write` (read + acting on messages: send, edit, forward,
//!    delete, react, pin, mark read), `full` (write + the raw API tool and the bridge). A tool above
//!    the token's level is not listed in `tools/list` and is refused if called anyway.
//! 2. **Chat scope.** All chats, or an allowlist; a denylist applies either way. Chats are named by
//!    their Bot API id (users positive, groups negative, channels `-100…`). A chat outside the
//!    scope is refused before Telegram is asked anything about it, and results that span chats
//!    (global search, chat search, dialogs) leave it out. Both lists can also name chat folders
//!    (by id or title), resolved at call time ([`crate::folder_scope`]); deny beats allow, and a
//!    folder rule that cannot be decided for a chat refuses it.
//! 3. **Sensitive chats.** Telegram's service notifications (777000, which carry login codes),
//!    @BotFather and @SpamBot are out of scope for every token unless the user lifts this per token.
//! 4. **Raw API.** Every chat a raw call names (peer specs, explicit input peers, bare chat and
//!    user ids, inside wrappers too) is checked like a tool's, and raw writes wait for approvals
//!    and count against the limits like the write tools. For a token limited to some chats (an
//!    allow- or denylist), a raw write must name its chats, a read that names none is limited to
//!    the listing reads, and every answer loses the messages, dialogs, chats and users outside
//!    the scope. Messages from the sensitive chats are taken out of every answer.

use crate::folder_scope::FolderScope;
use serde::{Deserialize, Serialize};

/// Telegram's service notifications account (login codes arrive here).
pub const SERVICE_NOTIFICATIONS_ID: i64 = 777_000;
/// @BotFather (bot tokens).
pub const BOTFATHER_ID: i64 = 93_372_553;
/// @SpamBot (account restrictions).
pub const SPAMBOT_ID: i64 = 178_220_800;
/// Chats no token sees unless the user lifts the block for it.
pub const SENSITIVE_CHATS: [(i64, &str); 3] = [
    (SERVICE_NOTIFICATIONS_ID, "Telegram service notifications"),
    (BOTFATHER_ID, "@BotFather"),
    (SPAMBOT_ID, "@SpamBot"),
];

/// `action` of an error a broader token policy would lift.
pub const ACTION_WIDEN_POLICY: &str = "ask_user_to_widen_token_policy";

/// How much a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Search and read.
    Read,
    /// Read, and act as you: send, edit, forward, delete, react to, pin and mark messages read.
    Write,
    /// Write, plus the raw Telegram API (`invoke_mtproto`, `/mtproto-api`).
    Full,
}

impl Access {
    /// `read`, `write` or `full`.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Full => "full",
        }
    }

    /// Parses `read`, `write` or `full` (any case).
    pub fn parse(s: &str) -> Option<Access> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read" => Some(Access::Read),
            "write" => Some(Access::Write),
            "full" => Some(Access::Full),
            _ => None,
        }
    }

    /// Refuses `what` unless this level is at least `need`.
    pub fn require(self, need: Access, what: &str) -> Result<(), Refusal> {
        if self >= need {
            Ok(())
        } else {
            Err(Refusal::Access { what: what.into(), have: self.as_str(), need: need.as_str() })
        }
    }
}

/// When a write waits for the user's yes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// Writes go out at once.
    #[default]
    None,
    /// A write to a chat this token has not written to before (and not approved for always) waits.
    NewChats,
    /// Every write waits.
    EveryWrite,
}

impl Approval {
    /// `none`, `new_chats` or `every_write` (any case, `-` for `_`).
    pub fn parse(s: &str) -> Option<Approval> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "none" => Some(Approval::None),
            "new_chats" => Some(Approval::NewChats),
            "every_write" => Some(Approval::EveryWrite),
            _ => None,
        }
    }
}

/// How fast a token may write: well under Telegram's anti-spam limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WriteLimits {
    /// Messages sent or edited per minute.
    pub per_minute: u32,
    /// Chats written to for the first time per day.
    pub new_chats_per_day: u32,
}

impl Default for WriteLimits {
    fn default() -> Self {
        WriteLimits { per_minute: 20, new_chats_per_day: 20 }
    }
}

/// One chat in an allow- or denylist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChatRule {
    /// Bot API id of the chat.
    pub id: i64,
    /// Its name when it was picked, for display only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// One chat folder (a Telegram dialog filter) in an allow- or denylist: by id (which survives a
/// rename) or, without one, by title (spaces and case ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FolderRule {
    /// The folder's id (2 and up; the one Telegram gives it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i32>,
    /// Its title: how it is found when there is no id, for display otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl FolderRule {
    /// `Work (3)`, `Work` or `folder 3`: for messages.
    pub fn name(&self) -> String {
        match (&self.title, self.id) {
            (Some(t), Some(id)) => format!("{t:?} (id {id})"),
            (Some(t), None) => format!("{t:?}"),
            (None, Some(id)) => format!("id {id}"),
            (None, None) => "(unnamed)".into(),
        }
    }

    /// A folder from the CLI: a number is an id, anything else a title.
    pub fn parse(s: &str) -> FolderRule {
        let s = s.trim();
        match s.parse::<i32>() {
            Ok(id) => FolderRule { id: Some(id), title: None },
            Err(_) => FolderRule { id: None, title: Some(s.to_string()) },
        }
    }
}

/// What one token may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Policy {
    /// Access level.
    pub access: Access,
    /// Only these chats (`None`: every chat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_chats: Option<Vec<ChatRule>>,
    /// Never these chats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny_chats: Vec<ChatRule>,
    /// Also (or, without `allow_chats`, only) the chats of these folders: naming one makes the
    /// token's scope an allowlist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_folders: Vec<FolderRule>,
    /// Never the chats of these folders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny_folders: Vec<FolderRule>,
    /// Lift the block on the sensitive chats ([`SENSITIVE_CHATS`]) for this token.
    #[serde(default)]
    pub allow_sensitive: bool,
    /// Which writes wait for the user's yes.
    #[serde(default)]
    pub approval: Approval,
    /// Chats the user said "always allow" for (no approval needed there).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approved_chats: Vec<ChatRule>,
    /// How fast it may write.
    #[serde(default)]
    pub limits: WriteLimits,
}

impl Default for Policy {
    /// A new token: read and write in every chat except the sensitive ones; no raw API.
    fn default() -> Self {
        Policy {
            access: Access::Write,
            allow_chats: None,
            deny_chats: Vec::new(),
            allow_folders: Vec::new(),
            deny_folders: Vec::new(),
            allow_sensitive: false,
            approval: Approval::None,
            approved_chats: Vec::new(),
            limits: WriteLimits::default(),
        }
    }
}

/// Why a policy refused something (shown to the model and logged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The tool needs a higher access level.
    #[error(
        "this token is limited to {have} access; {what} needs {need} (the user can change the token's access in the app)"
    )]
    Access {
        /// What was asked for.
        what: String,
        /// The token's level.
        have: &'static str,
        /// The level needed.
        need: &'static str,
    },
    /// The chat is outside the token's scope.
    #[error("chat {0} is outside this token's chat scope (the user can change the token's chats in the app)")]
    Chat(i64),
    /// The chat is one of the sensitive ones.
    #[error(
        "chat {id} ({name}) is blocked for every assistant by default (it can carry login codes or account controls); the user can lift this per token"
    )]
    Sensitive {
        /// Its id.
        id: i64,
        /// What it is.
        name: &'static str,
    },
    /// The chat is in a folder the token may not reach.
    #[error(
        "chat {id} is in the folder {folder}, which this token may not reach (the user can change the token's chats in the app)"
    )]
    DeniedFolder {
        /// The chat.
        id: i64,
        /// The folder, as named in the policy.
        folder: String,
    },
    /// Whether the chat is in a denied folder cannot be decided (Telegram's dialog list does not
    /// show it, and the folder takes chats of its kind): refused, never allowed.
    #[error(
        "chat {id} may belong to the folder {folder}, which this token may not reach, and it cannot be checked (it is not in your dialog list), so it is refused (the user can change the token's chats in the app)"
    )]
    UndecidedFolder {
        /// The chat.
        id: i64,
        /// The folder, as named in the policy.
        folder: String,
    },
    /// A folder of the denylist no longer exists (or its chats were not read): no chat can be cleared.
    #[error(
        "the folder {0} in this token's denylist cannot be found among your Telegram folders, so no chat can be cleared (the user can fix the token's folders in the app)"
    )]
    DenyFolderMissing(String),
    /// A tool that reaches chats a chat allowlist cannot name in advance.
    #[error(
        "{0} can reach chats outside this token's chat list, so this token cannot use it (the user can change the token's chats in the app)"
    )]
    OutsideAllowlist(String),
}

impl Policy {
    /// The policy of tokens written before policies existed: everything they could do then
    /// (full access in every chat), minus the sensitive chats.
    pub fn legacy() -> Self {
        Policy { access: Access::Full, ..Policy::default() }
    }

    /// The policy of requests with no token (the development bypass, stdio without a token).
    pub fn unauthenticated() -> Self {
        Policy::legacy()
    }

    /// Refuses `what` unless the token has `need`.
    pub fn require(&self, need: Access, what: &str) -> Result<(), Refusal> {
        self.access.require(need, what)
    }

    /// Whether the token is limited to some chats by an allow- or denylist of chats or folders
    /// (the sensitive block alone does not count).
    pub fn limited_to_some_chats(&self) -> bool {
        self.has_allowlist() || !self.deny_chats.is_empty() || !self.deny_folders.is_empty()
    }

    /// Whether only listed chats (or folders) are in scope.
    pub fn has_allowlist(&self) -> bool {
        self.allow_chats.is_some() || !self.allow_folders.is_empty()
    }

    /// Whether checking a chat needs the account's folders read first.
    pub fn names_folders(&self) -> bool {
        !self.allow_folders.is_empty() || !self.deny_folders.is_empty()
    }

    /// Refuses a chat (by Bot API id) outside the scope, without the folders resolved: folder
    /// rules then allow nothing and a folder denylist refuses every chat (see [`Policy::check_chat_in`]).
    pub fn check_chat(&self, id: i64) -> Result<(), Refusal> {
        self.check_chat_in(id, None)
    }

    /// Refuses a chat (by Bot API id) outside the scope, with the token's folders as resolved
    /// for this call (`None`: not resolved, which never allows more). Deny beats allow.
    pub fn check_chat_in(&self, id: i64, folders: Option<&FolderScope>) -> Result<(), Refusal> {
        if !self.allow_sensitive
            && let Some((_, name)) = SENSITIVE_CHATS.iter().find(|(s, _)| *s == id)
        {
            return Err(Refusal::Sensitive { id, name });
        }
        if self.deny_chats.iter().any(|r| r.id == id) {
            return Err(Refusal::Chat(id));
        }
        if let Some(first) = self.deny_folders.first() {
            match folders {
                Some(scope) => scope.check_denied(id)?,
                None => return Err(Refusal::DenyFolderMissing(first.name())),
            }
        }
        if !self.has_allowlist() {
            return Ok(());
        }
        let listed = self.allow_chats.iter().flatten().any(|r| r.id == id);
        if listed || folders.is_some_and(|s| s.allows(id)) { Ok(()) } else { Err(Refusal::Chat(id)) }
    }

    /// Whether a write to chat `id` needs the user's yes (`written_before`: this token wrote there).
    pub fn needs_approval(&self, id: i64, written_before: bool) -> bool {
        let always = self.approved_chats.iter().any(|r| r.id == id);
        match self.approval {
            Approval::None => false,
            Approval::NewChats => !always && !written_before,
            Approval::EveryWrite => !always,
        }
    }

    /// Whether a chat is in scope (for filtering results), folders resolved or not.
    pub fn permits_in(&self, id: i64, folders: Option<&FolderScope>) -> bool {
        self.check_chat_in(id, folders).is_ok()
    }

    /// Whether a chat is in scope without the folders resolved (see [`Policy::check_chat`]).
    pub fn permits(&self, id: i64) -> bool {
        self.permits_in(id, None)
    }

    /// A chat named by the model before it is resolved: a numeric id is checked at once, so an
    /// out-of-scope chat costs no Telegram call (names are checked once resolved).
    pub fn precheck_spec_in(&self, spec: &str, folders: Option<&FolderScope>) -> Result<(), Refusal> {
        match spec.trim().parse::<i64>() {
            Ok(id) => self.check_chat_in(id, folders),
            Err(_) => Ok(()),
        }
    }

    /// [`Policy::precheck_spec_in`] without the folders resolved.
    pub fn precheck_spec(&self, spec: &str) -> Result<(), Refusal> {
        self.precheck_spec_in(spec, None)
    }

    /// Checks the policy itself: lists of sane size, ids that are chat ids.
    pub fn validate(&self) -> Result<(), String> {
        let lists = self.allow_chats.iter().flatten().chain(self.deny_chats.iter());
        for r in lists {
            if r.id == 0 {
                return Err("chat id 0 is not a chat".into());
            }
            if r.title.as_ref().is_some_and(|t| t.chars().count() > 256) {
                return Err("chat titles are limited to 256 characters".into());
            }
        }
        for f in self.allow_folders.iter().chain(self.deny_folders.iter()) {
            match (&f.id, &f.title) {
                (None, None) => return Err("a folder needs an id or a title".into()),
                (None, Some(t)) if t.trim().is_empty() => return Err("a folder needs an id or a title".into()),
                (Some(id), _) if *id < 2 => {
                    return Err(format!("folder id {id} is not a folder (folders are 2 and up)"));
                }
                _ => {}
            }
            if f.title.as_ref().is_some_and(|t| t.chars().count() > 256) {
                return Err("folder titles are limited to 256 characters".into());
            }
        }
        if self.allow_folders.len() + self.deny_folders.len() > 100 {
            return Err("at most 100 folders in the allow- and denylists together".into());
        }
        if self.limits.per_minute == 0 || self.limits.per_minute > 600 {
            return Err("messages per minute must be between 1 and 600".into());
        }
        if self.limits.new_chats_per_day == 0 || self.limits.new_chats_per_day > 10_000 {
            return Err("new chats per day must be between 1 and 10000".into());
        }
        let n = self.allow_chats.as_ref().map_or(0, Vec::len) + self.deny_chats.len() + self.approved_chats.len();
        if n > 10_000 {
            return Err("at most 10000 chats in the allow- and denylists together".into());
        }
        Ok(())
    }

    /// "write · 3 chats · sensitive blocked": for lists and the CLI.
    pub fn summary(&self) -> String {
        let mut parts = vec![self.access.as_str().to_string()];
        let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        parts.push(match (&self.allow_chats, self.allow_folders.len()) {
            (None, 0) => "all chats".into(),
            (Some(a), 0) => plural(a.len(), "chat"),
            (None, f) => plural(f, "folder"),
            (Some(a), f) => format!("{} + {}", plural(a.len(), "chat"), plural(f, "folder")),
        });
        if !self.deny_chats.is_empty() {
            parts.push(format!("{} denied", self.deny_chats.len()));
        }
        if !self.deny_folders.is_empty() {
            parts.push(format!("{} denied", plural(self.deny_folders.len(), "folder")));
        }
        if self.allow_sensitive {
            parts.push("sensitive chats allowed".into());
        }
        match self.approval {
            Approval::None => {}
            Approval::NewChats => parts.push("approval for new chats".into()),
            Approval::EveryWrite => parts.push("approval for every write".into()),
        }
        parts.join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64) -> ChatRule {
        ChatRule { id, title: None }
    }

    #[test]
    fn access_levels_are_ordered() {
        let p = Policy { access: Access::Read, ..Policy::default() };
        assert!(p.require(Access::Read, "get_messages").is_ok());
        let e = p.require(Access::Write, "send_message").unwrap_err();
        assert_eq!(
            e.to_string(),
            "this token is limited to read access; send_message needs write (the user can change the token's access in the app)"
        );
        assert!(Policy::default().require(Access::Full, "invoke_mtproto").is_err());
        assert!(Policy::legacy().require(Access::Full, "invoke_mtproto").is_ok());
    }

    #[test]
    fn sensitive_chats_are_blocked_unless_lifted() {
        let p = Policy::default();
        for (id, _) in SENSITIVE_CHATS {
            assert!(matches!(p.check_chat(id), Err(Refusal::Sensitive { .. })), "{id}");
        }
        assert!(p.permits(100_003));
        assert!(!p.limited_to_some_chats(), "the sensitive block alone is no chat list");
        let lifted = Policy { allow_sensitive: true, ..Policy::default() };
        assert!(lifted.permits(SERVICE_NOTIFICATIONS_ID));
    }

    #[test]
    fn allow_and_deny_lists() {
        let p = Policy {
            allow_chats: Some(vec![rule(100_003), rule(-200_008)]),
            deny_chats: vec![rule(-200_008)],
            ..Policy::default()
        };
        assert!(p.permits(100_003));
        assert_eq!(p.check_chat(-200_008), Err(Refusal::Chat(-200_008)), "deny wins");
        assert_eq!(p.check_chat(100_004), Err(Refusal::Chat(100_004)));
        assert_eq!(p.precheck_spec(" 100004 "), Err(Refusal::Chat(100_004)));
        assert!(p.precheck_spec("@carol").is_ok(), "names are checked once resolved");
        let sensitive_in_allowlist =
            Policy { allow_chats: Some(vec![rule(SERVICE_NOTIFICATIONS_ID)]), ..Policy::default() };
        assert!(
            !sensitive_in_allowlist.permits(SERVICE_NOTIFICATIONS_ID),
            "allowlisting does not lift the sensitive block"
        );
        assert_eq!(p.summary(), "write · 2 chats · 1 denied");
    }

    #[test]
    fn stored_policies_round_trip_and_old_records_get_the_legacy_policy() {
        let p = Policy {
            access: Access::Read,
            allow_chats: Some(vec![ChatRule { id: 5, title: Some("Carol".into()) }]),
            ..Policy::default()
        };
        let back: Policy = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
        assert_eq!(back, p);
        let minimal: Policy = serde_json::from_str(r#"{"access":"full"}"#).unwrap();
        assert_eq!(minimal, Policy::legacy());
        assert!(serde_json::from_str::<Policy>(r#"{"access":"root"}"#).is_err());
    }
}
