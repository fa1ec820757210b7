//! Login commands: start, step and cancel Telegram logins, and issue a token when one succeeds.
//!
//! The flows themselves (their stage, their one-step-at-a-time turn, what they are for) live in
//! the app's [`Logins`](crate::login::Logins); this file only turns their outcome into tokens.

use super::{
    Cancelled, Control, ControlError, IssuedToken, LoginIdArgs, LoginOutcome, StartCodeArgs, StartQrArgs,
    SubmitCodeArgs, SubmitPasswordArgs, TokenInfo, blocking,
};
use crate::app::App;
use crate::login::{Account, LoginError, LoginPurpose, LoginStep};
use crate::token_index::{IndexError, Issued, new_id};
use std::sync::Arc;

/// Label of the token issued by a login when the user gave none.
pub const DEFAULT_LOGIN_LABEL: &str = "Telegram login";

impl Control {
    /// Sends a login code to a phone (new session, or the session of `token_id`).
    pub async fn login_start_code(&self, a: StartCodeArgs) -> Result<LoginOutcome, ControlError> {
        let app = self.app();
        let (session_id, purpose) = login_target(&app, a.label, a.token_id)?;
        let result = app.logins.start_code(&app.sessions, &session_id, &a.phone, purpose.clone()).await;
        after_start(&app, &session_id, &purpose, result).await
    }

    /// Starts a QR login (new session, or the session of `token_id`).
    pub async fn login_start_qr(&self, a: StartQrArgs) -> Result<LoginOutcome, ControlError> {
        let app = self.app();
        let (session_id, purpose) = login_target(&app, a.label, a.token_id)?;
        let result = app.logins.start_qr(&app.sessions, &session_id, purpose.clone()).await;
        after_start(&app, &session_id, &purpose, result).await
    }

    /// Submits the code of a phone login.
    pub async fn login_submit_code(&self, a: SubmitCodeArgs) -> Result<LoginOutcome, ControlError> {
        let app = self.app();
        let step = app.logins.submit_code(&a.login_id, &a.code).await?;
        finish(&app, step).await
    }

    /// Submits the 2FA password.
    pub async fn login_submit_password(&self, a: SubmitPasswordArgs) -> Result<LoginOutcome, ControlError> {
        let app = self.app();
        let step = app.logins.submit_password(&a.login_id, &a.password).await?;
        finish(&app, step).await
    }

    /// Polls a QR login: a fresh code, the password step, or done.
    pub async fn login_poll_qr(&self, a: LoginIdArgs) -> Result<LoginOutcome, ControlError> {
        let app = self.app();
        let step = app.logins.poll_qr(&a.login_id).await?;
        finish(&app, step).await
    }

    /// Abandons a login; a new session nobody uses is deleted. A step still running finishes
    /// first, so a session it has just logged in (and issued a token for) is never deleted.
    pub async fn login_cancel(&self, a: LoginIdArgs) -> Result<Cancelled, ControlError> {
        let app = self.app();
        let session = app.logins.cancel(&a.login_id).await;
        if let Some(s) = &session
            && !app.tokens.session_in_use(s).unwrap_or(true)
            && let Err(e) = app.sessions.delete(s).await
        {
            tracing::warn!(session = %s, "could not delete an abandoned login session: {e}");
        }
        Ok(Cancelled { cancelled: session.is_some() })
    }
}

/// The session a login works on and what it is for.
fn login_target(
    app: &App,
    label: Option<String>,
    token_id: Option<String>,
) -> Result<(String, LoginPurpose), ControlError> {
    let label =
        label.map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).unwrap_or_else(|| DEFAULT_LOGIN_LABEL.into());
    let session_id = match &token_id {
        Some(id) => app.tokens.get(id)?.session_id,
        None => new_id("s_"),
    };
    Ok((session_id, LoginPurpose { label, token_id }))
}

async fn after_start(
    app: &Arc<App>,
    session_id: &str,
    purpose: &LoginPurpose,
    result: Result<LoginStep, LoginError>,
) -> Result<LoginOutcome, ControlError> {
    match result {
        Ok(step) => finish(app, step).await,
        Err(e) => {
            // A brand-new session that never got anywhere is not kept.
            if purpose.token_id.is_none() && !app.tokens.session_in_use(session_id).unwrap_or(true) {
                let _ = app.sessions.delete(session_id).await;
            }
            Err(e.into())
        }
    }
}

/// On `Done`: record the account and issue the token (for a new session).
async fn finish(app: &Arc<App>, step: LoginStep) -> Result<LoginOutcome, ControlError> {
    let LoginStep::Done { session_id, account, purpose } = &step else {
        return Ok(LoginOutcome { step, issued: None, existing_token: None, same_account: Vec::new() });
    };
    let (session_id, label) = (session_id.clone(), account_label(account));
    match purpose.token_id.clone() {
        Some(id) => {
            let a = app.clone();
            let sid = session_id.clone();
            blocking(move || a.tokens.set_account(&sid, Some(label))).await??;
            let existing = app.tokens.get(&id).ok().map(TokenInfo::from);
            let same_account =
                same_account_elsewhere(app, &session_id, existing.as_ref().and_then(|t| t.account.as_deref()));
            Ok(LoginOutcome { step, issued: None, existing_token: existing, same_account })
        }
        None => {
            let a = app.clone();
            let token_label = purpose.label.clone();
            let issued = blocking(move || -> Result<Issued, IndexError> {
                let mut issued = a.tokens.create_for_session(&token_label, &session_id)?;
                a.tokens.set_account(&session_id, Some(label.clone()))?;
                issued.record.account = Some(label);
                Ok(issued)
            })
            .await??;
            let same_account = same_account_elsewhere(app, &issued.record.session_id, issued.record.account.as_deref());
            Ok(LoginOutcome { step, issued: Some(IssuedToken::from(issued)), existing_token: None, same_account })
        }
    }
}

/// Tokens of other sessions logged in to the same account (by its label: name, @username and
/// masked phone), so the UI can offer to keep one Telegram session instead of two.
fn same_account_elsewhere(app: &App, session_id: &str, account: Option<&str>) -> Vec<TokenInfo> {
    let Some(account) = account else { return Vec::new() };
    app.tokens
        .list()
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.session_id != session_id && t.account.as_deref() == Some(account))
        .map(TokenInfo::from)
        .collect()
}

/// The account as shown next to its tokens.
pub(super) fn account_label(a: &Account) -> String {
    match &a.phone_masked {
        Some(p) => format!("{} · {p}", a.label()),
        None => a.label(),
    }
}
