//! Adds, finds and removes our server in Codex's `config.toml` (`[mcp_servers.telegram]`), in place.
//!
//! `toml_edit` keeps the rest of the document (comments, order, spacing) exactly as written.

use super::{EditError, Found, SERVER_NAME, StdioEntry};
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, TableLike, value};

const SERVERS: &str = "mcp_servers";

fn parse(text: &str) -> Result<DocumentMut, EditError> {
    text.parse::<DocumentMut>()
        .map_err(|e| EditError::Malformed { format: "TOML", reason: e.to_string().trim().into() })
}

/// `[mcp_servers]` as a table, if the document has one.
fn servers(doc: &mut DocumentMut) -> Result<Option<&mut Table>, EditError> {
    match doc.get_mut(SERVERS) {
        None => Ok(None),
        Some(item) => {
            item.as_table_mut().map(Some).ok_or(EditError::Unexpected { key: SERVERS.into(), expected: "a [table]" })
        }
    }
}

fn found(item: &Item) -> Found {
    let t = item.as_table_like();
    let command = t.and_then(|t| t.get("command")).and_then(Item::as_str).map(str::to_string);
    Found { ours: command.as_deref().is_some_and(super::is_our_binary), command, entry: t.and_then(entry_of) }
}

fn entry_of(t: &dyn TableLike) -> Option<StdioEntry> {
    let command = t.get("command")?.as_str()?.to_string();
    let args = match t.get("args") {
        None => Vec::new(),
        Some(a) => a.as_array()?.iter().map(|v| v.as_str().map(str::to_string)).collect::<Option<_>>()?,
    };
    let env = match t.get("env") {
        None => Vec::new(),
        Some(e) => e
            .as_table_like()?
            .iter()
            .map(|(k, v)| Some((k.to_string(), v.as_str()?.to_string())))
            .collect::<Option<_>>()?,
    };
    Some(StdioEntry { command, args, env })
}

/// Our entry in `text`, if any.
pub(super) fn find(text: &str) -> Result<Option<Found>, EditError> {
    let mut doc = parse(text)?;
    Ok(servers(&mut doc)?.and_then(|s| s.get(SERVER_NAME)).map(found))
}

/// `text` with our entry set to `entry`; the same text when it is already there.
pub(super) fn add(text: &str, entry: &StdioEntry) -> Result<String, EditError> {
    let mut doc = parse(text)?;
    if doc.get(SERVERS).is_none() {
        // Implicit: the file gains only `[mcp_servers.telegram]`, no empty `[mcp_servers]` header.
        let mut t = Table::new();
        t.set_implicit(true);
        doc.insert(SERVERS, Item::Table(t));
    }
    let servers = servers(&mut doc)?.expect("inserted above");
    if let Some(existing) = servers.get(SERVER_NAME) {
        let f = found(existing);
        if !f.ours {
            return Err(EditError::NameTaken { name: SERVER_NAME, command: f.command });
        }
        if f.entry.as_ref() == Some(entry) {
            return Ok(text.to_string());
        }
    }
    servers.insert(SERVER_NAME, Item::Table(table(entry)));
    Ok(doc.to_string())
}

/// `text` without our entry; `None` when it has none.
pub(super) fn remove(text: &str) -> Result<Option<String>, EditError> {
    let mut doc = parse(text)?;
    let Some(servers) = servers(&mut doc)? else { return Ok(None) };
    let Some(existing) = servers.get(SERVER_NAME) else { return Ok(None) };
    let f = found(existing);
    if !f.ours {
        return Err(EditError::NotOurs { name: SERVER_NAME, command: f.command });
    }
    servers.remove(SERVER_NAME);
    if servers.is_empty() && servers.is_implicit() {
        doc.remove(SERVERS);
    }
    Ok(Some(doc.to_string()))
}

fn table(entry: &StdioEntry) -> Table {
    let mut t = Table::new();
    t["command"] = value(entry.command.as_str());
    t["args"] = value(entry.args.iter().map(String::as_str).collect::<Array>());
    if !entry.env.is_empty() {
        let mut env = InlineTable::new();
        for (k, v) in &entry.env {
            env.insert(k, v.as_str().into());
        }
        t["env"] = value(env);
    }
    t
}
