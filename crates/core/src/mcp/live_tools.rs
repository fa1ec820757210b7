//! The second tool router, joined to the first in the tool catalogue (`catalog.rs`): `wait_for_messages` (the live update stream) and `transcribe_voice`.

use super::TelegramMcp;
use crate::tools::params::*;
use crate::tools::results::*;
use rmcp::handler::server::common::schema_for_output as output_schema;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};

#[tool_router(router = live_router, vis = "pub(super)")]
impl TelegramMcp {
    /// Wait for new messages.
    #[tool(
        output_schema = output_schema::<WaitResult>(),
        description = "Wait (up to `timeout_seconds`, default 30) for new messages in the given chats or in any chat, and return them oldest first. Pass the returned `next_cursor` to the next call to continue exactly where this one stopped: nothing that arrives in between is missed or repeated. Returns an empty list when the wait times out.",
        annotations(
            title = "Wait for new messages",
            read_only_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn wait_for_messages(
        &self,
        Parameters(p): Parameters<WaitForMessagesParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("wait_for_messages", ctx, |c| crate::tools::wait::wait_for_messages(c, p)).await
    }

    /// Transcribe a voice message.
    #[tool(
        output_schema = output_schema::<TranscriptionResult>(),
        description = "Transcribe a voice message to text with Telegram's own transcription (Telegram Premium accounts only). `status` is `pending` while Telegram is still listening: call again a few seconds later for the whole text.",
        annotations(
            title = "Transcribe voice message",
            read_only_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn transcribe_voice(
        &self,
        Parameters(p): Parameters<TranscribeVoiceParams>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        self.run("transcribe_voice", ctx, |c| crate::tools::voice::transcribe_voice(c, p)).await
    }
}
