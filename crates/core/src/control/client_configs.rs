//! `client_configs`: ready-to-paste snippets for the common MCP clients, and the MCP URL they point at.

use super::{ClientConfig, ClientConfigs, ClientConfigsArgs, Control, ControlError, blocking};
use crate::config::Startup;
use crate::tokens::Token;
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// Name of the headless binary that client configs start over stdio.
pub const CLI_BINARY: &str = "fast-mcp-telegram";

/// Placeholder put into stdio client configs when no token id is chosen.
pub const TOKEN_ID_PLACEHOLDER: &str = "<TOKEN-ID, e.g. tok_0123456789ab>";

/// Placeholder put into client configs when the token is not known.
pub const TOKEN_PLACEHOLDER: &str = "<PASTE-YOUR-TOKEN-HERE>";

impl Control {
    /// Ready-to-paste snippets for the common MCP clients.
    pub async fn client_configs(&self, a: ClientConfigsArgs) -> Result<ClientConfigs, ControlError> {
        let app = self.app();
        let (token_id, token) = match (a.token, a.token_id) {
            (Some(raw), _) => {
                let t = Token::parse(raw.trim()).map_err(|e| ControlError::InvalidInput(format!("token: {e}")))?;
                let rec = app
                    .tokens
                    .lookup(&t)
                    .map_err(|_| ControlError::Internal("the token index is unreadable".into()))?;
                let rec = rec.ok_or_else(|| {
                    ControlError::NotFound("this token was not issued by this server (or was revoked)".into())
                })?;
                (Some(rec.id), Some(t.expose().to_string()))
            }
            (None, Some(id)) => {
                app.tokens.get(&id)?;
                let a2 = app.clone();
                let id2 = id.clone();
                let secret = if app.tokens.keystore().is_available() {
                    blocking(move || a2.tokens.reveal(&id2)).await??.map(Some)
                } else {
                    None
                };
                (Some(id), secret.flatten())
            }
            (None, None) => (None, None),
        };
        let addr = self.server().addr.unwrap_or_else(|| SocketAddr::new(app.config.host, app.settings().port));
        let url = mcp_url(addr);
        let included = token.is_some();
        let configs = build_client_configs(
            &app.config,
            &url,
            token.as_deref().unwrap_or(TOKEN_PLACEHOLDER),
            token_id.as_deref(),
            &cli_binary_path(),
        );
        Ok(ClientConfigs { url, token_id, token_included: included, configs })
    }
}

/// `http://ADDR:PORT/v1/mcp` for the address the server listens on (127.0.0.1 for a wildcard bind).
pub fn mcp_url(addr: SocketAddr) -> String {
    let ip = if addr.ip().is_unspecified() { IpAddr::V4(Ipv4Addr::LOCALHOST) } else { addr.ip() };
    format!("http://{}/v1/mcp", SocketAddr::new(ip, addr.port()))
}

/// Where the program `name` (without `.exe`) sits beside the running executable, as the
/// packages install our binaries together (`None` when the running one is unknown).
pub fn binary_beside_this_one(name: &str) -> Option<PathBuf> {
    let name = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    std::env::current_exe().ok().and_then(|p| p.parent().map(|d| d.join(name)))
}

/// The `fast-mcp-telegram` binary: next to the running executable, else on PATH, else the bare name.
pub fn cli_binary_path() -> String {
    let name = format!("{CLI_BINARY}{}", std::env::consts::EXE_SUFFIX);
    let beside = binary_beside_this_one(CLI_BINARY).filter(|p| p.is_file());
    let on_path = || {
        std::env::var_os("PATH")
            .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(&name)).find(|p| p.is_file()))
    };
    beside.or_else(on_path).map(|p: PathBuf| p.to_string_lossy().into_owned()).unwrap_or(name)
}

/// The snippets for `url` with `token` (or a placeholder) and the stdio binary at `binary`.
///
/// The stdio snippet names the token by its non-secret id: the stdio process relays to the
/// owner over an owner-only socket, so it needs neither the secret nor the API credentials.
pub fn build_client_configs(
    config: &Startup,
    url: &str,
    token: &str,
    token_id: Option<&str>,
    binary: &str,
) -> Vec<ClientConfig> {
    let bearer = format!("Bearer {token}");
    let pretty = |v: Value| serde_json::to_string_pretty(&v).expect("json");
    let url_auth = url.replace("/v1/mcp", &format!("/v1/url_auth/{token}/mcp"));
    let toml_str = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    vec![
        ClientConfig {
            id: "claude_desktop",
            name: "Claude Desktop",
            location: "claude_desktop_config.json (Settings → Developer → Edit Config)",
            format: "json",
            text: pretty(json!({ "mcpServers": { crate::client_install::SERVER_NAME:
                crate::client_install::StdioEntry::new(config, binary, token_id.unwrap_or(TOKEN_ID_PLACEHOLDER)).to_json(),
            }})),
            note: "Claude Desktop starts a small relay over stdio that talks to this app (or starts a background agent when the app is not running); the config holds only the token's id, no secret. Quit Claude Desktop from its tray icon and start it again after editing.".into(),
        },
        ClientConfig {
            id: "claude_code",
            name: "Claude Code",
            location: "terminal",
            format: "text",
            text: format!("claude mcp add --transport http telegram {url} --header \"Authorization: {bearer}\""),
            note: "Adds the server for the current project (add --scope user for all projects). The token ends up in your shell history; clear it if that matters.".into(),
        },
        ClientConfig {
            id: "cursor",
            name: "Cursor",
            location: "~/.cursor/mcp.json (or .cursor/mcp.json in a project)",
            format: "json",
            text: pretty(json!({ "mcpServers": { "telegram": { "url": url, "headers": { "Authorization": bearer } } } })),
            note: "Merge into the existing mcpServers object.".into(),
        },
        ClientConfig {
            id: "vscode",
            name: "VS Code",
            location: ".vscode/mcp.json (or the user mcp.json: “MCP: Open User Configuration”)",
            format: "json",
            text: pretty(json!({
                "inputs": [{ "type": "promptString", "id": "telegram-token", "description": "fast-mcp-telegram token", "password": true }],
                "servers": { "telegram": { "type": "http", "url": url, "headers": { "Authorization": "Bearer ${input:telegram-token}" } } },
            })),
            note: "VS Code asks for the token once (masked) and keeps it in its secret storage: paste the token when prompted.".into(),
        },
        ClientConfig {
            id: "windsurf",
            name: "Windsurf",
            location: "~/.codeium/windsurf/mcp_config.json",
            format: "json",
            text: pretty(json!({ "mcpServers": { "telegram": { "serverUrl": url, "headers": { "Authorization": bearer } } } })),
            note: "Windsurf uses serverUrl (not url).".into(),
        },
        ClientConfig {
            id: "codex",
            name: "Codex",
            location: "~/.codex/config.toml",
            format: "toml",
            text: format!(
                "[mcp_servers.telegram]\nurl = {}\nbearer_token_env_var = \"FAST_MCP_TELEGRAM_TOKEN\"\n\n# Set the variable where Codex starts:\n#   export FAST_MCP_TELEGRAM_TOKEN={}\n# Or, instead of bearer_token_env_var, send the header directly:\n# http_headers = {{ \"Authorization\" = {} }}\n",
                toml_str(url),
                shell_quote(token),
                toml_str(&bearer)
            ),
            note: "Codex reads the token from the environment variable named by bearer_token_env_var.".into(),
        },
        ClientConfig {
            id: "http",
            name: "Other (HTTP)",
            location: "any MCP client with streamable HTTP",
            format: "text",
            text: format!("URL:    {url}\nHeader: Authorization: {bearer}\n"),
            note: "Streamable HTTP on localhost. Every request needs the bearer token.".into(),
        },
        ClientConfig {
            id: "url_auth",
            name: "Other (token in URL)",
            location: "clients that cannot send headers",
            format: "text",
            text: format!("{url_auth}\n"),
            note: "The token is part of this URL: treat the whole URL as a password.".into(),
        },
    ]
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
