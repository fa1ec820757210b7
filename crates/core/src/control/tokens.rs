//! Token commands: list, create, reveal, rotate, revoke, and sign a session out.

use super::{
    Control, ControlError, IssuedToken, RevealedToken, Revoked, SessionMergeArgs, SessionMerged, SignOutArgs,
    SignedOut, TokenCreateArgs, TokenIdArgs, TokenInfo, TokenPolicyArgs, TokenRevokeArgs, blocking,
};
use crate::token_index::{IndexError, Issued};

impl Control {
    /// All tokens (no secrets), oldest first.
    pub async fn tokens_list(&self) -> Result<Vec<TokenInfo>, ControlError> {
        Ok(self.app().tokens.list()?.into_iter().map(TokenInfo::from).collect())
    }

    /// Issues a token: a new (not yet logged-in) session, or the session of `same_session_as`.
    pub async fn token_create(&self, a: TokenCreateArgs) -> Result<IssuedToken, ControlError> {
        let app = self.app();
        if let Some(p) = &a.policy {
            p.validate().map_err(|e| ControlError::InvalidInput(format!("invalid token policy: {e}")))?;
        }
        let issued = blocking(move || -> Result<Issued, IndexError> {
            let mut issued = match a.same_session_as {
                Some(other) => {
                    let src = app.tokens.get(&other)?;
                    let mut issued = app.tokens.create_for_session(&a.label, &src.session_id)?;
                    if src.account.is_some() {
                        app.tokens.set_account(&src.session_id, src.account.clone())?;
                        issued.record.account = src.account;
                    }
                    issued
                }
                None => app.tokens.create(&a.label)?,
            };
            if let Some(policy) = a.policy {
                issued.record = app.tokens.set_policy(&issued.record.id, policy)?;
            }
            Ok(issued)
        })
        .await??;
        Ok(issued.into())
    }

    /// Replaces a token's policy; its clients' next call (and `tools/list`) follows it.
    pub async fn token_set_policy(&self, a: TokenPolicyArgs) -> Result<TokenInfo, ControlError> {
        let app = self.app();
        Ok(blocking(move || app.tokens.set_policy(&a.id, a.policy)).await??.into())
    }

    /// A token's plaintext from the OS keyring.
    pub async fn token_reveal(&self, a: TokenIdArgs) -> Result<RevealedToken, ControlError> {
        let app = self.app();
        if !app.tokens.keystore().is_available() {
            app.tokens.get(&a.id)?;
            return Err(ControlError::KeyringUnavailable);
        }
        let id = a.id.clone();
        match blocking(move || app.tokens.reveal(&id)).await?? {
            Some(token) => Ok(RevealedToken { id: a.id, token }),
            None => Err(ControlError::NotInKeyring(a.id)),
        }
    }

    /// A new secret for a token; the old one stops working at once.
    pub async fn token_rotate(&self, a: TokenIdArgs) -> Result<IssuedToken, ControlError> {
        let app = self.app();
        Ok(blocking(move || app.tokens.rotate(&a.id)).await??.into())
    }

    /// Revokes a token; with `delete_session`, also logs its session out and deletes it when unused.
    pub async fn token_revoke(&self, a: TokenRevokeArgs) -> Result<Revoked, ControlError> {
        let app = self.app();
        let a2 = app.clone();
        let id = a.id.clone();
        let rec = blocking(move || a2.tokens.revoke(&id)).await??;
        let mut session_deleted = false;
        let mut warning = None;
        if a.delete_session {
            if app.tokens.session_in_use(&rec.session_id)? {
                warning = Some("the session is still used by another token; it was kept".to_string());
            } else {
                if let Err(e) = crate::login::sign_out(&app.sessions, &rec.session_id).await {
                    warning = Some(format!("could not log out on Telegram ({e}); the local session file was deleted"));
                    app.sessions.delete(&rec.session_id).await.map_err(ControlError::from)?;
                }
                session_deleted = true;
            }
        }
        Ok(Revoked { revoked: rec.id, session_id: rec.session_id, session_deleted, warning })
    }

    /// Logs a token's session out on Telegram, deletes it and revokes every token of it.
    /// Keeps one Telegram session for an account logged in twice: the tokens of `token_id`'s
    /// session move to `into_token_id`'s, and the duplicate is signed out and deleted. The tokens
    /// keep working throughout (they are moved before the sign-out).
    pub async fn session_merge(&self, a: SessionMergeArgs) -> Result<SessionMerged, ControlError> {
        let app = self.app();
        let (dup, keep) = (app.tokens.get(&a.token_id)?, app.tokens.get(&a.into_token_id)?);
        if dup.session_id == keep.session_id {
            return Err(ControlError::InvalidInput("both tokens already use the same session".into()));
        }
        if dup.account.is_none() || dup.account != keep.account {
            return Err(ControlError::InvalidInput("the two sessions are not logged in to the same account".into()));
        }
        let (from, to) = (dup.session_id.clone(), keep.session_id.clone());
        let a2 = app.clone();
        let moved = blocking(move || a2.tokens.move_session(&from, &to)).await??;
        if let Err(e) = crate::login::sign_out(&app.sessions, &dup.session_id).await {
            tracing::warn!("the duplicate session could not be signed out of Telegram ({e}); deleting it here");
            let _ = app.sessions.delete(&dup.session_id).await;
        }
        Ok(SessionMerged { kept: keep.session_id, signed_out: dup.session_id, moved })
    }

    pub async fn session_sign_out(&self, a: SignOutArgs) -> Result<SignedOut, ControlError> {
        let app = self.app();
        let rec = app.tokens.get(&a.token_id)?;
        crate::login::sign_out(&app.sessions, &rec.session_id).await?;
        let ids: Vec<String> =
            app.tokens.list()?.into_iter().filter(|r| r.session_id == rec.session_id).map(|r| r.id).collect();
        let a2 = app.clone();
        let revoked = blocking(move || -> Result<Vec<String>, IndexError> {
            ids.into_iter().map(|id| a2.tokens.revoke(&id).map(|r| r.id)).collect()
        })
        .await??;
        Ok(SignedOut { signed_out: rec.session_id, revoked })
    }
}
