//! Client setup against fixture configs of every client format, in a temp home directory.

use super::*;
use crate::config::Config;
use std::ffi::OsString;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/client_configs/", $name))
    };
}

/// Every client with a realistic config that already has other servers in it.
const FIXTURES: [(Client, &str); 6] = [
    (Client::ClaudeDesktop, fixture!("claude_desktop_config.json")),
    (Client::ClaudeCode, fixture!("claude_code.json")),
    (Client::Cursor, fixture!("cursor_mcp.json")),
    (Client::VsCode, fixture!("vscode_mcp.json")),
    (Client::Windsurf, fixture!("windsurf_mcp_config.json")),
    (Client::Codex, fixture!("codex_config.toml")),
];

const BIN: &str = "/usr/bin/fast-mcp-telegram";

fn entry(token_id: &str) -> StdioEntry {
    StdioEntry {
        command: BIN.into(),
        args: ["serve", "--transport", "stdio", "--token-id", token_id].map(String::from).to_vec(),
        env: vec![("SESSION_DIR".into(), "/home/ann/.config/tg".into())],
    }
}

/// A temp home with the Linux layout.
struct Home {
    dir: tempfile::TempDir,
    locations: Locations,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        let home: OsString = dir.path().into();
        let locations = Locations::from_lookup(Os::Linux, |k| (k == "HOME").then(|| home.clone())).unwrap();
        Home { dir, locations }
    }

    fn path(&self, c: Client) -> PathBuf {
        self.locations.config_file(c)
    }

    fn put(&self, c: Client, text: &str) -> PathBuf {
        let p = self.path(c);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    fn read(&self, c: Client) -> String {
        std::fs::read_to_string(self.path(c)).unwrap()
    }

    /// Names in the home dir's tree, to see that nothing was written.
    fn files(&self) -> Vec<PathBuf> {
        fn walk(d: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(d).unwrap().flatten() {
                if e.path().is_dir() { walk(&e.path(), out) } else { out.push(e.path()) }
            }
        }
        let mut out = Vec::new();
        walk(self.dir.path(), &mut out);
        out.sort();
        out
    }
}

/// The file's data, comments and trailing commas allowed.
fn data(c: Client, text: &str) -> Value {
    match c {
        Client::Codex => {
            let doc: ::toml::Value = ::toml::from_str(text).unwrap();
            serde_json::to_value(doc).unwrap()
        }
        _ => jsonc_parser::cst::CstRootNode::parse(text, &Default::default())
            .unwrap()
            .value()
            .and_then(|v| v.to_serde_value())
            .unwrap(),
    }
}

fn servers_of(c: Client, v: &Value) -> &serde_json::Map<String, Value> {
    let key = if c == Client::Codex { "mcp_servers" } else { c.servers_key() };
    v[key].as_object().unwrap()
}

#[test]
fn adding_to_every_client_keeps_the_other_servers_and_settings() {
    for (c, text) in FIXTURES {
        let home = Home::new();
        home.put(c, text);
        let change = add(&home.locations, c, &entry("tok_aaaaaaaaaaaa")).unwrap();
        assert_eq!(change.outcome, Outcome::Added, "{c:?}");
        let (before, after) = (data(c, text), data(c, &home.read(c)));
        let ours = &servers_of(c, &after)[SERVER_NAME];
        assert_eq!(ours["command"], BIN, "{c:?}");
        assert_eq!(ours["args"], json!(["serve", "--transport", "stdio", "--token-id", "tok_aaaaaaaaaaaa"]));
        assert_eq!(ours["env"]["SESSION_DIR"], "/home/ann/.config/tg");
        assert_eq!(ours.get("type").and_then(Value::as_str), c.typed().then_some("stdio"), "{c:?}");
        // Everything else is unchanged: drop our entry and compare the data.
        let mut rest = after.clone();
        let key = if c == Client::Codex { "mcp_servers" } else { c.servers_key() };
        rest[key].as_object_mut().unwrap().remove(SERVER_NAME);
        assert_eq!(rest, before, "{c:?}");
    }
}

#[test]
fn an_add_changes_only_the_lines_of_our_entry() {
    for (c, text) in FIXTURES {
        let after = edit_text_add(c, text, &entry("tok_aaaaaaaaaaaa")).unwrap();
        let kept: Vec<&str> = text.lines().filter(|l| !after.lines().any(|a| a == *l)).collect();
        // At most one line changes: the closing bracket before the new entry gains its comma (or a
        // one-line file, Windsurf's here, is laid out around the new entry).
        assert!(kept.len() <= 1, "{c:?} lost lines {kept:?} in:\n{after}");
    }
}

#[test]
fn comments_and_tabs_in_a_vscode_config_survive_the_add() {
    let after = edit_text_add(Client::VsCode, fixture!("vscode_mcp.json"), &entry("tok_aaaaaaaaaaaa")).unwrap();
    assert!(after.starts_with("// User MCP servers"));
    assert!(after.contains("// Web search.") && after.contains("// trailing comment"));
    assert!(after.contains("\n\t\t\"telegram\": {\n\t\t\t\"type\": \"stdio\",\n\t\t\t\"command\""), "{after}");
}

#[test]
fn adding_twice_changes_nothing_and_writes_nothing() {
    for (c, text) in FIXTURES {
        let home = Home::new();
        let p = home.put(c, text);
        add(&home.locations, c, &entry("tok_aaaaaaaaaaaa")).unwrap();
        let once = home.read(c);
        std::fs::remove_file(backup_path(&p)).unwrap();
        let again = add(&home.locations, c, &entry("tok_aaaaaaaaaaaa")).unwrap();
        assert_eq!(again.outcome, Outcome::Unchanged, "{c:?}");
        assert_eq!(again.backup, None);
        assert_eq!(home.read(c), once);
        assert!(!backup_path(&p).exists(), "{c:?}: no backup for an add that changed nothing");
    }
}

#[test]
fn the_first_add_keeps_a_backup_of_the_original_beside_the_file() {
    for (c, text) in FIXTURES {
        let home = Home::new();
        let p = home.put(c, text);
        let change = add(&home.locations, c, &entry("tok_aaaaaaaaaaaa")).unwrap();
        assert_eq!(change.backup.as_deref(), Some(backup_path(&p).as_path()));
        assert_eq!(std::fs::read_to_string(backup_path(&p)).unwrap(), text, "{c:?}");
        assert!(backup_path(&p).to_string_lossy().ends_with(".fast-mcp-telegram.bak"));
    }
}

#[test]
fn removing_after_an_add_restores_the_file_byte_for_byte() {
    for (c, text) in FIXTURES {
        let home = Home::new();
        home.put(c, text);
        add(&home.locations, c, &entry("tok_aaaaaaaaaaaa")).unwrap();
        let change = remove(&home.locations, c).unwrap();
        assert_eq!(change.outcome, Outcome::Removed, "{c:?}");
        assert_eq!(home.read(c), text, "{c:?}");
    }
}

#[test]
fn removing_without_the_backup_still_gives_back_the_other_servers_byte_for_byte() {
    for (c, text) in FIXTURES {
        let added = edit_text_add(c, text, &entry("tok_aaaaaaaaaaaa")).unwrap();
        let removed = edit_text_remove(c, &added).unwrap().unwrap();
        if c == Client::Windsurf {
            // Single-line JSON becomes multi-line on the add; the data still round-trips.
            assert_eq!(data(c, &removed), data(c, text));
        } else {
            assert_eq!(removed, text, "{c:?}");
        }
    }
}

#[test]
fn removing_keeps_later_edits_of_other_servers() {
    let home = Home::new();
    home.put(Client::Cursor, fixture!("cursor_mcp.json"));
    add(&home.locations, Client::Cursor, &entry("tok_aaaaaaaaaaaa")).unwrap();
    let edited = home.read(Client::Cursor).replace("https://mcp.context7.com/mcp", "https://other.example/mcp");
    home.put(Client::Cursor, &edited);
    remove(&home.locations, Client::Cursor).unwrap();
    let after = home.read(Client::Cursor);
    assert!(after.contains("https://other.example/mcp"), "the user's later edit stays: {after}");
    assert!(!after.contains(SERVER_NAME));
}

#[test]
fn adding_creates_a_missing_config_file_and_removing_deletes_it_again() {
    for c in Client::ALL {
        let home = Home::new();
        let change = add(&home.locations, c, &entry("tok_aaaaaaaaaaaa")).unwrap();
        assert_eq!((change.outcome, change.backup), (Outcome::Added, None), "{c:?}");
        let v = data(c, &home.read(c));
        assert_eq!(servers_of(c, &v)[SERVER_NAME]["command"], BIN);
        remove(&home.locations, c).unwrap();
        assert!(!home.path(c).exists(), "{c:?}");
    }
}

#[test]
fn a_new_codex_config_gets_only_our_table() {
    let text = edit_text_add(Client::Codex, "", &entry("tok_aaaaaaaaaaaa")).unwrap();
    assert_eq!(
        text,
        "[mcp_servers.telegram]\ncommand = \"/usr/bin/fast-mcp-telegram\"\nargs = [\"serve\", \"--transport\", \"stdio\", \"--token-id\", \"tok_aaaaaaaaaaaa\"]\nenv = { SESSION_DIR = \"/home/ann/.config/tg\" }\n"
    );
}

#[test]
fn a_malformed_file_is_refused_and_nothing_is_written() {
    let cases = [
        (Client::Cursor, fixture!("malformed.json"), "not valid JSON"),
        (Client::Codex, fixture!("malformed.toml"), "not valid TOML"),
        (Client::ClaudeDesktop, "{\"mcpServers\": [1, 2]}\n", "mcpServers is not an object"),
        (Client::VsCode, "[]\n", "the top level is not an object"),
        (Client::Codex, "mcp_servers = 3\n", "mcp_servers is not a [table]"),
        (Client::Windsurf, "{'mcpServers': {}}", "not valid JSON"),
    ];
    for (c, text, message) in cases {
        let home = Home::new();
        home.put(c, text);
        let files = home.files();
        for result in [add(&home.locations, c, &entry("tok_aaaaaaaaaaaa")), remove(&home.locations, c)] {
            let err = result.unwrap_err().to_string();
            assert!(err.contains(message) && err.contains("nothing was written"), "{c:?}: {err}");
            assert!(err.contains(&home.path(c).display().to_string()), "names the file: {err}");
        }
        assert_eq!(home.files(), files, "{c:?}: no backup, no temp file");
        assert_eq!(home.read(c), text);
        assert!(status(&home.locations, c).error.is_some());
    }
}

#[test]
fn a_file_that_is_not_utf8_is_refused() {
    let home = Home::new();
    home.put(Client::Cursor, "{}");
    std::fs::write(home.path(Client::Cursor), b"{\"a\": \"\xff\"}").unwrap();
    let err = add(&home.locations, Client::Cursor, &entry("tok_aaaaaaaaaaaa")).unwrap_err();
    assert!(matches!(err, InstallError::Edit { source: EditError::Malformed { .. }, .. }), "{err}");
}

#[test]
fn someone_elses_telegram_server_is_neither_replaced_nor_removed() {
    let json =
        "{\n  \"mcpServers\": {\n    \"telegram\": { \"command\": \"uvx\", \"args\": [\"telegram-mcp\"] }\n  }\n}\n";
    let toml = "[mcp_servers.telegram]\ncommand = \"npx\"\nargs = [\"@overpod/mcp-telegram\"]\n";
    for (c, text) in [(Client::Cursor, json), (Client::Codex, toml)] {
        let home = Home::new();
        home.put(c, text);
        let err = add(&home.locations, c, &entry("tok_aaaaaaaaaaaa")).unwrap_err().to_string();
        assert!(err.contains("is not fast-mcp-telegram"), "{err}");
        let err = remove(&home.locations, c).unwrap_err().to_string();
        assert!(err.contains("leaving it alone"), "{err}");
        assert_eq!(home.read(c), text);
        assert_eq!(status(&home.locations, c).entry, EntryState::Foreign);
    }
}

#[test]
fn adding_with_another_token_updates_our_entry() {
    for (c, text) in FIXTURES {
        let home = Home::new();
        home.put(c, text);
        add(&home.locations, c, &entry("tok_aaaaaaaaaaaa")).unwrap();
        let change = add(&home.locations, c, &entry("tok_bbbbbbbbbbbb")).unwrap();
        assert_eq!(change.outcome, Outcome::Updated, "{c:?}");
        assert_eq!(status(&home.locations, c).token_id.as_deref(), Some("tok_bbbbbbbbbbbb"));
        assert_eq!(home.read(c).matches("tok_").count(), 1, "{c:?}: one entry, not two");
    }
}

#[test]
fn removing_what_is_not_there_writes_nothing() {
    let home = Home::new();
    home.put(Client::Cursor, fixture!("cursor_mcp.json"));
    assert_eq!(remove(&home.locations, Client::Cursor).unwrap().outcome, Outcome::NotPresent);
    assert_eq!(remove(&home.locations, Client::Codex).unwrap().outcome, Outcome::NotPresent);
    assert_eq!(home.files(), vec![home.path(Client::Cursor)]);
}

#[test]
fn list_shows_which_clients_have_our_entry() {
    let home = Home::new();
    home.put(Client::Cursor, fixture!("cursor_mcp.json"));
    home.put(Client::VsCode, fixture!("vscode_mcp.json"));
    add(&home.locations, Client::VsCode, &entry("tok_aaaaaaaaaaaa")).unwrap();
    let all = list(&home.locations);
    assert_eq!(all.iter().map(|s| s.client).collect::<Vec<_>>(), Client::ALL.to_vec());
    let by = |c| all.iter().find(|s| s.client == c).unwrap();
    assert_eq!(
        (by(Client::VsCode).entry, by(Client::VsCode).token_id.as_deref()),
        (EntryState::Present, Some("tok_aaaaaaaaaaaa"))
    );
    assert_eq!((by(Client::Cursor).entry, by(Client::Cursor).config_exists), (EntryState::Absent, true));
    assert!(by(Client::Cursor).client_found);
    assert_eq!((by(Client::Codex).config_exists, by(Client::Codex).client_found), (false, false));
    let v = serde_json::to_value(by(Client::VsCode)).unwrap();
    assert_eq!((v["client"].as_str(), v["entry"].as_str()), (Some("vscode"), Some("present")));
}

#[cfg(unix)]
#[test]
fn the_add_keeps_the_files_permissions_and_edits_a_symlink_where_it_points() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    let real = home.dir.path().join("dotfiles").join("mcp.json");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, fixture!("cursor_mcp.json")).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = home.path(Client::Cursor);
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    add(&home.locations, Client::Cursor, &entry("tok_aaaaaaaaaaaa")).unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
    assert!(std::fs::read_to_string(&real).unwrap().contains("tok_aaaaaaaaaaaa"));
    assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o640);
    let backup = std::fs::metadata(backup_path(&real)).unwrap();
    assert_eq!(backup.permissions().mode() & 0o777, 0o600, "the backup is owner-only");
}

#[test]
fn the_entry_names_the_token_by_id_and_holds_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_string_lossy().into_owned();
    let cfg = Config::from_lookup(|k| match k {
        "SESSION_DIR" => Some(d.clone()),
        "API_ID" => Some("5".into()),
        "API_HASH" => Some("0123456789abcdef0123456789abcdef".into()),
        _ => None,
    })
    .unwrap();
    let e = StdioEntry::new(&cfg.startup, BIN, "tok_0123456789ab");
    assert_eq!(e.token_id(), Some("tok_0123456789ab"));
    assert_eq!(e.env, vec![("SESSION_DIR".to_string(), d.clone())]);
    let text = edit_text_add(Client::ClaudeDesktop, "", &e).unwrap();
    assert!(!text.contains("0123456789abcdef0123456789abcdef"), "no API hash in the client's file");
}

#[test]
fn client_ids_parse_with_dashes_or_underscores() {
    assert_eq!(Client::from_id("claude-desktop"), Some(Client::ClaudeDesktop));
    assert_eq!(Client::from_id("VSCode"), Some(Client::VsCode));
    assert_eq!(Client::from_id("vs-code"), Some(Client::VsCode));
    assert_eq!(Client::from_id("zed"), None);
    assert!(is_our_binary("C:\\Program Files\\fast-mcp-telegram\\fast-mcp-telegram.exe"));
    assert!(!is_our_binary("/usr/bin/fast-mcp-telegram-tray"));
}
