//! Desktop integration: one instance per user, start at login (opt-in), and notifications.

use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use tauri::{AppHandle, Runtime};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_notification::NotificationExt as _;
use tgmcp_core::control::{Control, ServerState, Status};

/// The argument the login item starts the app with: it then stays in the tray, window hidden.
pub const AUTOSTART_ARG: &str = "--autostart";

/// The autostart plugin (a LaunchAgent on macOS, the default): registers nothing until the user
/// turns the setting on.
pub fn autostart_plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_autostart::Builder::new().arg(AUTOSTART_ARG).build()
}

fn ipc_error(e: impl std::fmt::Display) -> Value {
    json!({ "error": { "message": format!("start at login: {e}"), "code": "internal" } })
}

/// IPC `autostart_get`: `{ "enabled": bool }`, read from the OS (login item present or not).
#[tauri::command]
pub fn autostart_get(app: AppHandle) -> Result<Value, Value> {
    let enabled = app.autolaunch().is_enabled().map_err(ipc_error)?;
    Ok(json!({ "enabled": enabled }))
}

/// IPC `autostart_set` with `{ "enabled": bool }`: adds or removes the login item.
#[tauri::command]
pub fn autostart_set(app: AppHandle, args: Option<Value>) -> Result<Value, Value> {
    let enabled = args.as_ref().and_then(|a| a.get("enabled")).and_then(Value::as_bool).ok_or_else(
        || json!({ "error": { "message": "autostart_set needs {\"enabled\": true|false}", "code": "invalid_input" } }),
    )?;
    let al = app.autolaunch();
    if enabled { al.enable() } else { al.disable() }.map_err(ipc_error)?;
    Ok(json!({ "enabled": al.is_enabled().map_err(ipc_error)? }))
}

/// What the user is told about, found by comparing two looks at the app.
#[derive(Debug, Default)]
pub struct Watch {
    logged_in: Option<HashSet<String>>,
    running: Option<bool>,
    pending: usize,
}

/// Title of the note for a write waiting for approval (the window is shown with it).
pub const APPROVAL_TITLE: &str = "An assistant is waiting for your yes";

/// One notification.
#[derive(Debug, PartialEq, Eq)]
pub struct Note {
    pub title: &'static str,
    pub body: String,
}

impl Watch {
    /// The notes for the change since the last look: a token newly logged in, the server stopping.
    /// The first look only remembers.
    /// `logged_in` is `None` when the token list did not change since the last look.
    pub fn look(
        &mut self,
        server: &ServerState,
        logged_in: Option<Vec<(String, String)>>,
        pending: usize,
    ) -> Vec<Note> {
        let mut notes = Vec::new();
        if pending > self.pending {
            notes.push(Note {
                title: APPROVAL_TITLE,
                body: "A message waits for your approval in the fast-mcp-telegram window.".into(),
            });
        }
        self.pending = pending;
        if let Some(logged_in) = logged_in {
            let ids: HashSet<String> = logged_in.iter().map(|(id, _)| id.clone()).collect();
            if let Some(before) = &self.logged_in {
                for (id, account) in &logged_in {
                    if !before.contains(id) {
                        notes.push(Note {
                            title: "New Telegram login",
                            body: format!("{account} is now signed in ({id})."),
                        });
                    }
                }
            }
            self.logged_in = Some(ids);
        }
        if self.running == Some(true) && !server.running {
            let why = server.error.clone().unwrap_or_else(|| "it is not running any more".into());
            notes.push(Note { title: "MCP server stopped", body: format!("Clients cannot reach Telegram: {why}") });
        }
        self.running = Some(server.running);
        notes
    }
}

/// Looks at the app and shows a notification for each change the user must see; a write waiting
/// for approval also brings the window up, where the user answers it.
pub async fn notify_changes(
    app: &AppHandle,
    control: &Arc<Control>,
    watch: &mut Watch,
    status: &Status,
    tokens_changed: bool,
) {
    let logged_in = match tokens_changed {
        true => Some(
            control
                .tokens_list()
                .await
                .map(|l| l.into_iter().filter_map(|t| t.account.map(|a| (t.id, a))).collect())
                .unwrap_or_default(),
        ),
        false => None,
    };
    for note in watch.look(&status.server, logged_in, status.pending_approvals) {
        notify(app, note.title, &note.body);
        if note.title == APPROVAL_TITLE {
            crate::show_window(app);
        }
    }
}

/// Shows a desktop notification (logged when the desktop has no notification service).
pub fn notify(app: &AppHandle, title: &str, body: &str) {
    match app.notification().builder().title(title).body(body).show() {
        Ok(()) => tracing::info!("desktop notification shown: {title}"),
        Err(e) => tracing::warn!("notification not shown ({e}): {title}: {body}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running() -> ServerState {
        ServerState::running("127.0.0.1:8000".parse().unwrap())
    }

    fn login(id: &str) -> (String, String) {
        (id.to_string(), format!("Ann ({id})"))
    }

    #[test]
    fn the_first_look_only_remembers() {
        let mut w = Watch::default();
        assert_eq!(w.look(&running(), Some(vec![login("tok_a")]), 0), vec![]);
    }

    #[test]
    fn a_token_newly_logged_in_is_announced_once() {
        let mut w = Watch::default();
        w.look(&running(), Some(vec![login("tok_a")]), 0);
        let notes = w.look(&running(), Some(vec![login("tok_a"), login("tok_b")]), 0);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].title, "New Telegram login");
        assert!(notes[0].body.contains("tok_b"));
        assert_eq!(w.look(&running(), Some(vec![login("tok_a"), login("tok_b")]), 0), vec![]);
    }

    #[test]
    fn a_server_that_stops_is_announced_with_its_reason() {
        let mut w = Watch::default();
        w.look(&running(), Some(vec![]), 0);
        let notes = w.look(&ServerState::failed("cannot listen on 127.0.0.1:8000"), Some(vec![]), 0);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].title, "MCP server stopped");
        assert!(notes[0].body.contains("cannot listen"));
        assert_eq!(w.look(&ServerState::failed("still"), Some(vec![]), 0), vec![], "once, not on every look");
    }

    #[test]
    fn a_new_write_waiting_for_approval_is_announced() {
        let mut w = Watch::default();
        w.look(&running(), Some(vec![]), 0);
        assert_eq!(w.look(&running(), None, 1)[0].title, APPROVAL_TITLE);
        assert_eq!(w.look(&running(), None, 1), vec![], "the same one is not announced again");
        assert_eq!(w.look(&running(), Some(vec![]), 0), vec![]);
    }

    #[test]
    fn an_unchanged_token_list_keeps_what_was_seen() {
        let mut w = Watch::default();
        w.look(&running(), Some(vec![login("tok_a")]), 0);
        assert_eq!(w.look(&running(), None, 0), vec![]);
        let notes = w.look(&running(), Some(vec![login("tok_a"), login("tok_b")]), 0);
        assert_eq!(notes.len(), 1, "tok_a was remembered across the look without a list");
    }
}
