//! Core of fast-mcp-telegram: an MCP server for your own Telegram account.
//!
//! Modules, one concern each: [`config`], [`tokens`] (token values),
//! [`token_index`] (digests → sessions), [`keystore`] (OS keyring),
//! [`sessions`] (session files, connected-client LRU), `telegram` (the
//! grammers wrapper), `live` (each session's update loop and new-message buffer), [`tools`] (the MCP tools), [`mcp`] (the MCP handler),
//! [`transport`] (stdio, HTTP, the `/setup` page), [`control`] (the setup
//! operations shared by the tray app, the setup page and the owner socket),
//! [`owner`] (one owner per config dir), [`server`] (the HTTP server's lifecycle).
//!
//! Only what the CLI, the tray app and the integration tests use is public; the rest
//! (`attachments`, `backup`, `fsutil`, `import`, `session_store`, `settings`, `telegram`) is
//! crate-private so that the compiler reports what nobody calls.

pub mod activity;
pub mod app;
pub mod approvals;
pub(crate) mod attachments;
pub(crate) mod backup;
pub mod changes;
pub mod client_install;
mod clock;
pub mod config;
pub mod control;
pub mod folder_scope;
pub(crate) mod fsutil;
pub(crate) mod import;
pub mod keystore;
pub(crate) mod live;
pub mod login;
pub mod mcp;
pub mod owner;
pub mod pacing;
pub mod policy;
pub mod server;
pub(crate) mod session_store;
pub mod sessions;
pub(crate) mod settings;
pub(crate) mod telegram;
pub mod token_index;
pub mod tokens;
pub mod tools;
pub mod transport;
#[cfg(windows)]
pub(crate) mod winsec;
