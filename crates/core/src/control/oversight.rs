//! What the user watches and answers: the activity log, and the writes waiting for approval.

use super::{ApprovalDecideArgs, ChatsPickArgs, Control, ControlError, MessageDeleteArgs, TokenIdArgs, blocking};
use crate::activity::{Entry, Filter};
use crate::approvals::{Decision, PendingWrite};
use crate::tools::results::ChatsResult;

/// One chat folder of an account (`folders_pick` answer).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FolderInfo {
    /// Its id (stable across renames).
    pub id: i32,
    /// Its title.
    pub title: String,
}

/// `message_delete` answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MessageDeleted {
    /// How many messages Telegram deleted.
    pub deleted: usize,
}

impl Control {
    /// The activity log, newest first, filtered by token, tool or chat.
    pub async fn activity_list(&self, filter: Filter) -> Result<Vec<Entry>, ControlError> {
        let app = self.app();
        blocking(move || app.activity.read(&filter))
            .await?
            .map_err(|e| ControlError::Internal(format!("cannot read the activity log: {e}")))
    }

    /// Chats of a token's account, for picking a chat list: the dialogs (newest first) or those
    /// matching `query`, without the token's own chat limits (the user is choosing them).
    pub async fn chats_pick(&self, a: ChatsPickArgs) -> Result<ChatsResult, ControlError> {
        let app = self.app();
        let rec = app.tokens.get(&a.token_id)?;
        let identity = crate::app::Identity {
            session_id: rec.session_id,
            token_id: None,
            transport: crate::config::Transport::Http,
        };
        let ctx = crate::tools::ToolCtx::new(app, identity, None).map_err(|e| ControlError::Internal(e.to_string()))?;
        let args = match a.query.as_deref().map(str::trim).filter(|q| q.chars().count() >= 2) {
            Some(q) => serde_json::json!({ "query": q, "limit": 50 }),
            None => serde_json::json!({ "min_date": "2000-01-01", "limit": 100 }),
        };
        let params = serde_json::from_value(args).map_err(|e| ControlError::Internal(e.to_string()))?;
        let out = crate::tools::chats::find_chats(ctx, params)
            .await
            .map_err(|e| ControlError::InvalidInput(e.to_string()))?;
        serde_json::from_value(out.json).map_err(|e| ControlError::Internal(format!("unexpected chat list: {e}")))
    }

    /// The chat folders of a token's account, for picking folders in its policy.
    pub async fn folders_pick(&self, a: TokenIdArgs) -> Result<Vec<FolderInfo>, ControlError> {
        let app = self.app();
        let rec = app.tokens.get(&a.id)?;
        let client = app.sessions.client(&rec.session_id).await?;
        let defs = crate::tools::folders::folder_defs(&client).await?;
        Ok(defs.into_iter().map(|d| FolderInfo { id: d.id, title: d.title }).collect())
    }

    /// Undoes an assistant's send: deletes the message for everyone, on the token's account, and
    /// records that in the activity log.
    pub async fn message_delete(&self, a: MessageDeleteArgs) -> Result<MessageDeleted, ControlError> {
        let app = self.app();
        let rec = app.tokens.get(&a.token_id)?;
        let started = std::time::Instant::now();
        let client = app.sessions.client(&rec.session_id).await?;
        let chat = client.resolve(&a.chat_id.to_string()).await?;
        let deleted =
            client.raw().delete_messages(chat, &[a.message_id]).await.map_err(crate::telegram::TgError::from)?;
        app.activity.record(&crate::activity::Entry {
            ts_ms: crate::activity::now_ms(),
            token_id: Some(rec.id),
            session_id: rec.session_id,
            transport: "app".into(),
            tool: "delete_message (by you, in the app)".into(),
            chats: vec![a.chat_id],
            message_ids: vec![a.message_id],
            outcome: "ok".into(),
            error_kind: None,
            error: None,
            duration_ms: started.elapsed().as_millis() as u64,
            text: None,
        });
        Ok(MessageDeleted { deleted })
    }

    /// Writes waiting for the user's yes, oldest first.
    pub async fn approvals_list(&self) -> Result<Vec<PendingWrite>, ControlError> {
        Ok(self.app().approvals.list())
    }

    /// Approves (optionally for every later write to the chat) or denies a waiting write.
    pub async fn approval_decide(&self, a: ApprovalDecideArgs) -> Result<PendingWrite, ControlError> {
        let decision = if a.approve { Decision::Approved { always: a.always } } else { Decision::Denied };
        self.app().approvals.decide(&a.id, decision).map_err(|e| ControlError::NotFound(e.to_string()))
    }
}
