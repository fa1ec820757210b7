//! One owner per config dir: the process that holds the owner lock is the only one that opens
//! session files, writes the token index and settings, and keeps Telegram connections. The
//! tray app, `serve --transport http` and `fast-mcp-telegram agent` are owners; stdio clients
//! and the CLI talk to the owner over an owner-only local socket (see [`server`]).

pub mod client;
pub mod endpoint;
pub mod lock;
pub mod protocol;
pub mod server;
pub mod shim;

pub use lock::{OwnerError, OwnerInfo, OwnerKind, OwnerLock};
