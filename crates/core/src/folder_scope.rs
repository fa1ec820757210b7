//! Chat folders in token scopes: which chats a policy's allowed and denied folders hold, decided from the account's folders and dialog list (narrow for allow, wide for deny).
//!
//! A folder (a Telegram dialog filter) holds its pinned and included chats, plus the dialogs its
//! flags take (contacts, non-contacts, groups, channels, bots) unless they are muted, read or
//! archived and the folder excludes those; its excluded chats never. This module applies that
//! rule in two ways, so that a doubt never widens what a token may reach:
//!
//! - **Allowed folders are read narrowly**: every flag is honoured, with the dialog's state when
//!   the folders were read (so a folder that excludes read chats allows a chat only while it has
//!   something unread); a chat Telegram's dialog list does not show is in the folder only when it
//!   is pinned or included by name.
//! - **Denied folders are read widely**: `exclude_muted`, `exclude_read` and `exclude_archived`
//!   are not applied (those states change all day; a chat the user meant to deny must not slip
//!   out when it is read), and a chat the dialog list does not show is refused when the folder's
//!   flags could take a chat of its kind (a user for contacts, non-contacts or bots; a basic
//!   group for groups; a channel for groups or channels), since its membership cannot be decided.
//! - A denied folder that cannot be found refuses every chat; an allowed one that cannot be found
//!   (or whose title names two folders) allows nothing.

use crate::policy::{FolderRule, Policy, Refusal};
use std::collections::HashSet;

/// A folder's flag rules, as `dialogFilter` carries them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FolderFlags {
    /// Takes your contacts.
    pub contacts: bool,
    /// Takes users who are not your contacts.
    pub non_contacts: bool,
    /// Takes groups (basic groups and supergroups).
    pub groups: bool,
    /// Takes broadcast channels.
    pub broadcasts: bool,
    /// Takes bots.
    pub bots: bool,
    /// Leaves out muted chats (of those the flags take).
    pub exclude_muted: bool,
    /// Leaves out chats with nothing unread.
    pub exclude_read: bool,
    /// Leaves out archived chats.
    pub exclude_archived: bool,
}

impl FolderFlags {
    /// Whether any flag takes chats by kind.
    pub fn takes_kinds(&self) -> bool {
        self.contacts || self.non_contacts || self.groups || self.broadcasts || self.bots
    }
}

/// One of the account's folders.
#[derive(Debug, Clone, Default)]
pub struct FolderDef {
    /// Its id.
    pub id: i32,
    /// Its title.
    pub title: String,
    /// Chats it always holds (Bot API ids).
    pub include: HashSet<i64>,
    /// Chats pinned in it (also held).
    pub pinned: HashSet<i64>,
    /// Chats it never holds.
    pub exclude: HashSet<i64>,
    /// Its flag rules.
    pub flags: FolderFlags,
}

/// What kind of chat a dialog is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatKind {
    /// A user (not you, not a bot).
    User,
    /// Your own Saved Messages.
    SelfUser,
    /// A bot.
    Bot,
    /// A basic group or a supergroup.
    Group,
    /// A broadcast channel.
    Channel,
}

/// What the dialog list says about one chat.
#[derive(Debug, Clone)]
pub struct ChatFacts {
    /// Bot API id.
    pub id: i64,
    /// Its kind.
    pub kind: ChatKind,
    /// A user in your contacts.
    pub contact: bool,
    /// Muted now.
    pub muted: bool,
    /// Has unread messages or is marked unread.
    pub unread: bool,
    /// Has unread mentions.
    pub mentions: bool,
    /// In the archive.
    pub archived: bool,
}

impl FolderDef {
    /// Telegram's own rule: whether this folder shows the dialog `c`.
    pub fn contains(&self, c: &ChatFacts) -> bool {
        if self.exclude.contains(&c.id) {
            return false;
        }
        if self.include.contains(&c.id) || self.pinned.contains(&c.id) {
            return true;
        }
        let f = &self.flags;
        // A muted chat with unread mentions stays in the main list's folders (as in Telegram's apps).
        let mentioned_in_main_list = c.mentions && !c.archived;
        let muted_out = f.exclude_muted && c.muted && !mentioned_in_main_list;
        let read_out = f.exclude_read && !c.unread && !c.mentions;
        let archived_out = f.exclude_archived && c.archived;
        let left_out = muted_out || read_out || archived_out;
        self.takes_kind(c, false) && !left_out
    }

    /// Whether the flags take a chat of this kind; `wide` counts your Saved Messages as a
    /// non-contact (Telegram's apps differ on it).
    fn takes_kind(&self, c: &ChatFacts, wide: bool) -> bool {
        let f = &self.flags;
        match c.kind {
            ChatKind::User => {
                if c.contact {
                    f.contacts
                } else {
                    f.non_contacts
                }
            }
            ChatKind::SelfUser => wide && (f.contacts || f.non_contacts),
            ChatKind::Bot => f.bots,
            ChatKind::Group => f.groups,
            ChatKind::Channel => f.groups || f.broadcasts,
        }
    }

    /// Whether the flags could take a chat known only by its id (not in the dialog list).
    fn could_take_unlisted(&self, id: i64) -> bool {
        let f = &self.flags;
        if self.exclude.contains(&id) {
            return false;
        }
        if id > 0 {
            f.contacts || f.non_contacts || f.bots
        } else if id <= -1_000_000_000_000 {
            f.groups || f.broadcasts
        } else {
            f.groups
        }
    }
}

/// A folder title as rules and tools compare it: spaces and case ignored.
fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The folders `name` names: the one with that id when it is a number, else those with that
/// title (spaces and case ignored; two folders may share one).
pub fn by_name<'a>(defs: &'a [FolderDef], name: &str) -> Vec<&'a FolderDef> {
    match name.trim().parse::<i32>() {
        Ok(id) => defs.iter().filter(|d| d.id == id).collect(),
        Err(_) => defs.iter().filter(|d| norm(&d.title) == norm(name)).collect(),
    }
}

/// The folders a rule names: by id, or by title (spaces and case ignored) when it has none.
fn named<'a>(rule: &FolderRule, defs: &'a [FolderDef]) -> Vec<&'a FolderDef> {
    match (rule.id, &rule.title) {
        (Some(id), _) => defs.iter().filter(|d| d.id == id).collect(),
        (None, Some(t)) => defs.iter().filter(|d| norm(&d.title) == norm(t)).collect(),
        (None, None) => Vec::new(),
    }
}

/// Whether resolving `policy`'s folders needs the dialog list (some folder it names takes chats by kind).
pub fn needs_dialogs(policy: &Policy, defs: &[FolderDef]) -> bool {
    policy
        .allow_folders
        .iter()
        .chain(policy.deny_folders.iter())
        .flat_map(|r| named(r, defs))
        .any(|d| d.flags.takes_kinds())
}

/// A denied folder as resolved.
#[derive(Debug)]
struct DeniedFolder {
    name: String,
    /// Chats it holds, read widely.
    members: HashSet<i64>,
    def: FolderDef,
}

/// A policy's folders resolved against the account's folders and dialogs, for one call.
#[derive(Debug, Default)]
pub struct FolderScope {
    allowed: HashSet<i64>,
    denied: Vec<DeniedFolder>,
    /// Chats the dialog list showed (their membership is decided).
    listed: HashSet<i64>,
    /// A denied folder that was not found.
    missing: Option<String>,
}

impl FolderScope {
    /// Resolves `policy`'s folders. `dialogs`: the dialog list, when it was read (see [`needs_dialogs`]).
    pub fn resolve(policy: &Policy, defs: &[FolderDef], dialogs: Option<&[ChatFacts]>) -> FolderScope {
        let dialogs = dialogs.unwrap_or_default();
        let mut scope = FolderScope { listed: dialogs.iter().map(|c| c.id).collect(), ..FolderScope::default() };
        for rule in &policy.allow_folders {
            let found = named(rule, defs);
            let [def] = found.as_slice() else {
                tracing::warn!(
                    "allowed folder {} matches {} folders; it allows no chat until the token names it by id",
                    rule.name(),
                    found.len()
                );
                continue;
            };
            let fixed = def.include.iter().chain(def.pinned.iter()).filter(|id| !def.exclude.contains(id));
            scope.allowed.extend(fixed);
            scope.allowed.extend(dialogs.iter().filter(|c| def.contains(c)).map(|c| c.id));
        }
        for rule in &policy.deny_folders {
            let found = named(rule, defs);
            if found.is_empty() && scope.missing.is_none() {
                scope.missing = Some(rule.name());
            }
            for def in found {
                let by_kind = dialogs.iter().filter(|c| def.takes_kind(c, true)).map(|c| c.id);
                let members = def
                    .include
                    .iter()
                    .chain(def.pinned.iter())
                    .copied()
                    .chain(by_kind)
                    .filter(|id| !def.exclude.contains(id))
                    .collect();
                scope.denied.push(DeniedFolder { name: rule.name(), members, def: def.clone() });
            }
        }
        scope
    }

    /// Whether an allowed folder holds chat `id`.
    pub fn allows(&self, id: i64) -> bool {
        self.allowed.contains(&id)
    }

    /// Refuses chat `id` when a denied folder holds it or might.
    pub fn check_denied(&self, id: i64) -> Result<(), Refusal> {
        if let Some(name) = &self.missing {
            return Err(Refusal::DenyFolderMissing(name.clone()));
        }
        for d in &self.denied {
            if d.members.contains(&id) {
                return Err(Refusal::DeniedFolder { id, folder: d.name.clone() });
            }
            if !self.listed.contains(&id) && d.def.could_take_unlisted(id) {
                return Err(Refusal::UndecidedFolder { id, folder: d.name.clone() });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAROL: i64 = 100_003;
    const ERIN: i64 = 100_005;
    const STRANGER: i64 = 100_099;
    const BOT: i64 = 100_006;
    const FAMILY: i64 = -200_008;
    const FORUM: i64 = -1_000_000_300_010;
    const NEWS: i64 = -1_000_000_300_011;

    fn facts(id: i64, kind: ChatKind) -> ChatFacts {
        ChatFacts { id, kind, contact: false, muted: false, unread: false, mentions: false, archived: false }
    }

    fn dialogs() -> Vec<ChatFacts> {
        vec![
            ChatFacts { contact: true, unread: true, ..facts(CAROL, ChatKind::User) },
            ChatFacts { contact: true, ..facts(ERIN, ChatKind::User) },
            ChatFacts { archived: true, ..facts(BOT, ChatKind::Bot) },
            ChatFacts { muted: true, ..facts(FAMILY, ChatKind::Group) },
            facts(FORUM, ChatKind::Group),
            facts(NEWS, ChatKind::Channel),
        ]
    }

    fn defs() -> Vec<FolderDef> {
        vec![
            FolderDef {
                id: 2,
                title: "Work".into(),
                include: [NEWS].into(),
                flags: FolderFlags { groups: true, exclude_muted: true, ..FolderFlags::default() },
                ..FolderDef::default()
            },
            FolderDef {
                id: 3,
                title: "Unread people".into(),
                exclude: [ERIN].into(),
                flags: FolderFlags { contacts: true, non_contacts: true, exclude_read: true, ..FolderFlags::default() },
                ..FolderDef::default()
            },
            FolderDef {
                id: 4,
                title: "Bots".into(),
                flags: FolderFlags { bots: true, ..FolderFlags::default() },
                ..FolderDef::default()
            },
            FolderDef { id: 5, title: "Pinned only".into(), pinned: [CAROL].into(), ..FolderDef::default() },
        ]
    }

    fn folder(s: &str) -> FolderRule {
        FolderRule::parse(s)
    }

    fn policy(allow: &[&str], deny: &[&str]) -> Policy {
        Policy {
            allow_folders: allow.iter().map(|s| folder(s)).collect(),
            deny_folders: deny.iter().map(|s| folder(s)).collect(),
            ..Policy::default()
        }
    }

    fn resolve(p: &Policy) -> FolderScope {
        FolderScope::resolve(p, &defs(), Some(&dialogs()))
    }

    #[test]
    fn an_allowed_folder_honours_every_flag() {
        let p = policy(&["work"], &[]);
        let s = resolve(&p);
        for id in [FORUM, NEWS] {
            assert!(p.permits_in(id, Some(&s)), "{id}");
        }
        assert!(!p.permits_in(FAMILY, Some(&s)), "muted, and the folder excludes muted chats");
        assert!(!p.permits_in(CAROL, Some(&s)), "not a group");
        let unread = policy(&["3"], &[]);
        let s = resolve(&unread);
        assert!(unread.permits_in(CAROL, Some(&s)), "a contact with unread messages");
        assert!(!unread.permits_in(ERIN, Some(&s)), "excluded by name (and read)");
        assert!(!unread.permits_in(STRANGER, Some(&s)), "not in the dialog list: undecided, so not allowed");
        assert!(!unread.permits(CAROL), "folders not resolved: nothing allowed");
    }

    #[test]
    fn a_denied_folder_is_read_widely_and_deny_beats_allow() {
        let p = Policy { allow_chats: Some(vec![]), ..policy(&["Work"], &["Unread people"]) };
        let s = resolve(&p);
        assert!(p.permits_in(FORUM, Some(&s)));
        // Erin is read and excluded by name: not in the folder. Carol is in it.
        assert!(matches!(p.check_chat_in(CAROL, Some(&s)), Err(Refusal::DeniedFolder { id: CAROL, .. })));
        // A user the dialog list does not show may be a contact or not: undecided, refused.
        let both = policy(&[], &["unread people"]);
        let s = resolve(&both);
        assert!(matches!(both.check_chat_in(STRANGER, Some(&s)), Err(Refusal::UndecidedFolder { .. })));
        assert!(both.permits_in(ERIN, Some(&s)), "excluded by name: decided, not in the folder");
        assert!(both.permits_in(FORUM, Some(&s)), "a group: the folder takes no groups");
        // exclude_read is not applied to a denied folder: a read contact is denied too.
        let read_contact = Policy { deny_folders: vec![folder("3")], ..Policy::default() };
        let defs_no_exclude: Vec<FolderDef> = defs()
            .into_iter()
            .map(|mut d| {
                d.exclude.clear();
                d
            })
            .collect();
        let s = FolderScope::resolve(&read_contact, &defs_no_exclude, Some(&dialogs()));
        assert!(!read_contact.permits_in(ERIN, Some(&s)), "read, yet denied");
        // A deny folder and an allow folder both holding a chat: deny wins.
        let overlap = policy(&["Work"], &["work"]);
        let s = resolve(&overlap);
        assert!(!overlap.permits_in(FORUM, Some(&s)));
    }

    #[test]
    fn folders_that_cannot_be_found_never_allow() {
        let p = policy(&["Holidays"], &[]);
        let s = resolve(&p);
        assert!(!p.permits_in(CAROL, Some(&s)) && !p.permits_in(FORUM, Some(&s)));
        let p = policy(&[], &["Holidays"]);
        let s = resolve(&p);
        assert_eq!(p.check_chat_in(ERIN, Some(&s)), Err(Refusal::DenyFolderMissing("\"Holidays\"".into())));
        assert!(matches!(p.check_chat(ERIN), Err(Refusal::DenyFolderMissing(_))), "unresolved: refused");
        // Two folders with one title: an allow rule naming it allows nothing; a deny rule denies both.
        let mut twice = defs();
        twice.push(FolderDef { id: 9, title: "Bots".into(), include: [CAROL].into(), ..FolderDef::default() });
        let p = policy(&["bots"], &[]);
        let s = FolderScope::resolve(&p, &twice, Some(&dialogs()));
        assert!(!p.permits_in(BOT, Some(&s)) && !p.permits_in(CAROL, Some(&s)));
        let p = policy(&[], &["bots"]);
        let s = FolderScope::resolve(&p, &twice, Some(&dialogs()));
        assert!(!p.permits_in(BOT, Some(&s)) && !p.permits_in(CAROL, Some(&s)) && p.permits_in(ERIN, Some(&s)));
    }

    #[test]
    fn pinned_and_included_chats_need_no_dialog_list() {
        let p = policy(&["Pinned only"], &[]);
        assert!(!needs_dialogs(&p, &defs()));
        let s = FolderScope::resolve(&p, &defs(), None);
        assert!(p.permits_in(CAROL, Some(&s)) && !p.permits_in(ERIN, Some(&s)));
        assert!(needs_dialogs(&policy(&[], &["Bots"]), &defs()));
        // Without the dialog list a denied kind-taking folder refuses every chat of its kinds.
        let p = policy(&[], &["Bots"]);
        let s = FolderScope::resolve(&p, &defs(), None);
        assert!(!p.permits_in(ERIN, Some(&s)) && p.permits_in(FORUM, Some(&s)));
    }
}
