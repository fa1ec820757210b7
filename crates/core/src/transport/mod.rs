//! MCP transports: stdio and localhost streamable HTTP (plus the loopback-only setup page).

pub mod http;
mod origin;
pub mod setup;
pub mod stdio;
