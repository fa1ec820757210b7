//! Telegram login flows shared by the CLI and the GUI: phone → code → 2FA
//! password, and QR login (with 2FA after the scan). Each flow logs in one
//! session; pending flows are kept in memory under an unguessable id and
//! expire after 15 minutes. Wrong codes and passwords can be retried.

use crate::sessions::{Lease, Sessions};
use crate::telegram::{TgClient, TgError};
use base64::Engine;
use grammers_client::client::{LoginToken, PasswordToken};
use grammers_client::{SignInError, tl};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long one QR poll waits for the scan before returning the same code.
pub const QR_LONG_POLL_SECS: u64 = 3;

/// How long a started login stays usable.
pub const LOGIN_TTL: Duration = Duration::from_secs(15 * 60);

/// The logged-in account, as shown to the user.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Account {
    /// Telegram user id.
    pub user_id: i64,
    /// Display name.
    pub name: String,
    /// @username, if any.
    pub username: Option<String>,
    /// Phone with the middle digits masked.
    pub phone_masked: Option<String>,
}

impl Account {
    /// A one-line label for token lists.
    pub fn label(&self) -> String {
        match &self.username {
            Some(u) => format!("{} (@{u})", self.name),
            None => self.name.clone(),
        }
    }
}

/// Where a login flow stands after a step.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "next", rename_all = "snake_case")]
pub enum LoginStep {
    /// A code was sent (to the Telegram app or by SMS); submit it next.
    Code {
        /// The flow id.
        login_id: String,
    },
    /// The account has a 2FA password; submit it next.
    Password {
        /// The flow id.
        login_id: String,
        /// The password hint set by the user, if any.
        hint: Option<String>,
    },
    /// Show this QR code (a `tg://login` URL) and poll until scanned.
    Qr {
        /// The flow id.
        login_id: String,
        /// The URL to render as a QR code.
        url: String,
        /// When the code expires (Unix seconds); polling after that returns a fresh one.
        expires_at: i64,
    },
    /// Logged in.
    Done {
        /// The session now logged in.
        session_id: String,
        /// Who.
        account: Account,
        /// What the flow was started for (kept in this process, never sent).
        #[serde(skip)]
        purpose: LoginPurpose,
    },
}

/// What a login flow is for: the label of the token it issues, or the token whose session it logs in again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginPurpose {
    /// Label of the token issued when the flow is done (for a new session).
    pub label: String,
    /// The token whose session the flow logs in again, if any (then no token is issued).
    pub token_id: Option<String>,
}

/// Login failures; the flow survives `InvalidCode`/`InvalidPassword` for a retry.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LoginError {
    /// The code was wrong or expired; try again.
    #[error("the code is invalid or expired; check it and try again")]
    InvalidCode,
    /// The 2FA password was wrong; try again.
    #[error("wrong 2FA password; try again")]
    InvalidPassword,
    /// No such (or an expired) login flow.
    #[error("this login has expired or does not exist; start again")]
    UnknownLogin,
    /// The step does not fit the flow's state (e.g. a password before the code).
    #[error("unexpected step: {0}")]
    WrongStep(&'static str),
    /// The phone number is not valid.
    #[error("invalid phone number: use the international format, e.g. +15551234567")]
    InvalidPhone,
    /// This number has no Telegram account (sign up in an official app first).
    #[error("this phone number has no Telegram account; sign up with an official Telegram app first")]
    SignUpRequired,
    /// Telegram or local failure.
    #[error(transparent)]
    Telegram(#[from] TgError),
}

impl LoginError {
    /// A stable machine-readable code for UIs (`invalid_code`, `invalid_password`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            LoginError::InvalidCode => "invalid_code",
            LoginError::InvalidPassword => "invalid_password",
            LoginError::UnknownLogin => "unknown_login",
            LoginError::WrongStep(_) => "wrong_step",
            LoginError::InvalidPhone => "invalid_phone",
            LoginError::SignUpRequired => "sign_up_required",
            LoginError::Telegram(_) => "telegram_error",
        }
    }
}

impl From<grammers_client::InvocationError> for LoginError {
    fn from(e: grammers_client::InvocationError) -> Self {
        LoginError::Telegram(e.into())
    }
}

enum Stage {
    Code(LoginToken),
    Password(PasswordToken),
    Qr {
        /// The step last shown (returned again until it expires or the code is scanned).
        shown: LoginStep,
        expires_at: i64,
        /// `updateLoginToken` count when it was shown.
        scans: u64,
    },
    /// A QR login that has no code yet (or must fetch a new one).
    QrNew,
    /// The stage was taken by the step holding the flow's turn.
    Taken,
}

/// One flow: its stage, what it is for, and its turn (steps and cancel run one at a time).
struct Pending {
    session_id: String,
    client: Lease,
    stage: Stage,
    purpose: LoginPurpose,
    turn: Arc<tokio::sync::Mutex<()>>,
    started: Instant,
}

/// All pending logins of this process: the one owner of login flow state.
pub struct Logins {
    /// API id and hash; they can arrive while running ([`Logins::set_credentials`]).
    credentials: std::sync::Mutex<(Option<i32>, Option<String>)>,
    pending: Mutex<HashMap<String, Pending>>,
}

impl Logins {
    /// Login flows using the app's API credentials.
    pub fn new(api_id: Option<i32>, api_hash: Option<String>) -> Self {
        Logins { credentials: std::sync::Mutex::new((api_id, api_hash)), pending: Mutex::new(HashMap::new()) }
    }

    /// New API credentials: logins started from now on use them.
    pub fn set_credentials(&self, api_id: i32, api_hash: String) {
        *self.credentials.lock().unwrap_or_else(|p| p.into_inner()) = (Some(api_id), Some(api_hash));
    }

    fn credentials(&self) -> Result<(i32, String), LoginError> {
        match &*self.credentials.lock().unwrap_or_else(|p| p.into_inner()) {
            (Some(id), Some(hash)) => Ok((*id, hash.clone())),
            _ => Err(TgError::Config(
                "API_ID and API_HASH must be set to log in (get them at https://my.telegram.org/apps)".into(),
            )
            .into()),
        }
    }

    /// Sends a login code to `phone` for `session_id`.
    pub async fn start_code(
        &self,
        sessions: &Sessions,
        session_id: &str,
        phone: &str,
        purpose: LoginPurpose,
    ) -> Result<LoginStep, LoginError> {
        let phone = normalize_phone(phone).ok_or(LoginError::InvalidPhone)?;
        let (_, hash) = self.credentials()?;
        let client = sessions.client(session_id).await?;
        let token = client.raw().request_login_code(&phone, &hash).await.map_err(|e| match TgError::from(e) {
            TgError::Rpc { name, .. } if name.starts_with("PHONE_NUMBER_INVALID") => LoginError::InvalidPhone,
            other => LoginError::Telegram(other),
        })?;
        tracing::info!(session = %session_id, phone = %mask_phone(&phone), "login code requested");
        Ok(LoginStep::Code { login_id: self.insert(session_id, client, Stage::Code(token), purpose).await })
    }

    /// Submits the code of a phone login.
    pub async fn submit_code(&self, login_id: &str, code: &str) -> Result<LoginStep, LoginError> {
        let code: String = code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(LoginError::InvalidCode);
        }
        let _turn = self.turn(login_id).await?;
        let (session_id, client, stage) = self.take(login_id).await?;
        let Stage::Code(token) = stage else {
            self.put_back(login_id, stage).await;
            return Err(LoginError::WrongStep("this login is not waiting for a code"));
        };
        match client.raw().sign_in(&token, &code).await {
            Ok(user) => self.finish(login_id, &session_id, &user).await,
            Err(SignInError::PasswordRequired(pw)) => {
                let hint = pw.hint().map(str::to_string);
                self.put_back(login_id, Stage::Password(pw)).await;
                Ok(LoginStep::Password { login_id: login_id.to_string(), hint })
            }
            Err(SignInError::InvalidCode) => {
                self.put_back(login_id, Stage::Code(token)).await;
                Err(LoginError::InvalidCode)
            }
            Err(SignInError::SignUpRequired) => {
                self.pending.lock().await.remove(login_id);
                Err(LoginError::SignUpRequired)
            }
            Err(SignInError::Other(e)) => {
                self.put_back(login_id, Stage::Code(token)).await;
                Err(e.into())
            }
            Err(SignInError::InvalidPassword(pw)) => {
                self.put_back(login_id, Stage::Password(pw)).await;
                Err(LoginError::InvalidPassword)
            }
        }
    }

    /// Submits the 2FA password.
    pub async fn submit_password(&self, login_id: &str, password: &str) -> Result<LoginStep, LoginError> {
        let _turn = self.turn(login_id).await?;
        let (session_id, client, stage) = self.take(login_id).await?;
        let Stage::Password(pw) = stage else {
            self.put_back(login_id, stage).await;
            return Err(LoginError::WrongStep("this login is not waiting for a password"));
        };
        match client.raw().check_password(pw, password.as_bytes()).await {
            Ok(user) => self.finish(login_id, &session_id, &user).await,
            Err(SignInError::InvalidPassword(pw)) => {
                self.put_back(login_id, Stage::Password(pw)).await;
                Err(LoginError::InvalidPassword)
            }
            Err(SignInError::Other(e)) => {
                // The password token is single-use on failure; fetch a fresh one so the user can retry.
                let err = LoginError::from(e);
                match fetch_password_token(&client).await {
                    Ok(pw) => self.put_back(login_id, Stage::Password(pw)).await,
                    Err(_) => {
                        self.pending.lock().await.remove(login_id);
                    }
                }
                Err(err)
            }
            Err(_) => {
                self.pending.lock().await.remove(login_id);
                Err(LoginError::WrongStep("unexpected answer to the password"))
            }
        }
    }

    /// Starts a QR login for `session_id`.
    pub async fn start_qr(
        &self,
        sessions: &Sessions,
        session_id: &str,
        purpose: LoginPurpose,
    ) -> Result<LoginStep, LoginError> {
        self.credentials()?;
        let client = sessions.client(session_id).await?;
        let login_id = self.insert(session_id, client, Stage::QrNew, purpose).await;
        self.poll_qr(&login_id).await
    }

    /// Polls a QR login (long-polling up to [`QR_LONG_POLL_SECS`]): the same code while it is
    /// valid and unscanned, a fresh one after it expired, the password step after a scan of a
    /// 2FA account, or done. The code is never replaced while it is valid, so a phone can scan it.
    pub async fn poll_qr(&self, login_id: &str) -> Result<LoginStep, LoginError> {
        let (api_id, api_hash) = self.credentials()?;
        let _turn = self.turn(login_id).await?;
        let (session_id, client, stage) = self.take(login_id).await?;
        match stage {
            // Same code until it expires or Telegram tells us it was scanned: a phone may be
            // scanning the one on screen right now.
            Stage::Qr { shown, expires_at, scans } if crate::clock::now() < expires_at - 1 => {
                // Long-poll: wait (briefly) for Telegram to tell us the code was scanned.
                let left = (expires_at - 1 - crate::clock::now()).max(0) as u64;
                let wait = std::time::Duration::from_secs(left.min(QR_LONG_POLL_SECS));
                if !client.wait_login_token_update(scans, wait).await {
                    self.put_back(login_id, Stage::Qr { shown: shown.clone(), expires_at, scans }).await;
                    return Ok(shown);
                }
            }
            Stage::Qr { .. } | Stage::QrNew => {}
            other => {
                self.put_back(login_id, other).await;
                return Err(LoginError::WrongStep("this login is not a QR login"));
            }
        }
        let scans = client.login_token_updates();
        let req = tl::functions::auth::ExportLoginToken { api_id, api_hash: api_hash.to_string(), except_ids: vec![] };
        let mut answer = client.raw().invoke(&req).await;
        if let Ok(tl::enums::auth::LoginToken::MigrateTo(m)) = &answer {
            answer = client
                .raw()
                .invoke_in_dc(m.dc_id, &tl::functions::auth::ImportLoginToken { token: m.token.clone() })
                .await;
        }
        match answer {
            Ok(tl::enums::auth::LoginToken::Token(t)) => {
                let url =
                    format!("tg://login?token={}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&t.token));
                let step = LoginStep::Qr { login_id: login_id.to_string(), url, expires_at: t.expires as i64 };
                self.put_back(login_id, Stage::Qr { shown: step.clone(), expires_at: t.expires as i64, scans }).await;
                Ok(step)
            }
            Ok(tl::enums::auth::LoginToken::Success(s)) => match s.authorization {
                tl::enums::auth::Authorization::Authorization(_) => {
                    let me = client.raw().get_me().await?;
                    self.finish(login_id, &session_id, &me).await
                }
                tl::enums::auth::Authorization::SignUpRequired(_) => {
                    self.pending.lock().await.remove(login_id);
                    Err(LoginError::SignUpRequired)
                }
            },
            Ok(tl::enums::auth::LoginToken::MigrateTo(_)) => {
                self.put_back(login_id, Stage::QrNew).await;
                Err(TgError::Network("QR login needs another data centre; try again".into()).into())
            }
            Err(e) if e.is("SESSION_PASSWORD_NEEDED") => {
                let pw = fetch_password_token(&client).await?;
                let hint = pw.hint().map(str::to_string);
                self.put_back(login_id, Stage::Password(pw)).await;
                Ok(LoginStep::Password { login_id: login_id.to_string(), hint })
            }
            Err(e) => {
                self.put_back(login_id, Stage::QrNew).await;
                Err(e.into())
            }
        }
    }

    /// Abandons a pending login once the step it may be running has finished; the session of
    /// the flow, if it was still pending.
    pub async fn cancel(&self, login_id: &str) -> Option<String> {
        let _turn = self.turn(login_id).await.ok()?;
        self.pending.lock().await.remove(login_id).map(|p| p.session_id)
    }

    /// The session a pending login belongs to.
    pub async fn session_of(&self, login_id: &str) -> Option<String> {
        self.pending.lock().await.get(login_id).map(|p| p.session_id.clone())
    }

    async fn insert(&self, session_id: &str, client: Lease, stage: Stage, purpose: LoginPurpose) -> String {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut map = self.pending.lock().await;
        map.retain(|_, p| p.started.elapsed() < LOGIN_TTL);
        let pending = Pending {
            session_id: session_id.to_string(),
            client,
            stage,
            purpose,
            turn: Arc::default(),
            started: Instant::now(),
        };
        map.insert(id.clone(), pending);
        id
    }

    /// Waits for the flow's turn: a step or cancel still running on it finishes first.
    async fn turn(&self, login_id: &str) -> Result<tokio::sync::OwnedMutexGuard<()>, LoginError> {
        let turn = self.pending.lock().await.get(login_id).map(|p| p.turn.clone()).ok_or(LoginError::UnknownLogin)?;
        Ok(turn.lock_owned().await)
    }

    async fn take(&self, login_id: &str) -> Result<(String, Lease, Stage), LoginError> {
        let mut map = self.pending.lock().await;
        let p = map.get_mut(login_id).ok_or(LoginError::UnknownLogin)?;
        if p.started.elapsed() >= LOGIN_TTL {
            map.remove(login_id);
            return Err(LoginError::UnknownLogin);
        }
        let stage = std::mem::replace(&mut p.stage, Stage::Taken);
        Ok((p.session_id.clone(), p.client.clone(), stage))
    }

    async fn put_back(&self, login_id: &str, stage: Stage) {
        if let Some(p) = self.pending.lock().await.get_mut(login_id) {
            p.stage = stage;
        }
    }

    async fn finish(
        &self,
        login_id: &str,
        session_id: &str,
        user: &grammers_client::peer::User,
    ) -> Result<LoginStep, LoginError> {
        let pending = self.pending.lock().await.remove(login_id);
        if let Some(p) = &pending {
            p.client.logged_in();
        }
        let purpose = pending.map(|p| p.purpose).unwrap_or_default();
        let account = account_of(user);
        tracing::info!(session = %session_id, user_id = account.user_id, "logged in");
        Ok(LoginStep::Done { session_id: session_id.to_string(), account, purpose })
    }
}

/// Signs a session out on Telegram's side (auth.logOut) and deletes its file.
pub async fn sign_out(sessions: &Sessions, session_id: &str) -> Result<(), TgError> {
    if sessions.exists(session_id) {
        let client = sessions.client(session_id).await?;
        match client.raw().sign_out().await {
            Ok(_) => {}
            Err(e) => match TgError::from(e) {
                // Already logged out on the server: still remove the local file.
                TgError::NotAuthorized => {}
                other => return Err(other),
            },
        }
    }
    sessions.delete(session_id).await?;
    Ok(())
}

/// The account of a grammers user.
pub fn account_of(user: &grammers_client::peer::User) -> Account {
    Account {
        user_id: user.id().bare_id_unchecked(),
        name: user.full_name(),
        username: user.username().map(str::to_string),
        phone_masked: user.phone().map(mask_phone),
    }
}

async fn fetch_password_token(client: &TgClient) -> Result<PasswordToken, LoginError> {
    let tl::enums::account::Password::Password(pw) =
        client.raw().invoke(&tl::functions::account::GetPassword {}).await?;
    Ok(PasswordToken::new(pw))
}

/// `+` and 7–15 digits after removing spaces, dashes, dots and parentheses; `None` if invalid.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '+')).collect();
    let ok = (7..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0');
    ok.then(|| format!("+{digits}"))
}

/// Masks the middle of a phone number for logs and lists: `+15•••••01`.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() < 5 {
        return "•••".into();
    }
    let head: String = digits[..2].iter().collect();
    let tail: String = digits[digits.len() - 2..].iter().collect();
    format!("+{head}{}{tail}", "•".repeat(digits.len() - 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_normalisation_and_masking() {
        assert_eq!(normalize_phone("+1 (555) 000-1").as_deref(), Some("+15550001"));
        assert_eq!(normalize_phone("0123456"), None);
        assert_eq!(normalize_phone("+12ab3456789"), None);
        assert_eq!(normalize_phone("123"), None);
        assert_eq!(mask_phone("+15550001"), "+15••••01");
        assert!(!mask_phone("+15550001").contains("5000"));
    }
}
