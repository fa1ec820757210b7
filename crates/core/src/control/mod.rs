//! The operations behind the setup UI, shared by the tray app's IPC commands, the HTTP setup API
//! (`POST /api/{command}`) and the owner socket (the CLI): one place for status, logins, tokens,
//! settings and client configs, so every front door behaves the same.
//!
//! Every command takes a JSON object and returns the JSON of a typed answer ([`Control::call`]);
//! the commands are listed once, in [`crate::control_commands`]. Errors are a [`ControlError`]
//! serialised as `{"error":{"message","code","retry_after"?}}`. Token plaintexts appear only in the
//! answer that issues them (login done, create, rotate) and in `token_reveal` / `client_configs`,
//! which read them from the OS keyring. Nothing here logs a token or a phone number.

mod at_rest;
mod client_configs;
mod client_setup;
mod commands;
mod error;
mod logins;
mod oversight;
mod settings;
mod status;
mod tokens;
mod types;

#[cfg(test)]
mod tests;

pub use client_configs::{
    CLI_BINARY, TOKEN_ID_PLACEHOLDER, TOKEN_PLACEHOLDER, binary_beside_this_one, build_client_configs, cli_binary_path,
    mcp_url,
};
pub use commands::COMMANDS;
pub use error::ControlError;
pub use logins::DEFAULT_LOGIN_LABEL;
pub use settings::RESTART_FIELDS;
pub use types::*;

use crate::app::App;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

/// A boxed future, for the reload hook.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Rebuilds the app from the configuration on disk and restarts the server (tray app only).
pub type Reloader = Arc<dyn Fn() -> BoxFuture<Result<(Arc<App>, ServerState), String>> + Send + Sync>;

/// The shared operations layer; one per front door. Login flows live in the app's
/// [`Logins`](crate::login::Logins), their one owner.
pub struct Control {
    app: RwLock<Arc<App>>,
    server: RwLock<ServerState>,
    kind: HostKind,
    reloader: Option<Reloader>,
    /// Bumped when the server state is recorded or the app is rebuilt (see [`Control::changes`]).
    host_changed: crate::changes::Signal,
}

impl Control {
    /// A control layer for `app`, reporting `server`.
    pub fn new(app: Arc<App>, kind: HostKind, server: ServerState) -> Self {
        Control {
            app: RwLock::new(app),
            server: RwLock::new(server),
            kind,
            reloader: None,
            host_changed: Default::default(),
        }
    }

    /// Lets this host rebuild its app and restart its server (the tray app).
    pub fn with_reloader(mut self, reloader: Reloader) -> Self {
        self.reloader = Some(reloader);
        self
    }

    /// The current app.
    pub fn app(&self) -> Arc<App> {
        self.app.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The server state last reported.
    pub fn server(&self) -> ServerState {
        self.server.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Records a new server state (after a (re)start).
    pub fn set_server(&self, state: ServerState) {
        *self.server.write().unwrap_or_else(|p| p.into_inner()) = state;
        self.host_changed.bump();
    }

    /// A receiver that changes when the server state is recorded or the app is rebuilt.
    pub fn subscribe_host(&self) -> tokio::sync::watch::Receiver<u64> {
        self.host_changed.subscribe()
    }

    /// A feed of what changes in this host's app (tokens, approvals, sessions, activity,
    /// settings, the server), for pushing to a window instead of polling. Follows the app across
    /// rebuilds.
    pub fn changes(self: &Arc<Self>) -> crate::changes::ChangeFeed {
        let host = self.host_changed.subscribe();
        crate::changes::ChangeFeed {
            sources: crate::changes::Sources::of(&self.app()),
            control: self.clone(),
            host,
            min_gap: crate::changes::DEFAULT_GAP,
            last: None,
        }
    }

    /// Which front door this is.
    pub fn kind(&self) -> HostKind {
        self.kind
    }

    /// Rebuilds the app from the saved configuration and restarts the MCP server (tray app only).
    /// Login flows in progress belong to the old app and end with it.
    pub async fn server_restart(&self) -> Result<ServerState, ControlError> {
        let reloader = self.reloader.clone().ok_or(ControlError::RestartUnsupported)?;
        let (app, server) = reloader().await.map_err(ControlError::Internal)?;
        *self.app.write().unwrap_or_else(|p| p.into_inner()) = app;
        self.set_server(server.clone()); // (wakes the change feeds, which then follow the new app)
        Ok(server)
    }
}

/// Runs keyring/disk work off the async workers.
async fn blocking<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Result<R, ControlError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ControlError::Internal(format!("background task failed: {e}")))
}
