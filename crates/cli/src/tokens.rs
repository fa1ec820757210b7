//! `token …` and `activity`: issue, list and limit tokens, and read what assistants did.

use crate::ctl::Ctl;
use clap::{Args, Subcommand};
use serde_json::json;
use tgmcp_core::activity::Entry;
use tgmcp_core::config::Config;
use tgmcp_core::control::{IssuedToken, TokenInfo};
use tgmcp_core::policy::{Access, Approval, ChatRule, FolderRule, Policy};

#[derive(Subcommand)]
pub enum TokenAction {
    /// Create a token (with a new session, or for an existing session) and print it once.
    New {
        /// A label to recognise it, e.g. the client using it.
        #[arg(long, default_value = "default client")]
        label: String,
        /// Reuse the session of this existing token id instead of creating a new one.
        #[arg(long)]
        same_session_as: Option<String>,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Change what a token may do (its clients follow with their next call).
    Edit {
        /// Token id (tok_…).
        id: String,
        #[command(flatten)]
        policy: PolicyArgs,
        /// Drop the chat and folder allowlist: every chat (but the denied and sensitive ones).
        #[arg(long, conflicts_with_all = ["allow_chat", "allow_folder"])]
        all_chats: bool,
        /// Empty the denylist (chats and folders).
        #[arg(long)]
        clear_deny: bool,
    },
    /// List tokens (ids, labels, sessions, what each may do; never the secrets).
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Issue a new secret for a token id; the old one stops working immediately.
    Rotate {
        /// Token id (tok_…).
        id: String,
    },
    /// Revoke a token.
    Revoke {
        /// Token id (tok_…).
        id: String,
        /// Also delete its Telegram session file if no other token uses it.
        #[arg(long)]
        delete_session: bool,
    },
    /// Print a token's secret from the OS keyring.
    Show {
        /// Token id (tok_…).
        id: String,
    },
}

/// What a token may do, as flags.
#[derive(Args)]
pub struct PolicyArgs {
    /// read (search and read), write (also send, edit, forward, delete, react, pin, mark read; the default for new tokens) or full
    /// (also the raw Telegram API).
    #[arg(long, value_parser = parse_access)]
    access: Option<Access>,
    /// Only this chat (Bot API id, e.g. 100003 or -1001234567890); repeat for more.
    #[arg(long = "allow-chat", value_name = "CHAT_ID", allow_negative_numbers = true)]
    allow_chat: Vec<i64>,
    /// Never this chat; repeat for more.
    #[arg(long = "deny-chat", value_name = "CHAT_ID", allow_negative_numbers = true)]
    deny_chat: Vec<i64>,
    /// Also the chats of this Telegram chat folder (its title, or its id); repeat for more.
    /// Replaces the folder allowlist, and makes the token's scope an allowlist.
    #[arg(long = "allow-folder", value_name = "FOLDER")]
    allow_folder: Vec<String>,
    /// Never the chats of this folder (title or id); repeat for more.
    #[arg(long = "deny-folder", value_name = "FOLDER")]
    deny_folder: Vec<String>,
    /// Let this token reach the sensitive chats (Telegram's login-code chat 777000, @BotFather,
    /// @SpamBot): true or false. Blocked by default.
    #[arg(long, value_name = "BOOL")]
    allow_sensitive: Option<bool>,
    /// Which writes wait for your yes in the app: none, new-chats or every-write.
    #[arg(long, value_parser = parse_approval)]
    approval: Option<Approval>,
    /// At most this many messages sent or edited per minute (default 20).
    #[arg(long, value_name = "N")]
    per_minute: Option<u32>,
    /// At most this many chats written to for the first time per day (default 20).
    #[arg(long, value_name = "N")]
    new_chats_per_day: Option<u32>,
}

impl PolicyArgs {
    fn given(&self) -> bool {
        self.access.is_some()
            || !self.allow_chat.is_empty()
            || !self.deny_chat.is_empty()
            || !self.allow_folder.is_empty()
            || !self.deny_folder.is_empty()
            || self.allow_sensitive.is_some()
            || self.approval.is_some()
            || self.per_minute.is_some()
            || self.new_chats_per_day.is_some()
    }

    /// `base` with these flags applied.
    fn apply(&self, mut base: Policy) -> Policy {
        let rules = |ids: &[i64]| ids.iter().map(|&id| ChatRule { id, title: None }).collect::<Vec<_>>();
        if let Some(a) = self.access {
            base.access = a;
        }
        if !self.allow_chat.is_empty() {
            base.allow_chats = Some(rules(&self.allow_chat));
        }
        for r in rules(&self.deny_chat) {
            if !base.deny_chats.contains(&r) {
                base.deny_chats.push(r);
            }
        }
        if !self.allow_folder.is_empty() {
            base.allow_folders = self.allow_folder.iter().map(|f| FolderRule::parse(f)).collect();
        }
        for f in self.deny_folder.iter().map(|f| FolderRule::parse(f)) {
            if !base.deny_folders.contains(&f) {
                base.deny_folders.push(f);
            }
        }
        if let Some(s) = self.allow_sensitive {
            base.allow_sensitive = s;
        }
        if let Some(a) = self.approval {
            base.approval = a;
        }
        if let Some(n) = self.per_minute {
            base.limits.per_minute = n;
        }
        if let Some(n) = self.new_chats_per_day {
            base.limits.new_chats_per_day = n;
        }
        base
    }
}

fn parse_approval(s: &str) -> Result<Approval, String> {
    Approval::parse(s).ok_or_else(|| format!("{s:?}: use none, new-chats or every-write"))
}

fn parse_access(s: &str) -> Result<Access, String> {
    Access::parse(s).ok_or_else(|| format!("{s:?}: use read, write or full"))
}

/// Options of `activity`.
#[derive(Args)]
pub struct ActivityArgs {
    /// Only calls with this token id.
    #[arg(long)]
    token_id: Option<String>,
    /// Only this tool.
    #[arg(long)]
    tool: Option<String>,
    /// Only calls that touched this chat (Bot API id).
    #[arg(long, allow_negative_numbers = true)]
    chat: Option<i64>,
    /// At most this many entries (default 50).
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn token_command(action: TokenAction, config: &Config) -> anyhow::Result<()> {
    let mut ctl = Ctl::open(config).await?;
    match action {
        TokenAction::New { label, same_session_as, policy } => {
            let p = policy.given().then(|| policy.apply(Policy::default()));
            let issued = ctl
                .call("token_create", json!({ "label": label, "same_session_as": same_session_as, "policy": p }))
                .await?;
            let issued: IssuedToken = serde_json::from_value(issued)?;
            print_issued(&issued);
            eprintln!("may do: {}", issued.record.policy.summary());
        }
        TokenAction::Edit { id, policy, all_chats, clear_deny } => {
            let current: TokenInfo = serde_json::from_value(
                ctl.call("tokens_list", json!({}))
                    .await?
                    .as_array()
                    .and_then(|l| l.iter().find(|t| t["id"] == id.as_str()).cloned())
                    .ok_or_else(|| anyhow::anyhow!("no token with id {id:?}"))?,
            )?;
            let mut base = current.policy;
            if all_chats {
                base.allow_chats = None;
                base.allow_folders.clear();
            }
            if clear_deny {
                base.deny_chats.clear();
                base.deny_folders.clear();
            }
            let new = policy.apply(base);
            let out: TokenInfo =
                serde_json::from_value(ctl.call("token_set_policy", json!({ "id": id, "policy": new })).await?)?;
            println!("{}: {}", out.id, out.policy.summary());
        }
        TokenAction::List { json } => {
            let list: Vec<TokenInfo> = serde_json::from_value(ctl.call("tokens_list", json!({})).await?)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!("no tokens yet; create one with `fast-mcp-telegram login` or `token new --label NAME`");
            } else {
                println!("{:<18} {:<24} {:<16} {:<28} MAY DO", "ID", "LABEL", "SESSION", "ACCOUNT");
                for r in list {
                    println!(
                        "{:<18} {:<24} {:<16} {:<28} {}",
                        r.id,
                        r.label,
                        r.session_id,
                        r.account.as_deref().unwrap_or("(not logged in)"),
                        r.policy.summary()
                    );
                }
            }
        }
        TokenAction::Rotate { id } => {
            print_issued(&serde_json::from_value(ctl.call("token_rotate", json!({ "id": id })).await?)?)
        }
        TokenAction::Revoke { id, delete_session } => {
            let out = ctl.call("token_revoke", json!({ "id": id, "delete_session": delete_session })).await?;
            println!("revoked {}", out["revoked"].as_str().unwrap_or_default());
            if out["session_deleted"] == true {
                println!("deleted session {}", out["session_id"].as_str().unwrap_or_default());
            }
            if let Some(w) = out["warning"].as_str() {
                eprintln!("warning: {w}");
            }
        }
        TokenAction::Show { id } => {
            let out = ctl.call("token_reveal", json!({ "id": id })).await?;
            println!("{}", out["token"].as_str().unwrap_or_default());
        }
    }
    ctl.close().await;
    Ok(())
}

pub async fn activity_command(a: ActivityArgs, config: &Config) -> anyhow::Result<()> {
    let mut ctl = Ctl::open(config).await?;
    let filter = json!({ "token_id": a.token_id, "tool": a.tool, "chat": a.chat, "limit": a.limit });
    let entries: Vec<Entry> = serde_json::from_value(ctl.call("activity_list", filter).await?)?;
    ctl.close().await;
    if a.json {
        for e in entries {
            println!("{}", serde_json::to_string(&e)?);
        }
        return Ok(());
    }
    if entries.is_empty() {
        println!("no activity recorded");
        return Ok(());
    }
    println!("{:<24} {:<18} {:<36} {:<8} {:>7} CHATS", "TIME (UTC)", "TOKEN", "TOOL", "OUTCOME", "MS");
    for e in entries {
        let time = jiff::Timestamp::from_millisecond(e.ts_ms).map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string());
        let chats: Vec<String> = e.chats.iter().map(i64::to_string).collect();
        println!(
            "{:<24} {:<18} {:<36} {:<8} {:>7} {}",
            time.unwrap_or_default(),
            e.token_id.as_deref().unwrap_or("(none)"),
            e.tool,
            e.error_kind.as_deref().unwrap_or(&e.outcome),
            e.duration_ms,
            chats.join(",")
        );
    }
    Ok(())
}

pub fn print_issued(issued: &IssuedToken) {
    println!("{}", issued.token);
    eprintln!("token id: {}  label: {}  session: {}", issued.record.id, issued.record.label, issued.record.session_id);
    if issued.stored_in_keyring {
        eprintln!(
            "Stored in your OS keyring (show it again with `fast-mcp-telegram token show {}`).",
            issued.record.id
        );
    } else {
        eprintln!("No OS keyring available: this is the only time the token is shown. Treat it like a password.");
    }
}
