//! The safe-fetch crate's integration tests, one module per concern, linked into one binary
//! (one binary instead of one per file: a fraction of the link time and disk).

mod blocked;
mod server;
