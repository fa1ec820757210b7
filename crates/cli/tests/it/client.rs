//! `client add|remove|list` through the real binary, with HOME pointed at a temp dir.

use crate::common;
use common::*;
use serde_json::Value;

/// An env whose HOME is a fresh temp dir (kept alive by the returned guard).
async fn env_with_home() -> (Env, tempfile::TempDir) {
    let mut env = Env::new().await;
    let home = tempfile::tempdir().unwrap();
    let h = |sub: &str| home.path().join(sub).to_string_lossy().into_owned();
    env.vars.push(("HOME".into(), h("")));
    // Windows finds the clients' configs from these instead.
    env.vars.push(("USERPROFILE".into(), h("")));
    env.vars.push(("APPDATA".into(), h("AppData/Roaming")));
    env.vars.push(("LOCALAPPDATA".into(), h("AppData/Local")));
    (env, home)
}

#[tokio::test]
async fn add_list_and_remove_a_client_through_the_cli() {
    let (env, home) = env_with_home().await;
    let (_, id) = env.new_token(&[]).await;
    let cursor = home.path().join(".cursor/mcp.json");
    std::fs::create_dir_all(cursor.parent().unwrap()).unwrap();
    let original = "{\n  \"mcpServers\": {\n    \"other\": { \"url\": \"http://localhost:9/mcp\" }\n  }\n}\n";
    std::fs::write(&cursor, original).unwrap();

    let out = env.ok(&["client", "add", "cursor"]).await;
    assert!(out.starts_with("added to Cursor"), "{out}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&cursor).unwrap()).unwrap();
    let ours = &v["mcpServers"]["telegram"];
    assert_eq!(ours["args"], serde_json::json!(["serve", "--transport", "stdio", "--token-id", id]));
    let command = std::path::Path::new(ours["command"].as_str().unwrap());
    assert!(command.is_absolute() && command.file_stem().unwrap() == "fast-mcp-telegram", "an absolute path: {ours}");
    assert_eq!(ours["env"]["SESSION_DIR"], env.path().to_string_lossy().as_ref());
    assert_eq!(v["mcpServers"]["other"]["url"], "http://localhost:9/mcp");

    let again = env.ok(&["client", "add", "cursor", "--token-id", &id]).await;
    assert!(again.starts_with("already in Cursor"), "{again}");

    let list: Value = serde_json::from_str(&env.ok(&["client", "list", "--json"]).await).unwrap();
    let row = |c: &str| list.as_array().unwrap().iter().find(|r| r["client"] == c).unwrap().clone();
    assert_eq!((row("cursor")["entry"].as_str(), row("cursor")["token_id"].as_str()), (Some("present"), Some(&*id)));
    assert_eq!(row("codex")["entry"], "absent");
    let table = env.ok(&["client", "list"]).await;
    assert!(table.contains(&format!("added ({id})")), "{table}");

    let out = env.ok(&["client", "remove", "cursor"]).await;
    assert!(out.starts_with("removed from Cursor"), "{out}");
    assert_eq!(std::fs::read_to_string(&cursor).unwrap(), original, "byte for byte");
}

#[tokio::test]
async fn the_cli_refuses_a_malformed_config_unknown_clients_and_unknown_tokens() {
    let (env, home) = env_with_home().await;
    let (_, id) = env.new_token(&[]).await;
    let codex = home.path().join(".codex/config.toml");
    std::fs::create_dir_all(codex.parent().unwrap()).unwrap();
    std::fs::write(&codex, "[mcp_servers.x\n").unwrap();

    let (ok, _, err) = env.run(&["client", "add", "codex", "--token-id", &id], "").await;
    assert!(!ok);
    assert!(err.contains("not valid TOML") && err.contains("nothing was written"), "{err}");
    assert_eq!(std::fs::read_to_string(&codex).unwrap(), "[mcp_servers.x\n");
    assert_eq!(std::fs::read_dir(codex.parent().unwrap()).unwrap().count(), 1, "no backup or temp file");

    let (ok, _, err) = env.run(&["client", "add", "zed"], "").await;
    assert!(!ok && err.contains("one of: claude_desktop, claude_code"), "{err}");
    let (ok, _, err) = env.run(&["client", "add", "cursor", "--token-id", "tok_000000000000"], "").await;
    assert!(!ok && err.contains("no token tok_000000000000"), "{err}");
    assert!(!home.path().join(".cursor").exists());
}

#[tokio::test]
async fn add_without_a_token_id_needs_exactly_one_token() {
    let (env, _home) = env_with_home().await;
    let (ok, _, err) = env.run(&["client", "add", "vscode"], "").await;
    assert!(!ok && err.contains("no token yet: log in or create a token first"), "{err}");
    env.new_token(&[]).await;
    env.new_token(&[]).await;
    let (ok, _, err) = env.run(&["client", "add", "vscode"], "").await;
    assert!(!ok && err.contains("several tokens; choose one: tok_") && err.contains("--token-id"), "{err}");
}
