//! Control commands behind the "Add to …" / "Remove" buttons: `client_setup_list|add|remove`.

use super::{Change, Client, ClientStatus, Locations, StdioEntry};
use crate::control::{Control, ControlError, TokenInfo};
use serde::{Deserialize, Serialize};

/// `client_setup_add` / `client_setup_remove` arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSetupArgs {
    /// `claude_desktop`, `claude_code`, `cursor`, `vscode`, `windsurf` or `codex`.
    pub client: String,
    /// The token the entry acts as (add only); may be left out when there is exactly one token.
    #[serde(default)]
    pub token_id: Option<String>,
}

/// `client_setup_list` answer.
#[derive(Debug, Clone, Serialize)]
pub struct ClientSetupList {
    /// The command the entries start (the headless binary beside this app, when installed).
    pub command: String,
    /// One per supported client.
    pub clients: Vec<ClientStatus>,
}

/// The token an entry acts as: `given` (it must exist), or the only token there is.
pub fn choose_token(tokens: &[TokenInfo], given: Option<&str>) -> Result<String, ControlError> {
    match given {
        Some(id) if tokens.iter().any(|t| t.id == id) => Ok(id.to_string()),
        Some(id) => Err(ControlError::NotFound(format!("no token {id}"))),
        None => match tokens {
            [only] => Ok(only.id.clone()),
            [] => Err(ControlError::InvalidInput("no token yet: log in or create a token first".into())),
            many => {
                let ids: Vec<String> = many.iter().map(|t| format!("{} ({})", t.id, t.label)).collect();
                Err(ControlError::InvalidInput(format!("several tokens; choose one: {}", ids.join(", "))))
            }
        },
    }
}

fn locations() -> Result<Locations, ControlError> {
    Locations::from_env().ok_or_else(|| ControlError::Internal("no home directory (HOME is not set)".into()))
}

fn client(id: &str) -> Result<Client, ControlError> {
    Client::from_id(id).ok_or_else(|| {
        let ids: Vec<&str> = Client::ALL.iter().map(|c| c.id()).collect();
        ControlError::InvalidInput(format!("unknown client {id:?}; one of: {}", ids.join(", ")))
    })
}

fn install_error(e: super::InstallError) -> ControlError {
    match e {
        super::InstallError::Edit { .. } => ControlError::InvalidInput(e.to_string()),
        super::InstallError::Io { .. } => ControlError::Internal(e.to_string()),
    }
}

/// Every client's config file and whether it has our entry.
pub fn list(_control: &Control) -> Result<ClientSetupList, ControlError> {
    Ok(ClientSetupList { command: crate::control::cli_binary_path(), clients: super::list(&locations()?) })
}

/// Adds our stdio entry (by token id, no secret) to the client's config file.
pub fn add(control: &Control, a: ClientSetupArgs) -> Result<Change, ControlError> {
    let c = client(&a.client)?;
    let tokens: Vec<TokenInfo> = control.app().tokens.list()?.into_iter().map(TokenInfo::from).collect();
    let token_id = choose_token(&tokens, a.token_id.as_deref())?;
    let entry = StdioEntry::new(&control.app().config, &crate::control::cli_binary_path(), &token_id);
    super::add(&locations()?, c, &entry).map_err(install_error)
}

/// Removes our entry from the client's config file.
pub fn remove(_control: &Control, a: ClientSetupArgs) -> Result<Change, ControlError> {
    if a.token_id.is_some() {
        return Err(ControlError::InvalidInput("client_setup_remove takes only client".into()));
    }
    super::remove(&locations()?, client(&a.client)?).map_err(install_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(id: &str) -> TokenInfo {
        TokenInfo {
            id: id.into(),
            label: "l".into(),
            account: None,
            session_id: "s".into(),
            created_at: 0,
            last_used_at: None,
            policy: crate::policy::Policy::default(),
        }
    }

    #[test]
    fn the_only_token_is_chosen_when_none_is_given() {
        assert_eq!(choose_token(&[token("tok_a")], None).unwrap(), "tok_a");
    }

    #[test]
    fn a_given_token_must_exist_and_several_tokens_need_a_choice() {
        let two = [token("tok_a"), token("tok_b")];
        assert_eq!(choose_token(&two, Some("tok_b")).unwrap(), "tok_b");
        assert!(matches!(choose_token(&two, Some("tok_c")), Err(ControlError::NotFound(_))));
        let e = choose_token(&two, None).unwrap_err().to_string();
        assert!(e.contains("several tokens") && e.contains("tok_a (l)"), "{e}");
        assert!(choose_token(&[], None).unwrap_err().to_string().contains("no token yet"));
    }

    #[test]
    fn unknown_clients_are_named_with_the_known_ones() {
        let e = client("zed").unwrap_err().to_string();
        assert!(e.contains("one of: claude_desktop, claude_code, cursor, vscode, windsurf, codex"), "{e}");
    }
}
