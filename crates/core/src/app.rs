//! Shared application state: configuration, token index, sessions.

use crate::config::{Config, ConfigError, Settings, Startup, Transport};
use crate::keystore::KeyStore;
use crate::login::Logins;
use crate::sessions::{PoolLimits, Sessions};
use crate::settings::write_settings_file;
use crate::telegram::ConnectOptions;
use crate::token_index::TokenIndex;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long after the first token use since the last write the last-use times are written.
const LAST_USED_BATCH: Duration = Duration::from_secs(5);

/// Who a request acts for: the session selected by its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Non-secret session id.
    pub session_id: String,
    /// Non-secret id of the token used, if any (none for stdio/dev mode).
    pub token_id: Option<String>,
    /// Transport the request came over (local file paths are allowed only on stdio).
    pub transport: Transport,
}

/// Everything the server needs, shared by the transports and tools.
pub struct App {
    /// The configuration fixed at start (see [`App::settings`] for the live, changeable part).
    pub config: Startup,
    settings: RwLock<Settings>,
    /// Bumped when the settings change (windows showing them refresh).
    settings_changed: crate::changes::Signal,
    /// Setting variables the environment fixes (they would undo a change at the next start).
    env_fixed: Vec<&'static str>,
    /// Whether the environment fixes the API credentials.
    api_from_env: bool,
    /// The API credentials in use: those of the start, or those entered since ([`App::apply_api_credentials`]).
    api: RwLock<(Option<i32>, Option<String>)>,
    /// Token digests → sessions.
    pub tokens: TokenIndex,
    /// Session files and connected clients.
    pub sessions: Sessions,
    /// Pending Telegram logins.
    pub logins: Logins,
    /// Attachment download tickets.
    pub tickets: crate::attachments::Tickets,
    /// What every tool call did.
    pub activity: crate::activity::ActivityLog,
    /// Writes waiting for the user's yes.
    pub approvals: crate::approvals::Approvals,
    /// Write limits, FLOOD_WAIT and idempotency keys.
    pub pacing: crate::pacing::Pacing,
    /// Chat folders read for token scopes, briefly cached per session.
    pub folders: crate::tools::folders::FolderCache,
    /// When the server started.
    pub started: Instant,
}

/// Errors while building the app.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Token index problem.
    #[error(transparent)]
    Index(#[from] crate::token_index::IndexError),
    /// Session dir problem.
    #[error("session directory: {0}")]
    Io(#[from] std::io::Error),
    /// The config dir holds files of another user.
    #[error(transparent)]
    Permissions(#[from] crate::fsutil::PermissionError),
}

impl App {
    /// Builds the shared state from a config and a keyring.
    pub fn new(config: Config, keystore: KeyStore) -> Result<Arc<App>, AppError> {
        let Config { startup: config, settings, env_fixed, api_from_env } = config;
        // The owner checks (and tightens) the config dir's permissions at every start.
        crate::fsutil::repair_permissions(&config.session_dir)?;
        let tokens = TokenIndex::open(&config.session_dir, keystore)?;
        let seal = tokens.keystore().seal_key(&config.session_dir).unwrap_or_else(|e| {
            tracing::warn!(
                "cannot read the session key from the OS keyring ({e}); new sessions are stored plain (0600)"
            );
            None
        });
        let connect = config.api_id.map(|api_id| ConnectOptions {
            api_id,
            dc_override: config.dc_override,
            auto_retry: false,
            seal: seal.clone(),
        });
        let limits = PoolLimits {
            max_active: config.max_active_sessions,
            slot_wait: config.session_slot_wait,
            idle_close: config.session_idle,
        };
        let sessions = Sessions::new(&config.session_dir, limits, connect, seal)?;
        let logins = Logins::new(config.api_id, config.api_hash.clone());
        let api = (config.api_id, config.api_hash.clone());
        let activity = crate::activity::ActivityLog::new(&config.session_dir);
        let approvals = crate::approvals::Approvals::new(config.approval_timeout);
        Ok(Arc::new(App {
            config,
            settings: RwLock::new(settings),
            settings_changed: Default::default(),
            env_fixed,
            api_from_env,
            api: RwLock::new(api),
            tokens,
            sessions,
            logins,
            tickets: Default::default(),
            activity,
            approvals,
            pacing: Default::default(),
            folders: Default::default(),
            started: Instant::now(),
        }))
    }
}

impl App {
    /// Starts the owner's housekeeping (closing idle clients, writing last-use times and the
    /// activity log in batches) until the app is dropped. Needs a Tokio runtime.
    pub fn start_background(self: &Arc<Self>) {
        // The tool schemas are generated once per process: do it before the first client asks.
        tokio::task::spawn_blocking(crate::mcp::TelegramMcp::prepare_catalog);
        let weak = Arc::downgrade(self);
        let queued = self.activity.queued();
        tokio::spawn(async move {
            // Woken only when a line is queued: an idle owner does not wake up for the log.
            loop {
                queued.notified().await;
                tokio::time::sleep(Duration::from_secs(1)).await;
                let Some(app) = weak.upgrade() else { return };
                let a = app.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    if let Err(e) = a.activity.flush() {
                        tracing::warn!("cannot write the activity log: {e}");
                    }
                })
                .await;
            }
        });
        // Last-use times: written a few seconds after the first use since the last write (one
        // write per burst), never on a timer.
        let weak = Arc::downgrade(self);
        let noted = self.tokens.uses_noted();
        tokio::spawn(async move {
            loop {
                noted.notified().await;
                tokio::time::sleep(LAST_USED_BATCH).await;
                let Some(app) = weak.upgrade() else { return };
                let _ = tokio::task::spawn_blocking(move || app.tokens.flush_last_used()).await;
            }
        });
        // Idle Telegram connections: closed when the first of them falls idle, so an owner
        // nobody uses sleeps until then (and for good once none is connected).
        let weak = Arc::downgrade(self);
        let mut connected = self.sessions.subscribe();
        tokio::spawn(async move {
            loop {
                let next = match weak.upgrade() {
                    Some(app) => app.sessions.next_idle_close(),
                    None => return,
                };
                let due = async {
                    match next {
                        Some(at) => tokio::time::sleep_until(at.into()).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = due => {}
                    r = connected.changed() => if r.is_err() { return },
                }
                let Some(app) = weak.upgrade() else { return };
                app.sessions.close_idle();
            }
        });
    }

    /// Writes what is pending and closes every Telegram connection cleanly.
    pub async fn shutdown(&self) {
        self.tokens.flush_last_used();
        if let Err(e) = self.activity.flush() {
            tracing::warn!("cannot write the activity log: {e}");
        }
        self.sessions.shutdown().await;
    }

    /// Who a request without a token acts as (the development bypass, stdio without a token):
    /// the token chosen in the settings, else the first token whose session is logged in, with
    /// that token's policy; the never-logged-in `default` session when there is none.
    pub fn dev_identity(&self, transport: Transport) -> Identity {
        let tokens = self.tokens.list().unwrap_or_default();
        match self.dev_token(&tokens) {
            Some(t) => Identity { session_id: t.session_id.clone(), token_id: Some(t.id.clone()), transport },
            None => Identity { session_id: crate::sessions::DEFAULT_SESSION_ID.into(), token_id: None, transport },
        }
    }

    /// Of `tokens`, the one requests without a token act as (see [`App::dev_identity`]).
    pub fn dev_token<'a>(
        &self,
        tokens: &'a [crate::token_index::TokenRecord],
    ) -> Option<&'a crate::token_index::TokenRecord> {
        match self.settings().dev_token_id {
            Some(id) => tokens.iter().find(|t| t.id == id),
            None => tokens.iter().find(|t| t.account.is_some()),
        }
    }

    /// The live settings.
    pub fn settings(&self) -> Settings {
        self.settings.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The API id and hash in use (`None` until the user gives them).
    pub fn api_credentials(&self) -> (Option<i32>, Option<String>) {
        self.api.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether both API credentials are known, so Telegram can be reached.
    pub fn api_configured(&self) -> bool {
        matches!(self.api_credentials(), (Some(_), Some(_)))
    }

    /// Uses new API credentials from now on, without a restart: new connections and logins
    /// take them at once (idle connected clients are closed and reconnect with them). Callers
    /// check [`App::api_from_env`] first: the environment would win again at the next start.
    pub fn apply_api_credentials(&self, api_id: i32, api_hash: String) {
        self.sessions.set_api_id(api_id, self.config.dc_override);
        self.logins.set_credentials(api_id, api_hash.clone());
        *self.api.write().unwrap_or_else(|p| p.into_inner()) = (Some(api_id), Some(api_hash));
        self.settings_changed.bump(); // (the status line says whether credentials are set)
        tracing::info!(api_id, "new API credentials in use");
    }

    /// Whether the environment sets the API credentials (the setup page cannot change them).
    pub fn api_from_env(&self) -> bool {
        self.api_from_env
    }

    /// Setting variables the environment (or `.env`) fixes: shown read-only, changes refused.
    pub fn env_fixed(&self) -> &[&'static str] {
        &self.env_fixed
    }

    /// Validates, persists and applies new settings. Nothing changes if validation or saving
    /// fails, or if the change touches a setting the environment fixes (the next start would
    /// undo it).
    pub fn update_settings(&self, new: Settings) -> Result<Settings, ConfigError> {
        let new = new.validate()?;
        let old = self.settings();
        if let Some(var) = old.changed_vars(&new).into_iter().find(|v| self.env_fixed.contains(v)) {
            return Err(ConfigError {
                var,
                reason: "is set in the environment (or .env), which wins at every start; change it there".into(),
            });
        }
        write_settings_file(&self.config.session_dir, &new)
            .map_err(|e| ConfigError { var: "SESSION_DIR", reason: format!("cannot save settings: {e}") })?;
        if new.disable_auth != old.disable_auth {
            if new.disable_auth {
                tracing::warn!("!!! auth bypass (DISABLE_AUTH) switched ON: HTTP requests need no token !!!");
            } else {
                tracing::info!("auth bypass switched off: HTTP requests need a token again");
            }
        }
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = new.clone();
        self.settings_changed.bump();
        Ok(new)
    }

    /// A receiver that changes after every settings change.
    pub fn subscribe_settings(&self) -> tokio::sync::watch::Receiver<u64> {
        self.settings_changed.subscribe()
    }
}
