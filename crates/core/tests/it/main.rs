//! The core crate's integration tests, one module per concern, linked into one binary
//! (one binary instead of one per file: a fraction of the link time and disk).

mod attachments;
mod classification_snapshot;
mod common;
mod guarded_writes;
mod housekeeping;
mod http_auth;
mod login;
mod owner_host;
mod raw_scope;
mod secret_service;
mod session_pool;
mod sessions_at_rest;
mod sessions_lru;
mod stalled_link;
mod token_policy;
mod token_policy_folders;
mod tokens_atomic;
mod tool_inputs;
mod tool_results;
mod tools_actions;
mod tools_chats;
mod tools_drafts;
mod tools_inbox;
mod tools_mtproto;
mod tools_read;
mod tools_read_state;
mod tools_scheduled;
mod tools_voice;
mod tools_wait;
mod tools_write;
