//! Adds, finds and removes our server in a JSON (or JSON-with-comments) client config, in place.
//!
//! Edits go through a concrete syntax tree, so the rest of the file — comments, key order,
//! indentation, trailing commas — comes out as the user wrote it.

use super::{Client, EditError, Found, SERVER_NAME, StdioEntry};
use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use serde_json::Value;

/// Strict JSON plus what VS Code's JSONC allows (comments, trailing commas); nothing looser.
fn options() -> ParseOptions {
    ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// The parsed file and its top-level object. An empty (or blank) file counts as `{}`.
fn parse(text: &str) -> Result<(CstRootNode, CstObject), EditError> {
    let src = if text.trim().is_empty() { "{}\n" } else { text };
    let root = CstRootNode::parse(src, &options())
        .map_err(|e| EditError::Malformed { format: "JSON", reason: e.to_string() })?;
    let top = root
        .value()
        .and_then(|v| v.as_object())
        .ok_or(EditError::Unexpected { key: "the top level".into(), expected: "an object" })?;
    Ok((root, top))
}

/// The object holding the client's servers, if the file has one.
fn servers(client: Client, top: &CstObject) -> Result<Option<CstObject>, EditError> {
    let key = client.servers_key();
    match top.get(key) {
        None => Ok(None),
        Some(prop) => prop
            .value()
            .and_then(|v| v.as_object())
            .map(Some)
            .ok_or(EditError::Unexpected { key: key.into(), expected: "an object" }),
    }
}

/// Our entry in `text`, if any.
pub(super) fn find(client: Client, text: &str) -> Result<Option<Found>, EditError> {
    let (_root, top) = parse(text)?;
    let Some(servers) = servers(client, &top)? else { return Ok(None) };
    Ok(servers.get(SERVER_NAME).map(|p| found(p.value().and_then(|v| v.to_serde_value()))))
}

fn found(v: Option<Value>) -> Found {
    let v = v.unwrap_or(Value::Null);
    let command = v.get("command").and_then(Value::as_str).map(str::to_string);
    let entry = StdioEntry::from_json(&v);
    Found { ours: command.as_deref().is_some_and(super::is_our_binary), command, entry }
}

/// `text` with our entry set to `entry`; the same text when it is already there.
pub(super) fn add(client: Client, text: &str, entry: &StdioEntry) -> Result<String, EditError> {
    let (root, top) = parse(text)?;
    let wanted = entry.json_for(client);
    match servers(client, &top)? {
        None => {
            top.append(client.servers_key(), CstInputValue::Object(vec![(SERVER_NAME.into(), input(&wanted))]));
        }
        Some(servers) => match servers.get(SERVER_NAME) {
            None => {
                servers.append(SERVER_NAME, input(&wanted));
            }
            Some(prop) => {
                let current = prop.value().and_then(|v| v.to_serde_value());
                let f = found(current.clone());
                if !f.ours {
                    return Err(EditError::NameTaken { name: SERVER_NAME, command: f.command });
                }
                if current.as_ref() == Some(&wanted) {
                    return Ok(text.to_string());
                }
                prop.set_value(input(&wanted));
            }
        },
    }
    Ok(root.to_string())
}

/// `text` without our entry; `None` when it has none.
pub(super) fn remove(client: Client, text: &str) -> Result<Option<String>, EditError> {
    let (root, top) = parse(text)?;
    let Some(servers) = servers(client, &top)? else { return Ok(None) };
    let Some(prop) = servers.get(SERVER_NAME) else { return Ok(None) };
    let f = found(prop.value().and_then(|v| v.to_serde_value()));
    if !f.ours {
        return Err(EditError::NotOurs { name: SERVER_NAME, command: f.command });
    }
    prop.remove();
    Ok(Some(root.to_string()))
}

/// A JSON value as the syntax tree takes it, keys in the order given (our entries are built in
/// display order: `type`, `command`, `args`, `env`).
fn input(v: &Value) -> CstInputValue {
    match v {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(a) => CstInputValue::Array(a.iter().map(input).collect()),
        Value::Object(o) => {
            let mut props: Vec<(String, CstInputValue)> = o.iter().map(|(k, v)| (k.clone(), input(v))).collect();
            props.sort_by_key(|(k, _)| key_rank(k));
            CstInputValue::Object(props)
        }
    }
}

/// Display order of our entry's keys (a `serde_json::Map` iterates alphabetically).
fn key_rank(k: &str) -> usize {
    ["type", "command", "args", "env"].iter().position(|x| *x == k).unwrap_or(usize::MAX)
}
