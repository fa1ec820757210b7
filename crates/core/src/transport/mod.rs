//! MCP transports: localhost streamable HTTP (plus the loopback-only setup page). Stdio
//! clients reach the owner process through [`crate::owner`] (its socket and the stdio relay).

pub mod http;
