//! Core of fast-mcp-telegram: an MCP server for your own Telegram account.
//!
//! Modules, one concern each: [`config`], [`tokens`] (token values),
//! [`token_index`] (digests → sessions), [`keystore`] (OS keyring),
//! [`sessions`] (session files, connected-client LRU), [`telegram`] (the
//! grammers wrapper), [`tools`] (the MCP tools), [`mcp`] (the MCP handler),
//! [`transport`] (stdio, HTTP, the `/setup` page), [`control`] (the setup
//! operations shared by the tray app and the setup page).

pub mod app;
pub mod attachments;
pub mod backup;
pub mod client_install;
pub mod config;
pub mod control;
pub mod fsutil;
pub mod import;
pub mod keystore;
pub mod login;
pub mod mcp;
#[cfg(unix)]
pub mod owner;
pub mod session_store;
pub mod sessions;
pub mod settings;
pub mod telegram;
pub mod token_index;
pub mod tokens;
pub mod tools;
pub mod transport;
