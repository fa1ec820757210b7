//! The MCP server: tool registration, per-request identity and result shaping.

use crate::app::{App, Identity};
use crate::tokens::TokenDigest;
use crate::tools::params::*;
use crate::tools::results::*;
use crate::tools::{ToolCtx, ToolError};
use rmcp::handler::server::common::schema_for_output as output_schema;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Implementation, ServerCapabilities, ServerConfig};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, tool, tool_handler, tool_router};
use std::sync::Arc;

mod catalog;
mod live_tools;
mod resources;

/// The MCP handler. One instance per HTTP request (stateless) or per stdio connection; cheap to
/// build (the tools come from the process-wide tool catalogue, `catalog.rs`).
#[derive(Clone)]
pub struct TelegramMcp {
    app: Arc<App>,
    /// Identity for transports without per-request auth (stdio, dev mode).
    fixed: Option<Identity>,
    /// For long-lived connections: the token to re-check before every call.
    revalidate: Option<Revalidate>,
    /// The tool router, shared by every handler of the process (`catalog.rs`).
    tool_router: Arc<ToolRouter<Self>>,
    /// This connection's chat resource subscriptions (ended with the last clone of the handler).
    subscriptions: Arc<resources::Subscriptions>,
}

/// How a long-lived connection (a stdio client of the owner) re-checks the token it was
/// opened with: a revoked token is refused on the next call, and the connection is cut
/// when the token is revoked or rotated.
#[derive(Debug, Clone)]
pub struct Revalidate {
    /// The token's id.
    pub token_id: String,
    /// Its digest when the connection opened.
    pub digest: TokenDigest,
    /// Whether the client authenticated with the secret itself (then a rotation also refuses calls).
    pub secret_bound: bool,
}

impl Revalidate {
    /// Whether a call may still run.
    pub fn check_call(&self, app: &App) -> Result<(), String> {
        match app.tokens.get(&self.token_id) {
            Err(_) => Err(format!("token {} was revoked; this client can no longer use Telegram", self.token_id)),
            Ok(r) if self.secret_bound && !r.digest.ct_eq(&self.digest) => Err(format!(
                "token {} was rotated; update this client's configuration with the new token",
                self.token_id
            )),
            Ok(_) => Ok(()),
        }
    }

    /// Whether the connection may stay open (`Err` names why not).
    pub fn check_connection(&self, app: &App) -> Result<(), &'static str> {
        match app.tokens.get(&self.token_id) {
            Err(_) => Err("its token was revoked"),
            Ok(r) if !r.digest.ct_eq(&self.digest) => Err("its token was rotated"),
            Ok(_) => Ok(()),
        }
    }
}

impl TelegramMcp {
    /// Builds the tool catalogue (every schema) now, off the request path: an owner calls this
    /// at start so its first client's `tools/list` does not pay for it.
    pub fn prepare_catalog() {
        catalog::Catalog::get();
    }

    /// A handler acting as `fixed` when a request carries no identity of its own.
    pub fn new(app: Arc<App>, fixed: Option<Identity>) -> Self {
        TelegramMcp {
            app,
            fixed,
            revalidate: None,
            tool_router: catalog::Catalog::get().router(),
            subscriptions: Arc::default(),
        }
    }

    /// Re-checks `token` before every call.
    pub fn with_revalidation(mut self, token: Revalidate) -> Self {
        self.revalidate = Some(token);
        self
    }

    /// The identity of this request: the one the HTTP auth layer attached, else the fixed one.
    fn identity(&self, ctx: &RequestContext<RoleServer>) -> Option<Identity> {
        ctx.extensions
            .get::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<Identity>().cloned())
            .or_else(|| self.fixed.clone())
    }

    async fn run<F, Fut>(&self, tool: &'static str, ctx: RequestContext<RoleServer>, f: F) -> CallToolResult
    where
        F: FnOnce(ToolCtx) -> Fut,
        Fut: std::future::Future<Output = Result<crate::tools::ToolOutput, ToolError>>,
    {
        let Some(identity) = self.identity(&ctx) else {
            return ToolError::internal("request has no authenticated identity").into_result(tool);
        };
        if let Some(r) = &self.revalidate
            && let Err(why) = r.check_call(&self.app)
        {
            return ToolError::forbidden(why, crate::tools::ACTION_RECONFIGURE_CLIENT).into_result(tool);
        }
        match crate::tools::call::run(&self.app, identity, Some(ctx.peer.clone()), tool, f).await {
            Ok(out) => out.into_result(),
            Err(e) => e.into_result(tool),
        }
    }
}

#[tool_router]
impl TelegramMcp {
    /// Full-text search across all your chats.
    #[tool(
        output_schema = output_schema::<SearchResult>(),
        description = "Search messages across all your Telegram chats. Comma-separate several terms. Supports date, chat type and public filters; follow `next_cursor` for more.",
        annotations(
            title = "Search messages globally",
            read_only_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn search_messages_globally(
        &self,
        Parameters(p): Parameters<SearchGloballyParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("search_messages_globally", ctx, |c| crate::tools::search::search_globally(c, p)).await
    }

    /// Read one chat: latest, search, by ids, replies/comments, forum topics.
    #[tool(
        output_schema = output_schema::<MessagesResult>(),
        description = "Read messages in one chat: the latest (default), a search (`query`), exact `message_ids`, or a thread (`reply_to_id`: channel post comments, forum topic, replies). Filter by `from_user` and dates; follow `next_cursor` for older messages.",
        annotations(
            title = "Get messages in chat",
            read_only_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_messages(
        &self,
        Parameters(p): Parameters<GetMessagesParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("get_messages", ctx, |c| crate::tools::read::get_messages(c, p)).await
    }

    /// Send a message (with optional files) as the user.
    #[tool(
        output_schema = output_schema::<SentResult>(),
        description = "Send a message as you. Formatting: auto/markdown/html/plain. Reply with `reply_to_id` (forum topic id posts in the topic; a channel post id comments under it). Attach files by https URL (or local path in stdio mode). Long text is split. `schedule_date` schedules it instead of sending now.",
        annotations(
            title = "Send message",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn send_message(
        &self,
        Parameters(p): Parameters<SendMessageParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("send_message", ctx, |c| crate::tools::write::send_message(c, p)).await
    }

    /// Edit the text of one of your messages.
    #[tool(
        output_schema = output_schema::<EditedResult>(),
        description = "Replace the text of one of your own messages.",
        annotations(
            title = "Edit message",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn edit_message(
        &self,
        Parameters(p): Parameters<EditMessageParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("edit_message", ctx, |c| crate::tools::write::edit_message(c, p)).await
    }

    /// Find users, groups and channels.
    #[tool(
        output_schema = output_schema::<ChatsResult>(),
        description = "Find chats: global search by name/@username/phone (`query`), your dialogs active within a date window (`min_date`/`max_date`), or the chats of a folder (`filter`). Filter by chat_type and public.",
        annotations(title = "Find chats", read_only_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    async fn find_chats(
        &self,
        Parameters(p): Parameters<FindChatsParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("find_chats", ctx, |c| crate::tools::chats::find_chats(c, p)).await
    }

    /// Profile of a user, group or channel.
    #[tool(
        output_schema = output_schema::<ChatInfo>(),
        description = "Details of a user, group or channel: type, names, bio/about, member or subscriber counts, and forum topics.",
        annotations(title = "Get chat info", read_only_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    async fn get_chat_info(
        &self,
        Parameters(p): Parameters<GetChatInfoParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("get_chat_info", ctx, |c| crate::tools::chats::get_chat_info(c, p)).await
    }

    /// Message someone by phone number.
    #[tool(
        output_schema = output_schema::<SentResult>(),
        description = "Send a message to a phone number: adds the number as a contact if needed, sends, and optionally removes a contact it created.",
        annotations(
            title = "Send message to phone",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn send_message_to_phone(
        &self,
        Parameters(p): Parameters<SendToPhoneParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("send_message_to_phone", ctx, |c| crate::tools::write::send_to_phone(c, p)).await
    }

    /// Chats with unread messages or mentions.
    #[tool(
        output_schema = output_schema::<InboxResult>(),
        description = "Your unread chats: chats with unread messages or mentions, newest first, with unread and mention counts, the last message, and muted/archived flags. Muted and archived chats are left out unless asked for. Never marks anything as read; follow `next_cursor` for more.",
        annotations(
            title = "Get inbox",
            read_only_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn get_inbox(
        &self,
        Parameters(p): Parameters<GetInboxParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("get_inbox", ctx, |c| crate::tools::inbox::get_inbox(c, p)).await
    }

    /// Mark a chat as read.
    #[tool(
        output_schema = output_schema::<MarkReadResult>(),
        description = "Mark a chat as read, up to `max_id` or entirely (default), clearing its unread mentions too when marking everything. `topic_id` marks only one forum topic or comment thread; `only` clears just the unread `mentions` or `reactions`.",
        annotations(
            title = "Mark chat as read",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn mark_read(
        &self,
        Parameters(p): Parameters<MarkReadParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("mark_read", ctx, |c| crate::tools::inbox::mark_read(c, p)).await
    }

    /// Delete messages in one chat.
    #[tool(
        output_schema = output_schema::<DeletedResult>(),
        description = "Delete messages (by id) in one chat: for you only, or for everyone with `revoke` (always for everyone in supergroups and channels). Cannot be undone.",
        annotations(
            title = "Delete messages",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn delete_messages(
        &self,
        Parameters(p): Parameters<DeleteMessagesParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("delete_messages", ctx, |c| crate::tools::actions::delete_messages(c, p)).await
    }

    /// Forward messages between chats.
    #[tool(
        output_schema = output_schema::<ForwardedResult>(),
        description = "Forward messages (by id, in the order given; albums stay together) from one chat to another. `drop_author` sends them as copies without the forward header.",
        annotations(
            title = "Forward messages",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn forward_messages(
        &self,
        Parameters(p): Parameters<ForwardMessagesParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("forward_messages", ctx, |c| crate::tools::actions::forward_messages(c, p)).await
    }

    /// React to a message.
    #[tool(
        output_schema = output_schema::<ReactionResult>(),
        description = "React to a message with an emoji (replacing your previous reaction), or remove your reaction by leaving `emoji` out.",
        annotations(
            title = "Send reaction",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn send_reaction(
        &self,
        Parameters(p): Parameters<SendReactionParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("send_reaction", ctx, |c| crate::tools::actions::send_reaction(c, p)).await
    }

    /// Pin a message.
    #[tool(
        output_schema = output_schema::<PinResult>(),
        description = "Pin a message in its chat (silently unless `notify`; in a private chat, for both sides unless `only_for_me`).",
        annotations(
            title = "Pin message",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn pin_message(
        &self,
        Parameters(p): Parameters<PinMessageParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("pin_message", ctx, |c| crate::tools::actions::pin_message(c, p)).await
    }

    /// Unpin a message.
    #[tool(
        output_schema = output_schema::<PinResult>(),
        description = "Unpin a pinned message.",
        annotations(
            title = "Unpin message",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn unpin_message(
        &self,
        Parameters(p): Parameters<UnpinMessageParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("unpin_message", ctx, |c| crate::tools::actions::unpin_message(c, p)).await
    }

    /// Your scheduled messages in a chat.
    #[tool(
        output_schema = output_schema::<ScheduledResult>(),
        description = "List the messages you scheduled in a chat (with `send_message`'s `schedule_date`), with the date each will be sent.",
        annotations(title = "List scheduled messages", read_only_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    async fn list_scheduled(
        &self,
        Parameters(p): Parameters<ListScheduledParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("list_scheduled", ctx, |c| crate::tools::scheduled::list_scheduled(c, p)).await
    }

    /// Delete scheduled messages before they are sent.
    #[tool(
        output_schema = output_schema::<DeletedScheduledResult>(),
        description = "Delete scheduled messages (ids from `list_scheduled` or a scheduled `send_message`) so they are never sent.",
        annotations(
            title = "Delete scheduled messages",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn delete_scheduled(
        &self,
        Parameters(p): Parameters<DeleteScheduledParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("delete_scheduled", ctx, |c| crate::tools::scheduled::delete_scheduled(c, p)).await
    }

    /// Save or clear the draft of a chat.
    #[tool(
        output_schema = output_schema::<DraftSavedResult>(),
        description = "Save a draft in a chat (shown in your Telegram apps, not sent), replacing its draft; an empty message clears it. A draft is never sent by this server: use send_message to send.",
        annotations(
            title = "Save draft",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn save_draft(
        &self,
        Parameters(p): Parameters<SaveDraftParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("save_draft", ctx, |c| crate::tools::drafts::save_draft(c, p)).await
    }

    /// Your unsent drafts.
    #[tool(
        output_schema = output_schema::<DraftsResult>(),
        description = "Your unsent drafts: of one chat (`chat_id`) or of every chat.",
        annotations(title = "Get drafts", read_only_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    async fn get_drafts(
        &self,
        Parameters(p): Parameters<GetDraftsParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("get_drafts", ctx, |c| crate::tools::drafts::get_drafts(c, p)).await
    }

    /// Raw Telegram API call.
    #[tool(
        output_schema = output_schema::<MtprotoResult>(),
        description = "Call any Telegram API (MTProto TL) method by name with JSON parameters, e.g. method `users.getFullUser`. Peers accept `me`, @username or ids. Dangerous calls (spending Stars or money, deleting, account security, sessions) are refused unless the user unlocked them in settings.",
        annotations(
            title = "Invoke MTProto",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn invoke_mtproto(
        &self,
        Parameters(p): Parameters<InvokeMtprotoParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("invoke_mtproto", ctx, |c| crate::tools::mtproto::invoke(c, p)).await
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for TelegramMcp {
    /// Only the tools the caller's token may use (the list differs per token, so it carries no
    /// shared cache hint); none without an identity or for a revoked token. The list of each
    /// [`ToolScope`](crate::tools::ToolScope) is built once per process.
    async fn list_tools(
        &self,
        _request: Option<rmcp::model::PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListToolsResult, rmcp::ErrorData> {
        let policy = self.identity(&ctx).and_then(|identity| crate::tools::policy_for(&self.app, &identity).ok());
        let tools = policy
            .map(|p| catalog::Catalog::get().tools_for(crate::tools::ToolScope::of(&p)).to_vec())
            .unwrap_or_default();
        Ok(rmcp::model::ListToolsResult {
            result_type: Some(rmcp::model::ResultType::COMPLETE),
            tools,
            meta: None,
            next_cursor: None,
            ttl_ms: None,
            cache_scope: None,
        })
    }

    /// The chats the token may read, as resources.
    async fn list_resources(
        &self,
        _request: Option<rmcp::model::PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListResourcesResult, rmcp::ErrorData> {
        self.chat_resources(ctx).await
    }

    async fn list_resource_templates(
        &self,
        _request: Option<rmcp::model::PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListResourceTemplatesResult, rmcp::ErrorData> {
        Ok(Self::chat_resource_templates())
    }

    async fn read_resource(
        &self,
        request: rmcp::model::ReadResourceRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ReadResourceResponse, rmcp::ErrorData> {
        Ok(self.read_chat_resource(request.uri, ctx).await?.into())
    }

    #[allow(deprecated)]
    async fn subscribe(
        &self,
        request: rmcp::model::SubscribeRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<(), rmcp::ErrorData> {
        self.subscribe_chat(request.uri, ctx).await
    }

    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        request: rmcp::model::UnsubscribeRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<(), rmcp::ErrorData> {
        self.unsubscribe_chat(request.uri);
        Ok(())
    }

    async fn list_prompts(
        &self,
        _request: Option<rmcp::model::PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListPromptsResult, rmcp::ErrorData> {
        Ok(resources::prompt_list())
    }

    async fn get_prompt(
        &self,
        request: rmcp::model::GetPromptRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::GetPromptResponse, rmcp::ErrorData> {
        Ok(resources::prompt_get(&request.name, request.arguments)?.into())
    }

    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_resources_subscribe()
                .enable_prompts()
                .build(),
        )
        .with_server_info(Implementation::new("fast-mcp-telegram", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "Tools for the user's own Telegram account. Chats are named by `me`, @username or numeric id. \
                 Results use one schema: entities {id,type,title,username,...} and messages {id,date,text,sender,...}. \
                 Paginate with `next_cursor`. Chats are also resources (telegram://chat/{id}).",
        )
    }
}
