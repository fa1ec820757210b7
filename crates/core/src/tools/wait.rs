//! `wait_for_messages`: new messages from the session's live update stream, with a cursor that continues without loss.

use super::args::{self, decode_cursor, encode_cursor};
use super::{ToolCtx, ToolError, ToolOutput, params::WaitForMessagesParams};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

/// Longest wait one call may ask for, in seconds.
pub const MAX_WAIT_SECONDS: u32 = 120;
/// Wait when the call names none, in seconds.
const DEFAULT_WAIT_SECONDS: u32 = 30;

/// The extra time the call path allows a wait beyond the Telegram call timeout.
pub const MAX_WAIT: Duration = Duration::from_secs(MAX_WAIT_SECONDS as u64);

/// Waits up to `timeout_seconds` for new messages in the chats asked for (or any chat the token
/// may read) and returns those after the cursor, oldest first, with the cursor to continue from.
pub async fn wait_for_messages(ctx: ToolCtx, p: WaitForMessagesParams) -> Result<ToolOutput, ToolError> {
    let limit = args::limit(p.limit, 50, 100)?;
    let wait = p.timeout_seconds.unwrap_or(DEFAULT_WAIT_SECONDS);
    if wait > MAX_WAIT_SECONDS {
        return Err(ToolError::invalid(format!("timeout_seconds must be 0 to {MAX_WAIT_SECONDS}")));
    }
    let outgoing = p.include_outgoing.unwrap_or(false);
    // Connecting the client starts its update loop; the lease keeps it connected while waiting.
    let client = ctx.client().await?;
    client.follow_updates();
    let mut only: Option<BTreeSet<i64>> = None;
    if let Some(list) = &p.chat_ids {
        if list.is_empty() || list.len() > 100 {
            return Err(ToolError::invalid("chat_ids: give 1 to 100 chats, or leave it out to watch every chat"));
        }
        let mut ids = BTreeSet::new();
        for spec in list {
            let peer = ctx.chat(&client, spec.as_str()).await?;
            ids.insert(peer.id.bot_api_dialog_id_unchecked());
        }
        only = Some(ids);
    }
    let buffer = ctx.app.sessions.live(&ctx.identity.session_id);
    let (mut after, cursor_reset) = match p.cursor.as_deref() {
        None => (buffer.head(), false),
        Some(c) => {
            let (epoch, seq): (u64, u64) = decode_cursor(c)?;
            if epoch == buffer.epoch() && seq <= buffer.head() {
                (seq, false)
            } else {
                // A cursor of an earlier server process: everything buffered since is new to the
                // caller (it may see a message twice, never miss one the buffer still holds).
                (0, true)
            }
        }
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(u64::from(wait));
    let mut missed = 0u64;
    let mut picked: Vec<Value> = Vec::new();
    let timed_out = loop {
        let since = buffer.since(after);
        missed += since.missed;
        for m in since.messages {
            if picked.len() >= limit {
                break;
            }
            after = m.seq;
            let wanted = only.as_ref().is_none_or(|ids| ids.contains(&m.chat_id));
            if wanted && ctx.permits(m.chat_id) && (outgoing || !m.outgoing) {
                ctx.note_chat(m.chat_id);
                picked.push(m.message);
            }
        }
        if !picked.is_empty() {
            break false;
        }
        if tokio::time::timeout_at(deadline, buffer.changed_after(after)).await.is_err() {
            break true;
        }
    };
    drop(client);
    let has_more = buffer.since(after).messages.iter().any(|m| {
        only.as_ref().is_none_or(|ids| ids.contains(&m.chat_id)) && ctx.permits(m.chat_id) && (outgoing || !m.outgoing)
    });
    let mut out = json!({
        "messages": picked,
        "next_cursor": encode_cursor(&(buffer.epoch(), after)),
        "timed_out": timed_out,
        "has_more": has_more,
    });
    // A count of dropped messages says something about chats a chat-limited token cannot read.
    if missed > 0 && !ctx.policy.limited_to_some_chats() {
        out["missed_count"] = json!(missed);
    }
    if cursor_reset {
        out["cursor_reset"] = json!(true);
    }
    Ok(ToolOutput::json(out))
}
