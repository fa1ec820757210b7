//! MCP resources (chats as `telegram://chat/{id}`, subscribable over long-lived connections) and prompts, under the token's policy like the tools.

use super::TelegramMcp;
use crate::config::Transport;
use crate::tools::resources::{CHAT_URI_TEMPLATE, RECENT_MESSAGES, chat_of_uri, list_chats, read_chat};
use crate::tools::{ToolCtx, ToolError, ToolOutput};
use rmcp::ErrorData;
use rmcp::model::{
    GetPromptResult, JsonObject, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, Prompt,
    PromptArgument, PromptMessage, ReadResourceResult, Resource, ResourceContents, ResourceTemplate,
    ResourceUpdatedNotificationParam, Role,
};
use rmcp::service::RequestContext;
use rmcp::{Peer, RoleServer};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::task::AbortHandle;

/// The chat subscriptions of one connection, ended when the connection's handler goes away.
#[derive(Debug, Default)]
pub(super) struct Subscriptions(Mutex<HashMap<String, AbortHandle>>);

impl Subscriptions {
    fn replace(&self, uri: String, task: Option<AbortHandle>) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let old = match task {
            Some(t) => map.insert(uri, t),
            None => map.remove(&uri),
        };
        if let Some(old) = old {
            old.abort();
        }
    }
}

impl Drop for Subscriptions {
    fn drop(&mut self) {
        for (_, t) in self.0.lock().unwrap_or_else(|p| p.into_inner()).drain() {
            t.abort();
        }
    }
}

/// A tool error as the protocol error a resource request answers with (its body as data).
fn protocol_error(e: ToolError) -> ErrorData {
    let data = Some(Value::Object(e.body()));
    match e {
        ToolError::NotFound(m) => ErrorData::resource_not_found(m, data),
        ToolError::Invalid(m) => ErrorData::invalid_params(m, data),
        ToolError::Internal(m) => ErrorData::internal_error(m, data),
        other => ErrorData::invalid_request(other.to_string(), data),
    }
}

impl TelegramMcp {
    /// Runs a resource operation through the tools' one call path (policy, timeout, activity log).
    async fn resource_call<F, Fut>(
        &self,
        op: &'static str,
        ctx: &RequestContext<RoleServer>,
        f: F,
    ) -> Result<Value, ErrorData>
    where
        F: FnOnce(ToolCtx) -> Fut,
        Fut: Future<Output = Result<ToolOutput, ToolError>>,
    {
        let identity = self
            .identity(ctx)
            .ok_or_else(|| ErrorData::internal_error("request has no authenticated identity", None))?;
        if let Some(r) = &self.revalidate
            && let Err(why) = r.check_call(&self.app)
        {
            return Err(ErrorData::invalid_request(why, None));
        }
        crate::tools::call::run(&self.app, identity, Some(ctx.peer.clone()), op, f)
            .await
            .map(|out| out.json)
            .map_err(protocol_error)
    }

    /// Every chat the token may read, as a resource.
    pub(super) async fn chat_resources(
        &self,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let v = self.resource_call("resources/list", &ctx, list_chats).await?;
        let resources = v["chats"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                let title =
                    c["chat"]["title"].as_str().map(str::to_string).unwrap_or_else(|| c["chat"]["id"].to_string());
                Resource::new(c["uri"].as_str().unwrap_or_default(), title.clone())
                    .with_title(title)
                    .with_description(format!("The {RECENT_MESSAGES} newest messages of this chat"))
                    .with_mime_type("application/json")
            })
            .collect();
        Ok(ListResourcesResult::with_all_items(resources))
    }

    /// The template of chat resources.
    pub(super) fn chat_resource_templates() -> ListResourceTemplatesResult {
        ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new(CHAT_URI_TEMPLATE, "chat")
                .with_title("Telegram chat")
                .with_description(format!(
                    "The {RECENT_MESSAGES} newest messages of a chat (Bot-API id: users positive, groups negative, channels -100…)"
                ))
                .with_mime_type("application/json"),
        ])
    }

    /// One chat's newest messages, as `get_messages` returns them.
    pub(super) async fn read_chat_resource(
        &self,
        uri: String,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResult, ErrorData> {
        let id = chat_of_uri(&uri).map_err(protocol_error)?;
        let v = self.resource_call("resources/read", &ctx, move |c| read_chat(c, id)).await?;
        let text = serde_json::to_string_pretty(&v).map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(ReadResourceResult::new(vec![ResourceContents::text(text, uri).with_mime_type("application/json")]))
    }

    /// Sends `notifications/resources/updated` for the chat whenever a new message arrives in
    /// it, for as long as this connection lasts (which keeps the session connected). Needs a
    /// long-lived connection: stateless HTTP requests cannot carry later notifications.
    pub(super) async fn subscribe_chat(&self, uri: String, ctx: RequestContext<RoleServer>) -> Result<(), ErrorData> {
        let identity = self
            .identity(&ctx)
            .ok_or_else(|| ErrorData::internal_error("request has no authenticated identity", None))?;
        if identity.transport != Transport::Stdio {
            return Err(ErrorData::invalid_request(
                "resource subscriptions need a long-lived connection: use the stdio transport",
                None,
            ));
        }
        let id = chat_of_uri(&uri).map_err(protocol_error)?;
        // The scope check, and a connected client (its update loop fills the session's buffer).
        self.resource_call("resources/subscribe", &ctx, move |c| async move {
            let client = c.client().await?;
            c.chat(&client, &id.to_string()).await?;
            Ok(ToolOutput::json(json!({})))
        })
        .await?;
        let lease = self.app.sessions.client(&identity.session_id).await.map_err(|e| protocol_error(e.into()))?;
        lease.follow_updates();
        let task = tokio::spawn(watch_chat(self.app.clone(), identity, ctx.peer.clone(), uri.clone(), id, lease));
        self.subscriptions.replace(uri, Some(task.abort_handle()));
        Ok(())
    }

    /// Ends a subscription of this connection.
    pub(super) fn unsubscribe_chat(&self, uri: String) {
        self.subscriptions.replace(uri, None);
    }
}

/// Notifies `peer` of new messages in chat `id` until the connection or the token goes away.
async fn watch_chat(
    app: Arc<crate::app::App>,
    identity: crate::app::Identity,
    peer: Peer<RoleServer>,
    uri: String,
    id: i64,
    _lease: crate::sessions::Lease,
) {
    let buffer = app.sessions.live(&identity.session_id);
    let mut after = buffer.head();
    let mut head = buffer.watch();
    while head.changed().await.is_ok() {
        let since = buffer.since(after);
        after = since.messages.last().map_or(after, |m| m.seq);
        if !since.messages.iter().any(|m| m.chat_id == id) {
            continue;
        }
        // The policy as it is now: a narrowed or revoked token stops hearing of the chat.
        match crate::tools::policy_for(&app, &identity) {
            Ok(p) if p.permits(id) => {}
            _ => return,
        }
        if peer.notify_resource_updated(ResourceUpdatedNotificationParam::new(uri.clone())).await.is_err() {
            return;
        }
    }
}

/// The prompts this server offers.
pub(super) fn prompt_list() -> ListPromptsResult {
    let mut chat = PromptArgument::new("chat_id");
    chat.description = Some("The chat to answer in: `me`, @username or numeric id".into());
    chat.required = Some(true);
    let mut intent = PromptArgument::new("intent");
    intent.description = Some("What the reply should say or do (optional)".into());
    intent.required = Some(false);
    ListPromptsResult::with_all_items(vec![
        Prompt::new(
            "summarize_unread",
            Some("Summarise your unread Telegram chats, most urgent first, without marking anything read"),
            None,
        ),
        Prompt::new(
            "draft_reply",
            Some("Read a chat and save a reply as a draft (never sent) for you to check"),
            Some(vec![chat, intent]),
        ),
    ])
}

/// One prompt, filled in.
pub(super) fn prompt_get(name: &str, args: Option<JsonObject>) -> Result<GetPromptResult, ErrorData> {
    let arg =
        |k: &str| args.as_ref().and_then(|a| a.get(k)).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let text = match name {
        "summarize_unread" => "Summarise my unread Telegram messages. Call get_inbox to list the chats with unread \
            messages or mentions; for each, read the new messages with get_messages (a limit about its unread_count). \
            Reading never marks them read, and do not call mark_read unless I ask. Then tell me, per chat and most \
            urgent first: a one-line summary, whether someone waits for an answer from me, and any date or request."
            .to_string(),
        "draft_reply" => {
            let chat = arg("chat_id").ok_or_else(|| ErrorData::invalid_params("draft_reply needs chat_id", None))?;
            let intent = arg("intent").map_or(String::new(), |i| format!(" The reply should: {i}."));
            format!(
                "Draft a reply for me in the Telegram chat {chat}. Read the recent conversation with get_messages \
                 (chat_id {chat}, limit 30) and write a short reply in my voice and language.{intent} Save it with \
                 save_draft (a draft is never sent) and show it to me. Do not call send_message unless I confirm."
            )
        }
        other => return Err(ErrorData::invalid_params(format!("no prompt named {other:?}"), None)),
    };
    Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]))
}
