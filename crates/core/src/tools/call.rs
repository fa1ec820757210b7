//! One tool call from start to finish, for every front door (MCP and the `/mtproto-api` bridge):
//! the token's policy, the access check, the per-call Telegram timeout, panics, link health and
//! the activity log.

use super::{ToolCtx, ToolError, ToolOutput, refused, tool_allowed};
use crate::activity::{Entry, now_ms};
use crate::app::{App, Identity};
use crate::config::Transport;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

/// Runs `tool` for `identity`: refuses it if the token may not use it, bounds it by the
/// Telegram call timeout, turns a panic into an error, keeps the session's link health and
/// records the call in the activity log.
pub async fn run<F, Fut>(
    app: &Arc<App>,
    identity: Identity,
    peer: Option<rmcp::Peer<rmcp::RoleServer>>,
    tool: &str,
    f: F,
) -> Result<ToolOutput, ToolError>
where
    F: FnOnce(ToolCtx) -> Fut,
    Fut: Future<Output = Result<ToolOutput, ToolError>>,
{
    let started = Instant::now();
    let ts_ms = now_ms();
    let (token_id, session_id) = (identity.token_id.clone(), identity.session_id.clone());
    let transport = match identity.transport {
        Transport::Stdio => "stdio",
        Transport::Http => "http",
    };
    let mut touched = None;
    let outcome = match ToolCtx::new(app.clone(), identity, peer) {
        Err(e) => Err(e),
        Ok(ctx) => match tool_allowed(&ctx.policy, tool) {
            Err(r) => Err(refused(r)),
            Ok(()) => {
                touched = Some(ctx.touched());
                // Time spent waiting for the user's approval is not Telegram stalling.
                let waits = ctx.policy.approval != crate::policy::Approval::None;
                let mut extra = if waits { app.config.approval_timeout } else { std::time::Duration::ZERO };
                // Nor is a wait for new messages the caller asked for.
                if tool == "wait_for_messages" {
                    extra += super::wait::MAX_WAIT;
                }
                let call = async move {
                    let mut ctx = ctx;
                    ctx.resolve_folders().await?;
                    f(ctx).await
                };
                let outcome = bounded(app, &session_id, tool, extra, call).await;
                if outcome.is_ok() && super::tool_access(tool) >= crate::policy::Access::Write {
                    // A write may have changed folders or chat states (read, muted, archived).
                    app.folders.forget(&session_id);
                }
                outcome
            }
        },
    };
    let t = touched.map(|t| t.lock().unwrap_or_else(|p| p.into_inner()).clone()).unwrap_or_default();
    let (outcome_s, error_kind, error) = match &outcome {
        Ok(_) => ("ok", None, None),
        Err(e) => ("error", Some(e.kind().to_string()), Some(e.to_string().chars().take(300).collect())),
    };
    app.activity.record(&Entry {
        ts_ms,
        token_id,
        session_id,
        transport: transport.into(),
        tool: match &t.method {
            Some(m) => format!("{tool}:{m}"),
            None => tool.to_string(),
        },
        chats: t.chats.into_iter().collect(),
        message_ids: t.messages,
        outcome: outcome_s.into(),
        error_kind,
        error,
        duration_ms: started.elapsed().as_millis() as u64,
        text: t.text,
    });
    outcome
}

/// The call itself: bounded by the Telegram call timeout, a panic answered with an error, and
/// the session's link health updated from the outcome.
async fn bounded(
    app: &Arc<App>,
    session_id: &str,
    tool: &str,
    approval_wait: std::time::Duration,
    call: impl Future<Output = Result<ToolOutput, ToolError>>,
) -> Result<ToolOutput, ToolError> {
    // A bug in a tool must answer the call with an error, not leave the client hanging; so
    // must a connection that stalled (Telegram never answers).
    let limit = app.config.telegram_call_timeout + approval_wait;
    let call = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(call));
    let Ok(outcome) = tokio::time::timeout(limit, call).await else {
        tracing::warn!(tool, session = %session_id, "Telegram did not answer within {} s; reopening the connection", limit.as_secs());
        app.sessions.stalled(session_id);
        return Err(ToolError::Unavailable(format!(
            "Telegram did not answer within {} s (the connection may have stalled); it is being reopened, retry the call",
            limit.as_secs()
        )));
    };
    let Ok(outcome) = outcome else {
        tracing::error!(tool, "tool panicked");
        return Err(ToolError::internal("internal error in the tool (a bug; see the server log)"));
    };
    match &outcome {
        Ok(_) => app.sessions.note_ok(session_id),
        Err(e) => {
            tracing::info!(tool, "tool error: {e}");
            match e {
                ToolError::Unavailable(m) => app.sessions.note_failure(session_id, m),
                // Telegram answered (with an error): the link works. A FLOOD_WAIT holds every
                // write of the account back until it is over.
                ToolError::Telegram { retry_after, .. } => {
                    app.sessions.note_ok(session_id);
                    if let Some(secs) = retry_after {
                        app.pacing.flood_wait(session_id, *secs);
                    }
                }
                _ => {}
            }
            if e.telegram_name().is_some_and(|n| crate::telegram::PEER_REJECTED.contains(&n)) {
                // A peer served from the cache may be stale: resolve it again next time.
                app.sessions.forget_resolutions(session_id);
            }
        }
    }
    outcome
}
