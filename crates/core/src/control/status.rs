//! `status`: version, server, auth mode, credentials, sessions and token counts.

use super::{Control, ControlError, Status, mcp_url};
use crate::app::App;

impl Control {
    /// Version, server, auth mode, credentials, sessions and token counts.
    pub async fn status(&self) -> Result<Status, ControlError> {
        let app = self.app();
        let server = self.server();
        let tokens = app.tokens.list().unwrap_or_default();
        let mut accounts: Vec<&str> =
            tokens.iter().filter(|t| t.account.is_some()).map(|t| t.session_id.as_str()).collect();
        accounts.sort_unstable();
        accounts.dedup();
        Ok(Status {
            version: env!("CARGO_PKG_VERSION"),
            host: self.kind,
            mcp_url: server.addr.filter(|_| server.running).map(mcp_url),
            server,
            transport: "http",
            auth_disabled: app.settings().disable_auth,
            api_credentials_configured: app.api_configured(),
            keyring_available: app.tokens.keystore().is_available(),
            at_rest: app.sessions.at_rest(),
            pending_approvals: app.approvals.len(),
            dev_acts_as: app
                .dev_token(&tokens)
                .map(|t| format!("{} ({})", t.label, t.account.as_deref().unwrap_or("not logged in"))),
            importable_sessions: crate::import::importable(&app),
            tokens: tokens.len(),
            accounts: accounts.len(),
            active_sessions: app.sessions.active_count(),
            max_sessions: app.sessions.max_active(),
            sessions: app.sessions.activity(),
            uptime_seconds: app.started.elapsed().as_secs(),
            restart_required: self.restart_required(&app),
            can_restart: self.reloader.is_some(),
        })
    }

    pub(super) fn restart_required(&self, app: &App) -> Vec<&'static str> {
        let mut out = Vec::new();
        let port = app.settings().port;
        let running = self.server().addr.map(|a| a.port());
        if port != 0 && running.is_some_and(|p| p != port) {
            out.push("port");
        }
        out
    }
}
