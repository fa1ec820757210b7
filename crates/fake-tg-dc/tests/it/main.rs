//! The fake-tg-dc crate's integration tests, one module per concern, linked into one binary
//! (one binary instead of one per file: a fraction of the link time and disk).

mod common;
mod crosscheck;
mod login;
mod reading;
mod sessions;
mod updates;
mod world_state;
mod writing;
