//! MCP transports: stdio and localhost streamable HTTP.

pub mod http;
pub mod stdio;
