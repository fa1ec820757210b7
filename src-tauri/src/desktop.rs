//! Desktop integration of the tray process: start at login (opt-in), the clipboard, and
//! notifications, with the crates Tauri's official plugins use underneath (auto-launch, arboard,
//! notify-rust), so the tray process needs no web engine.

use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tgmcp_core::control::{Control, ServerState, Status};
use tgmcp_core::owner::protocol::WireError;

/// The argument the login item starts the app with: it then stays in the tray, window hidden.
pub const AUTOSTART_ARG: &str = "--autostart";

/// The name of the login item (as Tauri's autostart plugin named it: the product name), so an
/// entry made by an earlier version is the same entry.
const LOGIN_ITEM_NAME: &str = "fast-mcp-telegram";

fn login_item() -> Result<auto_launch::AutoLaunch, WireError> {
    let exe = std::env::current_exe().map_err(login_item_error)?;
    // An AppImage runs from a temporary mount: the login item must start the image itself.
    let path = std::env::var_os("APPIMAGE").map(std::path::PathBuf::from).unwrap_or(exe);
    let mut b = auto_launch::AutoLaunchBuilder::new();
    b.set_app_name(LOGIN_ITEM_NAME).set_app_path(&path.to_string_lossy()).set_args(&[AUTOSTART_ARG]);
    #[cfg(target_os = "macos")]
    b.set_macos_launch_mode(auto_launch::MacOSLaunchMode::LaunchAgent);
    b.build().map_err(login_item_error)
}

fn login_item_error(e: impl std::fmt::Display) -> WireError {
    WireError::new("internal", format!("start at login: {e}"))
}

/// `autostart_get`: `{ "enabled": bool }`, read from the OS (login item present or not).
pub fn autostart_get() -> Result<Value, WireError> {
    let enabled = login_item()?.is_enabled().map_err(login_item_error)?;
    Ok(json!({ "enabled": enabled }))
}

/// `autostart_set` with `{ "enabled": bool }`: adds or removes the login item.
pub fn autostart_set(args: &Value) -> Result<Value, WireError> {
    let enabled = args
        .get("enabled")
        .and_then(Value::as_bool)
        .ok_or_else(|| WireError::new("invalid_input", "autostart_set needs {\"enabled\": true|false}"))?;
    let item = login_item()?;
    let done = if enabled { item.enable() } else { item.disable() };
    match done {
        Ok(()) => {}
        // Removing an entry that is not there is done.
        Err(auto_launch::Error::Io(e)) if !enabled && e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(login_item_error(e)),
    }
    Ok(json!({ "enabled": item.is_enabled().map_err(login_item_error)? }))
}

/// The system clipboard, held for the life of the tray process: on X11 the owner of a selection
/// serves it, so text copied here stays pasteable after the window closes.
#[derive(Default)]
pub struct Clipboard(Mutex<Option<arboard::Clipboard>>);

impl Clipboard {
    /// Puts `text` on the clipboard.
    pub fn write(&self, text: &str) -> Result<(), String> {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if held.is_none() {
            *held = Some(arboard::Clipboard::new().map_err(|e| format!("clipboard: {e}"))?);
        }
        let clipboard = held.as_mut().expect("set above");
        clipboard.set_text(text).map_err(|e| format!("clipboard: {e}"))
    }
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
/// for approval also brings the window up (`show_window`), where the user answers it.
pub async fn notify_changes(
    control: &Arc<Control>,
    watch: &mut Watch,
    status: &Status,
    tokens_changed: bool,
    show_window: &(dyn Fn() + Send + Sync),
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
        notify(note.title, &note.body).await;
        if note.title == APPROVAL_TITLE {
            show_window();
        }
    }
}

/// Shows a desktop notification (logged when the desktop has no notification service). The
/// D-Bus call blocks, so it runs off the async threads.
pub async fn notify(title: &str, body: &str) {
    let (t, b) = (title.to_string(), body.to_string());
    let shown = tokio::task::spawn_blocking(move || {
        notify_rust::Notification::new().appname(LOGIN_ITEM_NAME).summary(&t).body(&b).show().map(|_| ())
    })
    .await;
    match shown {
        Ok(Ok(())) => tracing::info!("desktop notification shown: {title}"),
        Ok(Err(e)) => tracing::warn!("notification not shown ({e}): {title}: {body}"),
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
