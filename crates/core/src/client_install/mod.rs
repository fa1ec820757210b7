//! One-click client setup: add our stdio server to an MCP client's own config file, or remove it.
//!
//! For each supported client ([`Client`]) this finds the user-level config file in its platform
//! location ([`Locations`]) and merges one entry named `telegram` into it:
//!
//! 1. Other servers and everything else in the file stay as written (JSON and JSON-with-comments
//!    through a syntax tree, Codex's TOML through `toml_edit`).
//! 2. A malformed file, or a `telegram` server that is not ours, is refused and nothing is written.
//! 3. Adding what is already there writes nothing; before any change the old file is copied to
//!    `<file>.fast-mcp-telegram.bak` beside it.
//! 4. Removing after an add that was the only change gives back the original bytes (the backup,
//!    or no file at all when the add created it).
//! 5. Entries hold no secret: `fast-mcp-telegram serve --transport stdio --token-id tok_…`, which
//!    relays to the owner over an owner-only socket ([`StdioEntry`]).

mod json;
pub mod ops;
mod paths;
mod toml;

pub use paths::{Locations, Os};

use crate::config::Startup;
use serde::Serialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The name of our entry in every client's server list.
pub const SERVER_NAME: &str = "telegram";

/// Suffix of the copy kept of a config file before we change it.
pub const BACKUP_SUFFIX: &str = ".fast-mcp-telegram.bak";

/// An MCP client whose config file we know how to edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Client {
    /// Claude Desktop (`claude_desktop_config.json`, `mcpServers`).
    ClaudeDesktop,
    /// Claude Code, user scope (`~/.claude.json`, `mcpServers`, `"type": "stdio"`).
    ClaudeCode,
    /// Cursor (`~/.cursor/mcp.json`, `mcpServers`).
    Cursor,
    /// VS Code (user `mcp.json`, `servers`, `"type": "stdio"`).
    #[serde(rename = "vscode")]
    VsCode,
    /// Windsurf (`~/.codeium/windsurf/mcp_config.json`, `mcpServers`).
    Windsurf,
    /// Codex (`~/.codex/config.toml`, `[mcp_servers.telegram]`).
    Codex,
}

impl Client {
    /// Every supported client, in display order.
    pub const ALL: [Client; 6] =
        [Client::ClaudeDesktop, Client::ClaudeCode, Client::Cursor, Client::VsCode, Client::Windsurf, Client::Codex];

    /// Stable id, as the CLI and the control layer spell it (`claude_desktop`, `vscode`, …).
    pub fn id(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "claude_desktop",
            Client::ClaudeCode => "claude_code",
            Client::Cursor => "cursor",
            Client::VsCode => "vscode",
            Client::Windsurf => "windsurf",
            Client::Codex => "codex",
        }
    }

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "Claude Desktop",
            Client::ClaudeCode => "Claude Code",
            Client::Cursor => "Cursor",
            Client::VsCode => "VS Code",
            Client::Windsurf => "Windsurf",
            Client::Codex => "Codex",
        }
    }

    /// The client by id; `-` and `_` are interchangeable (`claude-desktop`).
    pub fn from_id(id: &str) -> Option<Client> {
        let id = id.trim().to_ascii_lowercase().replace('-', "_");
        Client::ALL.into_iter().find(|c| c.id() == id || (id == "vs_code" && *c == Client::VsCode))
    }

    /// The key of the server map in a JSON config.
    fn servers_key(self) -> &'static str {
        if self == Client::VsCode { "servers" } else { "mcpServers" }
    }

    /// Whether entries name their transport (`"type": "stdio"`).
    fn typed(self) -> bool {
        matches!(self, Client::ClaudeCode | Client::VsCode)
    }
}

/// Our stdio server entry: the headless binary, acting as one token by its non-secret id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StdioEntry {
    /// Absolute path of `fast-mcp-telegram` (clients start servers with a minimal `PATH`).
    pub command: String,
    /// `serve --transport stdio --token-id tok_…`.
    pub args: Vec<String>,
    /// Only what differs from the defaults (`SESSION_DIR`, `TELEGRAM_DC_ADDR`), sorted by name.
    pub env: Vec<(String, String)>,
}

impl StdioEntry {
    /// The entry for `token_id` with the binary at `binary`; `config` says which config dir to use.
    pub fn new(config: &Startup, binary: &str, token_id: &str) -> StdioEntry {
        let mut env = Vec::new();
        if crate::config::default_config_dir().as_deref() != Some(config.session_dir.as_path()) {
            env.push(("SESSION_DIR".to_string(), config.session_dir.to_string_lossy().into_owned()));
        }
        if let Some(dc) = config.dc_override {
            env.push(("TELEGRAM_DC_ADDR".to_string(), dc.to_string()));
        }
        env.sort();
        let args = ["serve", "--transport", "stdio", "--token-id", token_id].map(String::from).to_vec();
        StdioEntry { command: binary.to_string(), args, env }
    }

    /// `{command, args, env}`, the shape every JSON client shares.
    pub fn to_json(&self) -> Value {
        let env: serde_json::Map<String, Value> = self.env.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        json!({ "command": self.command, "args": self.args, "env": env })
    }

    /// The token id the entry acts as.
    pub fn token_id(&self) -> Option<&str> {
        self.args.iter().position(|a| a == "--token-id").and_then(|i| self.args.get(i + 1)).map(String::as_str)
    }

    /// The entry as `client` writes it in JSON.
    fn json_for(&self, client: Client) -> Value {
        let mut v = self.to_json();
        if client.typed() {
            v["type"] = json!("stdio");
        }
        v
    }

    /// Reads an entry back from JSON (`type`, if present, must be `stdio`).
    fn from_json(v: &Value) -> Option<StdioEntry> {
        if v.get("type").is_some_and(|t| t != "stdio") {
            return None;
        }
        let strings = |a: &Value| a.as_array()?.iter().map(|s| s.as_str().map(str::to_string)).collect::<Option<_>>();
        let env = match v.get("env") {
            None => Vec::new(),
            Some(e) => {
                e.as_object()?.iter().map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect::<Option<_>>()?
            }
        };
        Some(StdioEntry {
            command: v.get("command")?.as_str()?.to_string(),
            args: v.get("args").map_or(Some(Vec::new()), strings)?,
            env,
        })
    }
}

/// Whether a configured command is our headless binary (by file name, any platform's separators).
fn is_our_binary(command: &str) -> bool {
    let file = command.rsplit(['/', '\\']).next().unwrap_or(command);
    let stem = file.strip_suffix(".exe").or_else(|| file.strip_suffix(".EXE")).unwrap_or(file);
    stem == crate::control::CLI_BINARY
}

/// What a config file's `telegram` entry turned out to be.
#[derive(Debug, Clone)]
struct Found {
    /// Its command is our binary.
    ours: bool,
    /// Its command, for messages.
    command: Option<String>,
    /// The entry, when it has our shape.
    entry: Option<StdioEntry>,
}

/// Why an edit of a config file's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The file does not parse.
    #[error("not valid {format} ({reason})")]
    Malformed { format: &'static str, reason: String },
    /// A key has an unexpected type, e.g. `mcpServers` is a list.
    #[error("{key} is not {expected}")]
    Unexpected { key: String, expected: &'static str },
    /// A server with our name is there and is something else.
    #[error("a server named \"{name}\" is already configured and is not fast-mcp-telegram (command: {}); rename or remove it first", command.as_deref().unwrap_or("none"))]
    NameTaken { name: &'static str, command: Option<String> },
    /// Remove found a server with our name that is not ours.
    #[error("the server named \"{name}\" is not fast-mcp-telegram (command: {}); leaving it alone", command.as_deref().unwrap_or("none"))]
    NotOurs { name: &'static str, command: Option<String> },
}

/// Why adding to or removing from a client's config failed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The file's content was refused; nothing was written.
    #[error("{}: {source}; nothing was written", path.display())]
    Edit {
        path: PathBuf,
        #[source]
        source: EditError,
    },
    /// Reading or writing failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What an add or remove did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Our entry was added.
    Added,
    /// Our entry was there with other settings (another token, another path) and was replaced.
    Updated,
    /// Already as asked; nothing written.
    Unchanged,
    /// Our entry was removed.
    Removed,
    /// There was no entry to remove; nothing written.
    NotPresent,
}

/// The result of [`add`] or [`remove`].
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// The client.
    pub client: Client,
    /// Its config file.
    pub path: PathBuf,
    /// What happened.
    pub outcome: Outcome,
    /// The copy of the file as it was before, when one was written.
    pub backup: Option<PathBuf>,
}

/// Whether a client's config has our entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// No `telegram` server.
    Absent,
    /// Our server.
    Present,
    /// A `telegram` server that is someone else's.
    Foreign,
}

/// One client's state, for `client list` and the tray's client page.
#[derive(Debug, Clone, Serialize)]
pub struct ClientStatus {
    /// The client.
    pub client: Client,
    /// Display name.
    pub name: &'static str,
    /// Its config file.
    pub path: PathBuf,
    /// The config file exists.
    pub config_exists: bool,
    /// The client's directory exists (it is installed or has run).
    pub client_found: bool,
    /// Our entry's state (absent when the file is unreadable).
    pub entry: EntryState,
    /// The token id our entry acts as.
    pub token_id: Option<String>,
    /// Why the file could not be read, if it could not.
    pub error: Option<String>,
}

fn edit_text_add(client: Client, text: &str, entry: &StdioEntry) -> Result<String, EditError> {
    match client {
        Client::Codex => toml::add(text, entry),
        c => json::add(c, text, entry),
    }
}

fn edit_text_remove(client: Client, text: &str) -> Result<Option<String>, EditError> {
    match client {
        Client::Codex => toml::remove(text),
        c => json::remove(c, text),
    }
}

fn edit_text_find(client: Client, text: &str) -> Result<Option<Found>, EditError> {
    match client {
        Client::Codex => toml::find(text),
        c => json::find(c, text),
    }
}

/// Adds (or updates) our entry in `client`'s config file, creating the file if needed.
pub fn add(locations: &Locations, client: Client, entry: &StdioEntry) -> Result<Change, InstallError> {
    let path = locations.config_file(client);
    let target = follow_link(&path);
    let before = read(&target)?;
    let text = before.as_deref().unwrap_or("");
    let edit_err = |source| InstallError::Edit { path: path.clone(), source };
    let had = edit_text_find(client, text).map_err(edit_err)?.is_some_and(|f| f.ours);
    let after = edit_text_add(client, text, entry).map_err(edit_err)?;
    if before.as_deref() == Some(after.as_str()) {
        return Ok(Change { client, path, outcome: Outcome::Unchanged, backup: None });
    }
    let backup = match &before {
        Some(b) => Some(write_backup(&target, b)?),
        None => None,
    };
    write(&target, &after)?;
    Ok(Change { client, path, outcome: if had { Outcome::Updated } else { Outcome::Added }, backup })
}

/// Removes our entry from `client`'s config file. When adding it was the only change since the
/// last backup (or since the file was created), the file goes back to exactly what it was.
pub fn remove(locations: &Locations, client: Client) -> Result<Change, InstallError> {
    let path = locations.config_file(client);
    let target = follow_link(&path);
    let not_present = |path| Ok(Change { client, path, outcome: Outcome::NotPresent, backup: None });
    let Some(before) = read(&target)? else { return not_present(path) };
    let edit_err = |source| InstallError::Edit { path: path.clone(), source };
    let Some(found) = edit_text_find(client, &before).map_err(edit_err)? else { return not_present(path) };
    // Refuses someone else's `telegram` server before anything is written.
    let Some(removed) = edit_text_remove(client, &before).map_err(edit_err)? else { return not_present(path) };
    let original = found.entry.as_ref().and_then(|e| original_before_add(client, &target, &before, e));
    let backup = write_backup(&target, &before)?;
    match original {
        Some(Original::Absent) => {
            std::fs::remove_file(&target).map_err(|source| InstallError::Io { path: target.clone(), source })?
        }
        Some(Original::Text(t)) => write(&target, &t)?,
        None => write(&target, &removed)?,
    }
    Ok(Change { client, path, outcome: Outcome::Removed, backup: Some(backup) })
}

/// The state of every supported client's config.
pub fn list(locations: &Locations) -> Vec<ClientStatus> {
    Client::ALL.into_iter().map(|c| status(locations, c)).collect()
}

/// One client's state.
pub fn status(locations: &Locations, client: Client) -> ClientStatus {
    let path = locations.config_file(client);
    let mut s = ClientStatus {
        client,
        name: client.name(),
        config_exists: path.is_file(),
        client_found: locations.client_dir(client).is_dir(),
        path,
        entry: EntryState::Absent,
        token_id: None,
        error: None,
    };
    let found = read(&follow_link(&s.path))
        .map_err(|e| e.to_string())
        .and_then(|t| edit_text_find(client, t.as_deref().unwrap_or("")).map_err(|e| e.to_string()));
    match found {
        Ok(None) => {}
        Ok(Some(f)) if f.ours => {
            s.entry = EntryState::Present;
            s.token_id = f.entry.as_ref().and_then(|e| e.token_id()).map(str::to_string);
        }
        Ok(Some(_)) => s.entry = EntryState::Foreign,
        Err(e) => s.error = Some(e),
    }
    s
}

enum Original {
    /// The add created the file.
    Absent,
    /// The file before the add.
    Text(String),
}

/// What the file was before `entry` was added, if the add was the only change since then.
fn original_before_add(client: Client, target: &Path, current: &str, entry: &StdioEntry) -> Option<Original> {
    if edit_text_add(client, "", entry).ok().as_deref() == Some(current) {
        return Some(Original::Absent);
    }
    let backup = std::fs::read_to_string(backup_path(target)).ok()?;
    let found = edit_text_find(client, &backup).ok()?;
    (found.is_none() && edit_text_add(client, &backup, entry).ok().as_deref() == Some(current))
        .then_some(Original::Text(backup))
}

/// The backup kept beside `target`.
pub fn backup_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(BACKUP_SUFFIX);
    target.with_file_name(name)
}

/// Edits a symlinked config (dotfile managers) where it really lives, keeping the link.
fn follow_link(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// The file's text; `None` if it does not exist. Not UTF-8 counts as malformed.
fn read(path: &Path) -> Result<Option<String>, InstallError> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| InstallError::Edit {
            path: path.to_path_buf(),
            source: EditError::Malformed { format: "UTF-8 text", reason: "invalid UTF-8".into() },
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(InstallError::Io { path: path.to_path_buf(), source }),
    }
}

fn write_backup(target: &Path, text: &str) -> Result<PathBuf, InstallError> {
    let path = backup_path(target);
    // Owner-only: the other servers' entries may hold their API keys.
    crate::fsutil::write_private_atomic(&path, text.as_bytes())
        .map_err(|source| InstallError::Io { path: path.clone(), source })?;
    Ok(path)
}

/// Replaces `target` atomically, keeping an existing file's permissions (new files are 0600).
fn write(target: &Path, text: &str) -> Result<(), InstallError> {
    let io = |source| InstallError::Io { path: target.to_path_buf(), source };
    let perms = std::fs::metadata(target).ok().map(|m| m.permissions());
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    crate::fsutil::write_private_atomic(target, text.as_bytes()).map_err(io)?;
    if let Some(p) = perms {
        std::fs::set_permissions(target, p).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
