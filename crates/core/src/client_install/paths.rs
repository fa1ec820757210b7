//! Where each MCP client keeps its config file, per platform, from an overridable environment.

use super::Client;
use std::ffi::OsString;
use std::path::PathBuf;

/// A desktop platform, chosen at run time so tests can resolve any platform's paths anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// Linux and the other Unix desktops (XDG layout).
    Linux,
    /// macOS (`~/Library/Application Support`).
    MacOs,
    /// Windows (`%APPDATA%`, `%USERPROFILE%`).
    Windows,
}

impl Os {
    /// The platform this binary was built for.
    pub fn current() -> Os {
        if cfg!(target_os = "macos") {
            Os::MacOs
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Linux
        }
    }
}

/// The directories client configs live under, resolved once from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locations {
    os: Os,
    home: PathBuf,
    /// Per-user application config: `$XDG_CONFIG_HOME`, `~/Library/Application Support`, `%APPDATA%`.
    app_config: PathBuf,
    /// Windows `%LOCALAPPDATA%` (the Store build of Claude Desktop keeps its config there).
    local_app_data: Option<PathBuf>,
    /// `$CODEX_HOME`, default `~/.codex`.
    codex_home: PathBuf,
}

/// Claude Desktop's MSIX (Microsoft Store) package keeps its roaming data under here.
const CLAUDE_MSIX_DIR: &str = "Packages/Claude_pzs8sxrjxfjjc/LocalCache/Roaming/Claude";

impl Locations {
    /// This process's platform and environment (`HOME`, `XDG_CONFIG_HOME`, `APPDATA`, `CODEX_HOME`…).
    /// `None` without a home directory.
    pub fn from_env() -> Option<Locations> {
        Locations::from_lookup(Os::current(), |k| std::env::var_os(k))
    }

    /// `os`'s layout with variables from `lookup`; tests point `HOME` at a temp dir. Relative values
    /// are ignored, as the XDG spec asks.
    pub fn from_lookup(os: Os, lookup: impl Fn(&str) -> Option<OsString>) -> Option<Locations> {
        let abs = |k: &str| lookup(k).map(PathBuf::from).filter(|p| p.is_absolute() || p.has_root());
        let home = match os {
            Os::Windows => abs("USERPROFILE").or_else(|| abs("HOME"))?,
            Os::Linux | Os::MacOs => abs("HOME")?,
        };
        let app_config = match os {
            Os::Linux => abs("XDG_CONFIG_HOME").unwrap_or_else(|| home.join(".config")),
            Os::MacOs => home.join("Library").join("Application Support"),
            Os::Windows => abs("APPDATA").unwrap_or_else(|| home.join("AppData").join("Roaming")),
        };
        let local_app_data = match os {
            Os::Windows => Some(abs("LOCALAPPDATA").unwrap_or_else(|| home.join("AppData").join("Local"))),
            Os::Linux | Os::MacOs => None,
        };
        let codex_home = abs("CODEX_HOME").unwrap_or_else(|| home.join(".codex"));
        Some(Locations { os, home, app_config, local_app_data, codex_home })
    }

    /// The platform these paths are for.
    pub fn os(&self) -> Os {
        self.os
    }

    /// The user-level config file `client` reads its MCP servers from (it may not exist yet).
    pub fn config_file(&self, client: Client) -> PathBuf {
        match client {
            Client::ClaudeDesktop => self.claude_desktop_dir().join("claude_desktop_config.json"),
            // User scope: `claude mcp add --scope user` writes the top-level `mcpServers` here.
            Client::ClaudeCode => self.home.join(".claude.json"),
            Client::Cursor => self.home.join(".cursor").join("mcp.json"),
            // The default profile's user `mcp.json` ("MCP: Open User Configuration").
            Client::VsCode => self.app_config.join("Code").join("User").join("mcp.json"),
            Client::Windsurf => self.home.join(".codeium").join("windsurf").join("mcp_config.json"),
            Client::Codex => self.codex_home.join("config.toml"),
        }
    }

    /// The directory whose presence suggests the client is installed (or has run once).
    pub fn client_dir(&self, client: Client) -> PathBuf {
        match client {
            Client::ClaudeCode => self.home.join(".claude"),
            Client::VsCode => self.app_config.join("Code"),
            other => self.config_file(other).parent().map(PathBuf::from).unwrap_or_else(|| self.home.clone()),
        }
    }

    fn claude_desktop_dir(&self) -> PathBuf {
        let classic = self.app_config.join("Claude");
        // The Store build reads only its virtualised copy; prefer it when it exists and the classic one does not.
        if let Some(local) = &self.local_app_data {
            let msix = CLAUDE_MSIX_DIR.split('/').fold(local.clone(), |p, s| p.join(s));
            if msix.is_dir() && !classic.is_dir() {
                return msix;
            }
        }
        classic
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn locs(os: Os, vars: &[(&str, &str)]) -> Locations {
        let map: HashMap<String, OsString> = vars.iter().map(|(k, v)| (k.to_string(), OsString::from(v))).collect();
        Locations::from_lookup(os, |k| map.get(k).cloned()).unwrap()
    }

    #[test]
    fn linux_paths_follow_home_and_xdg_config_home() {
        let l = locs(Os::Linux, &[("HOME", "/h"), ("XDG_CONFIG_HOME", "/x")]);
        assert_eq!(l.config_file(Client::ClaudeDesktop), PathBuf::from("/x/Claude/claude_desktop_config.json"));
        assert_eq!(l.config_file(Client::VsCode), PathBuf::from("/x/Code/User/mcp.json"));
        assert_eq!(l.config_file(Client::ClaudeCode), PathBuf::from("/h/.claude.json"));
        assert_eq!(l.config_file(Client::Cursor), PathBuf::from("/h/.cursor/mcp.json"));
        assert_eq!(l.config_file(Client::Windsurf), PathBuf::from("/h/.codeium/windsurf/mcp_config.json"));
        assert_eq!(l.config_file(Client::Codex), PathBuf::from("/h/.codex/config.toml"));
    }

    #[test]
    fn a_relative_xdg_config_home_is_ignored_and_codex_home_is_honoured() {
        let l = locs(Os::Linux, &[("HOME", "/h"), ("XDG_CONFIG_HOME", "rel"), ("CODEX_HOME", "/c")]);
        assert_eq!(l.config_file(Client::VsCode), PathBuf::from("/h/.config/Code/User/mcp.json"));
        assert_eq!(l.config_file(Client::Codex), PathBuf::from("/c/config.toml"));
    }

    #[test]
    fn macos_paths_live_under_application_support() {
        let l = locs(Os::MacOs, &[("HOME", "/Users/a")]);
        assert_eq!(
            l.config_file(Client::ClaudeDesktop),
            PathBuf::from("/Users/a/Library/Application Support/Claude/claude_desktop_config.json")
        );
        assert_eq!(
            l.config_file(Client::VsCode),
            PathBuf::from("/Users/a/Library/Application Support/Code/User/mcp.json")
        );
    }

    #[test]
    fn windows_paths_use_appdata_and_userprofile() {
        let l = locs(Os::Windows, &[("USERPROFILE", "/u"), ("APPDATA", "/u/roam")]);
        assert_eq!(l.config_file(Client::ClaudeDesktop), PathBuf::from("/u/roam/Claude/claude_desktop_config.json"));
        assert_eq!(l.config_file(Client::Cursor), PathBuf::from("/u/.cursor/mcp.json"));
    }

    #[test]
    fn the_store_build_of_claude_desktop_is_found_when_only_it_exists() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("local");
        let msix = CLAUDE_MSIX_DIR.split('/').fold(local.clone(), |p, s| p.join(s));
        std::fs::create_dir_all(&msix).unwrap();
        let home = dir.path().to_str().unwrap();
        let l = locs(Os::Windows, &[("USERPROFILE", home), ("LOCALAPPDATA", local.to_str().unwrap())]);
        assert_eq!(l.config_file(Client::ClaudeDesktop), msix.join("claude_desktop_config.json"));
    }

    #[test]
    fn no_home_means_no_locations() {
        assert!(Locations::from_lookup(Os::Linux, |_| None).is_none());
    }
}
