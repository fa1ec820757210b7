//! `fast-mcp-telegram client add|remove|list`: our entry in the AI clients' own config files.

use crate::ctl::Ctl;
use clap::Subcommand;
use serde_json::json;
use tgmcp_core::client_install::{self, Change, Client, EntryState, Locations, Outcome, StdioEntry, ops};
use tgmcp_core::config::Config;
use tgmcp_core::control::{ControlError, TokenInfo};

#[derive(Subcommand)]
pub enum ClientAction {
    /// Add this server to CLIENT's config file (other servers are kept; the old file is backed up
    /// beside it as *.fast-mcp-telegram.bak). The entry starts `fast-mcp-telegram serve --transport
    /// stdio --token-id ID` and holds no secret.
    Add {
        /// claude_desktop, claude_code, cursor, vscode, windsurf or codex.
        #[arg(value_parser = parse_client)]
        client: Client,
        /// The token the client acts as (`token list`); may be left out when there is only one.
        #[arg(long)]
        token_id: Option<String>,
    },
    /// Remove this server from CLIENT's config file (right after an add, the file is restored
    /// byte for byte).
    Remove {
        /// claude_desktop, claude_code, cursor, vscode, windsurf or codex.
        #[arg(value_parser = parse_client)]
        client: Client,
    },
    /// Show each client's config file and whether it has this server.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn parse_client(s: &str) -> Result<Client, String> {
    Client::from_id(s).ok_or_else(|| {
        let ids: Vec<&str> = Client::ALL.iter().map(|c| c.id()).collect();
        format!("unknown client; one of: {}", ids.join(", "))
    })
}

pub async fn run(action: ClientAction, config: &Config) -> anyhow::Result<()> {
    let locations = Locations::from_env().ok_or_else(|| anyhow::anyhow!("no home directory: set HOME"))?;
    match action {
        ClientAction::Add { client, token_id } => {
            let token_id = choose_token(config, token_id).await?;
            let binary = tgmcp_core::control::cli_binary_path();
            let entry = StdioEntry::new(&config.startup, &binary, &token_id);
            let change = client_install::add(&locations, client, &entry)?;
            report(&change);
            if change.outcome != Outcome::Unchanged {
                eprintln!("Restart {} to pick it up.", client.name());
            }
        }
        ClientAction::Remove { client } => report(&client_install::remove(&locations, client)?),
        ClientAction::List { json } => {
            let all = client_install::list(&locations);
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
                return Ok(());
            }
            println!("{:<16} {:<26} CONFIG FILE", "CLIENT", "THIS SERVER");
            for s in all {
                let entry = match (&s.error, s.entry) {
                    (Some(_), _) => "unreadable file".to_string(),
                    (None, EntryState::Present) => format!("added ({})", s.token_id.as_deref().unwrap_or("?")),
                    (None, EntryState::Foreign) => "name taken by another".into(),
                    (None, EntryState::Absent) if !s.client_found => "not added (not installed?)".into(),
                    (None, EntryState::Absent) => "not added".into(),
                };
                let file = if s.config_exists { String::new() } else { " (no file yet)".into() };
                println!("{:<16} {:<26} {}{file}", s.client.id(), entry, s.path.display());
                if let Some(e) = s.error {
                    println!("{:<16} {e}", "");
                }
            }
        }
    }
    Ok(())
}

fn report(c: &Change) {
    let name = c.client.name();
    let path = c.path.display();
    match c.outcome {
        Outcome::Added => println!("added to {name}: {path}"),
        Outcome::Updated => println!("updated in {name}: {path}"),
        Outcome::Unchanged => println!("already in {name}, nothing to do: {path}"),
        Outcome::Removed => println!("removed from {name}: {path}"),
        Outcome::NotPresent => println!("not in {name}, nothing to do: {path}"),
    }
    if let Some(b) = &c.backup {
        eprintln!("the file as it was before: {}", b.display());
    }
}

/// The token the entry acts as: the one given (it must exist), or the only one there is.
async fn choose_token(config: &Config, given: Option<String>) -> anyhow::Result<String> {
    let mut ctl = Ctl::open(config).await?;
    let list = ctl.call("tokens_list", json!({})).await;
    ctl.close().await;
    let list: Vec<TokenInfo> = serde_json::from_value(list?)?;
    ops::choose_token(&list, given.as_deref()).map_err(|e| match e {
        ControlError::NotFound(m) => anyhow::anyhow!("{m} (see `fast-mcp-telegram token list`)"),
        ControlError::InvalidInput(m) if m.starts_with("several tokens") => anyhow::anyhow!("{m} (with --token-id)"),
        e => e.into(),
    })
}
