//! The MCP tools. Each submodule turns grammers results into the uniform
//! JSON schema of [`format`]; failures become [`ToolError`]s that the model
//! sees as MCP tool errors (`isError: true`) with a structured body.

pub mod actions;
pub mod args;
pub mod call;
pub mod chat_ref;
pub mod chats;
pub mod drafts;
mod error;
pub mod files;
pub mod folders;
pub mod format;
pub mod inbox;
pub mod media;
pub mod mtproto;
pub mod pager;
pub mod params;
pub mod read;
pub mod resources;
pub mod results;
pub mod scheduled;
pub mod search;
pub mod voice;
pub mod wait;
pub mod write;

pub use error::{
    ACTION_LOGIN, ACTION_NEEDS_PREMIUM, ACTION_RECONFIGURE_CLIENT, ACTION_RETRY, ACTION_RETRY_LATER, ToolError,
};

use crate::app::{App, Identity};
use crate::policy::{ACTION_WIDEN_POLICY, Access, Policy, Refusal};
use crate::sessions::Lease;
use crate::telegram::TgClient;
use grammers_session::types::PeerRef;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// The access level each tool needs (a tool not listed needs [`Access::Full`]).
pub const TOOL_ACCESS: &[(&str, Access)] = &[
    ("search_messages_globally", Access::Read),
    ("get_messages", Access::Read),
    ("find_chats", Access::Read),
    ("get_chat_info", Access::Read),
    ("get_inbox", Access::Read),
    ("list_scheduled", Access::Read),
    ("get_drafts", Access::Read),
    ("wait_for_messages", Access::Read),
    ("transcribe_voice", Access::Read),
    ("send_message", Access::Write),
    ("edit_message", Access::Write),
    ("send_message_to_phone", Access::Write),
    ("mark_read", Access::Write),
    ("delete_messages", Access::Write),
    ("forward_messages", Access::Write),
    ("send_reaction", Access::Write),
    ("pin_message", Access::Write),
    ("unpin_message", Access::Write),
    ("delete_scheduled", Access::Write),
    ("save_draft", Access::Write),
    ("invoke_mtproto", Access::Full),
    // MCP resources (chats) run through the same call path as the tools.
    ("resources/list", Access::Read),
    ("resources/read", Access::Read),
    ("resources/subscribe", Access::Read),
];

/// The access level `tool` needs.
pub fn tool_access(tool: &str) -> Access {
    TOOL_ACCESS.iter().find(|(t, _)| *t == tool).map_or(Access::Full, |(_, a)| *a)
}

/// Whether `policy` lets a token use `tool` at all (see [`ToolScope::allows`]).
pub fn tool_allowed(policy: &Policy, tool: &str) -> Result<(), Refusal> {
    ToolScope::of(policy).allows(tool)
}

/// The part of a token's policy that decides which tools it may use at all: its access level and
/// whether it has an allowlist of chats. Tokens with the same scope list the same tools, so
/// `tools/list` is answered from one cached list per scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ToolScope {
    access: Access,
    allowlist: bool,
}

impl ToolScope {
    /// The tool scope of `policy`.
    pub fn of(policy: &Policy) -> ToolScope {
        ToolScope { access: policy.access, allowlist: policy.has_allowlist() }
    }

    /// Whether a token of this scope may use `tool`: its access level, and not messaging phone
    /// numbers (chats an allowlist cannot name in advance) with an allowlist. (Raw calls of a
    /// token with a chat list are checked call by call, in `mtproto::invoke`.)
    pub fn allows(self, tool: &str) -> Result<(), Refusal> {
        self.access.require(tool_access(tool), tool)?;
        if tool == "send_message_to_phone" && self.allowlist {
            return Err(Refusal::OutsideAllowlist(tool.into()));
        }
        Ok(())
    }
}

/// What a tool call runs with: the app, the caller's identity and its token's policy.
pub struct ToolCtx {
    /// Shared state.
    pub app: Arc<App>,
    /// The session this call acts for.
    pub identity: Identity,
    /// The MCP client, when the call came over MCP (asked for its roots before local files are read).
    pub peer: Option<rmcp::Peer<rmcp::RoleServer>>,
    /// What the caller's token may do, read when the call started.
    pub policy: Arc<Policy>,
    /// The policy's folders, resolved when the call started ([`ToolCtx::resolve_folders`]).
    folders: Option<Arc<crate::folder_scope::FolderScope>>,
    /// Chats and messages the call touched (for the activity log).
    touched: Arc<Mutex<Touched>>,
}

/// A token's chat scope with its folders resolved ([`ToolCtx::scope`]).
#[derive(Clone)]
pub struct Scope {
    policy: Arc<Policy>,
    folders: Option<Arc<crate::folder_scope::FolderScope>>,
}

impl Scope {
    /// Whether results from chat `id` may be shown.
    pub fn permits(&self, id: i64) -> bool {
        self.policy.permits_in(id, self.folders.as_deref())
    }
}

/// Chats and messages a call touched.
#[derive(Debug, Default, Clone)]
pub struct Touched {
    /// Bot API ids of the chats named or resolved.
    pub chats: BTreeSet<i64>,
    /// Ids of messages sent or edited.
    pub messages: Vec<i32>,
    /// The raw method a raw call ran.
    pub method: Option<String>,
    /// The text sent or written (kept only when the user turned `ACTIVITY_LOG_TEXT` on).
    pub text: Option<String>,
}

impl ToolCtx {
    /// A call context for `identity`, with the current policy of its token (a revoked token is refused).
    pub fn new(
        app: Arc<App>,
        identity: Identity,
        peer: Option<rmcp::Peer<rmcp::RoleServer>>,
    ) -> Result<ToolCtx, ToolError> {
        let policy = policy_for(&app, &identity)?;
        Ok(ToolCtx { app, identity, peer, policy: Arc::new(policy), folders: None, touched: Arc::default() })
    }

    /// Reads the chat folders the token's policy names (cached briefly per session), so every
    /// check of this call sees them. Without it, folder rules allow nothing and a folder
    /// denylist refuses every chat.
    pub async fn resolve_folders(&mut self) -> Result<(), ToolError> {
        if !self.policy.names_folders() {
            return Ok(());
        }
        let client = self.client().await?;
        let scope = self.app.folders.scope(&client, &self.identity.session_id, &self.policy).await?;
        self.folders = Some(Arc::new(scope));
        Ok(())
    }

    /// Refuses a chat (by Bot API id) outside the token's scope, folders included.
    pub fn check_chat(&self, id: i64) -> Result<(), ToolError> {
        self.policy.check_chat_in(id, self.folders.as_deref()).map_err(refused)
    }

    /// Refuses a chat the model named by numeric id before it is resolved (names pass; they are
    /// checked once resolved).
    pub fn precheck_spec(&self, spec: &str) -> Result<(), ToolError> {
        self.policy.precheck_spec_in(spec, self.folders.as_deref()).map_err(refused)
    }

    /// Who this call counts as for write limits and idempotency keys: its token, or its session
    /// when it has none.
    pub fn caller_key(&self) -> String {
        self.identity.token_id.clone().unwrap_or_else(|| format!("session:{}", self.identity.session_id))
    }

    /// The connected Telegram client of this call's session.
    pub async fn client(&self) -> Result<Lease, ToolError> {
        Ok(self.app.sessions.client(&self.identity.session_id).await?)
    }

    /// Refuses the call unless the token has `need` for `what`.
    pub fn require(&self, need: Access, what: &str) -> Result<(), ToolError> {
        self.policy.require(need, what).map_err(refused)
    }

    /// Resolves a chat the model named, refusing it if it is outside the token's scope (a numeric
    /// id before any Telegram call, a name once resolved).
    pub async fn chat(&self, client: &TgClient, spec: &str) -> Result<PeerRef, ToolError> {
        self.precheck_spec(spec)?;
        let peer = client.resolve(spec).await?;
        self.check_peer(&peer)?;
        Ok(peer)
    }

    /// Refuses a resolved peer outside the token's scope; records it as touched.
    pub fn check_peer(&self, peer: &PeerRef) -> Result<(), ToolError> {
        let id = peer.id.bot_api_dialog_id_unchecked();
        self.check_chat(id)?;
        self.lock_touched().chats.insert(id);
        Ok(())
    }

    /// Clears a write to `chat` (the caller has resolved and scope-checked it): waits for the
    /// user's yes when the token's policy asks for one, then takes the write from the token's
    /// limits. Nothing may be sent unless this returns `Ok`.
    pub async fn authorize_write(
        &self,
        chat: &PeerRef,
        tool: &str,
        chat_name: &str,
        text: &str,
    ) -> Result<(), ToolError> {
        self.authorize_write_to(chat.id.bot_api_dialog_id_unchecked(), tool, chat_name, text).await
    }

    /// [`ToolCtx::authorize_write`] by Bot API chat id; `0` is a write to the account itself (a
    /// raw call naming no chat): approved like a write to a new chat, never remembered as an
    /// approved chat, and not paced.
    pub async fn authorize_write_to(
        &self,
        chat_id: i64,
        tool: &str,
        chat_name: &str,
        text: &str,
    ) -> Result<(), ToolError> {
        let token = self.caller_key();
        if self.policy.needs_approval(chat_id, self.app.pacing.wrote_to(&token, chat_id)) {
            let label = self.identity.token_id.as_ref().and_then(|id| self.app.tokens.get(id).ok()).map(|r| r.label);
            let view = crate::approvals::PendingWrite {
                id: String::new(),
                token_id: token.clone(),
                token_label: label.unwrap_or_default(),
                tool: tool.to_string(),
                chat_id,
                chat_title: chat_name.chars().take(128).collect(),
                preview: text.chars().take(280).collect(),
                asked_at: 0,
                expires_at: 0,
            };
            let prompt = format!(
                "{} wants to {} to {}:\n\n{}",
                if view.token_label.trim().is_empty() { "Your assistant" } else { &view.token_label },
                tool.replace('_', " "),
                view.chat_title,
                view.preview
            );
            match self.app.approvals.ask_also(view, self.elicit_approval(prompt)).await {
                crate::approvals::Decision::Approved { always } => {
                    if always
                        && chat_id != 0
                        && let Some(id) = &self.identity.token_id
                    {
                        self.remember_approved_chat(id, chat_id, chat_name);
                    }
                }
                crate::approvals::Decision::Denied => {
                    return Err(ToolError::forbidden(
                        "the user declined this write; do not retry it unless they ask you to",
                        ACTION_USER_DECLINED,
                    ));
                }
                crate::approvals::Decision::TimedOut => {
                    return Err(ToolError::forbidden(
                        format!(
                            "nobody approved this write within {} s; ask the user to watch for the approval request in the app, then retry",
                            self.app.config.approval_timeout.as_secs()
                        ),
                        ACTION_ASK_APPROVAL,
                    ));
                }
            }
        }
        if chat_id == 0 {
            return Ok(());
        }
        self.app
            .pacing
            .take(&token, &self.identity.session_id, chat_id, &self.policy.limits)
            .map_err(|p| ToolError::RateLimited { message: p.message, retry_after: p.retry_after })
    }

    /// Asks the MCP client's user (when the client can show forms) whether to send; `None` when
    /// it cannot ask or gave no answer, so the app's approval decides.
    async fn elicit_approval(&self, prompt: String) -> Option<crate::approvals::Decision> {
        use crate::approvals::Decision;
        let peer = self.peer.as_ref()?;
        if !peer.supported_elicitation_modes().contains(&rmcp::service::ElicitationMode::Form) {
            return None;
        }
        match peer.elicit::<ApprovalAnswer>(prompt).await {
            Ok(Some(a)) if a.send => Some(Decision::Approved { always: a.always_for_this_chat.unwrap_or(false) }),
            Ok(Some(_)) => Some(Decision::Denied),
            Err(rmcp::service::ElicitationError::UserDeclined)
            | Err(rmcp::service::ElicitationError::UserCancelled) => Some(Decision::Denied),
            Ok(None) | Err(_) => None,
        }
    }

    /// "Always allow for this chat": the chat joins the token's approved chats.
    fn remember_approved_chat(&self, token_id: &str, chat_id: i64, name: &str) {
        let updated = self.app.tokens.get(token_id).and_then(|r| {
            let mut p = r.policy;
            if !p.approved_chats.iter().any(|c| c.id == chat_id) {
                p.approved_chats
                    .push(crate::policy::ChatRule { id: chat_id, title: Some(name.chars().take(128).collect()) });
            }
            self.app.tokens.set_policy(token_id, p)
        });
        if let Err(e) = updated {
            tracing::warn!("could not remember the approved chat: {e}");
        }
    }

    /// Whether results from chat `id` may be shown.
    pub fn permits(&self, id: i64) -> bool {
        self.policy.permits_in(id, self.folders.as_deref())
    }

    /// The token's scope as an owned value, for filtering results in tasks the call spawns.
    pub fn scope(&self) -> Scope {
        Scope { policy: self.policy.clone(), folders: self.folders.clone() }
    }

    /// Records a chat whose messages the call returned (for the activity log).
    pub fn note_chat(&self, id: i64) {
        self.lock_touched().chats.insert(id);
    }

    /// Records messages this call sent or edited.
    pub fn note_messages(&self, ids: impl IntoIterator<Item = i32>) {
        self.lock_touched().messages.extend(ids);
    }

    /// Records the raw method a raw call runs.
    pub fn note_method(&self, method: &str) {
        self.lock_touched().method = Some(method.to_string());
    }

    /// Records the text a call sends or writes, if the user wants text in the activity log.
    pub fn note_text(&self, text: &str) {
        if self.app.settings().activity_log_text {
            self.lock_touched().text = Some(text.chars().take(4096).collect());
        }
    }

    /// A handle on what the call touches, readable after the call consumed the context.
    pub fn touched(&self) -> Arc<Mutex<Touched>> {
        self.touched.clone()
    }

    fn lock_touched(&self) -> std::sync::MutexGuard<'_, Touched> {
        self.touched.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The form an MCP client shows its user for a write that needs approval.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct ApprovalAnswer {
    /// Send this message?
    pub send: bool,
    /// Also send later messages to this chat without asking.
    pub always_for_this_chat: Option<bool>,
}
rmcp::elicit_safe!(ApprovalAnswer);

/// `action` of a write the user declined.
pub const ACTION_USER_DECLINED: &str = "user_declined";
/// `action` of a write nobody approved in time.
pub const ACTION_ASK_APPROVAL: &str = "ask_user_to_approve";

/// The current policy of `identity`'s token (a revoked token is refused); requests without a
/// token get [`Policy::unauthenticated`].
pub fn policy_for(app: &App, identity: &Identity) -> Result<Policy, ToolError> {
    match &identity.token_id {
        Some(id) => app
            .tokens
            .get(id)
            .map(|r| r.policy)
            .map_err(|_| ToolError::forbidden(format!("token {id} was revoked"), ACTION_RECONFIGURE_CLIENT)),
        None => Ok(Policy::unauthenticated()),
    }
}

/// A policy refusal as the tool error the model sees.
pub fn refused(r: Refusal) -> ToolError {
    ToolError::forbidden(r.to_string(), ACTION_WIDEN_POLICY)
}

/// A successful tool result: JSON plus optional extra MCP content (e.g. media).
pub struct ToolOutput {
    /// The structured result.
    pub json: Value,
    /// Extra content blocks (images, audio, resources).
    pub extra: Vec<ContentBlock>,
}

impl ToolOutput {
    /// A plain JSON result.
    pub fn json(json: Value) -> Self {
        ToolOutput { json, extra: Vec::new() }
    }

    /// Converts to an MCP result with structured content.
    pub fn into_result(self) -> CallToolResult {
        let mut r = CallToolResult::structured(self.json);
        r.content.extend(self.extra);
        r
    }
}
