//! What the user watches and answers: the activity log, and the writes waiting for approval.

use super::{ApprovalDecideArgs, Control, ControlError, blocking};
use crate::activity::{Entry, Filter};
use crate::approvals::{Decision, PendingWrite};

impl Control {
    /// The activity log, newest first, filtered by token, tool or chat.
    pub async fn activity_list(&self, filter: Filter) -> Result<Vec<Entry>, ControlError> {
        let app = self.app();
        blocking(move || app.activity.read(&filter))
            .await?
            .map_err(|e| ControlError::Internal(format!("cannot read the activity log: {e}")))
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
