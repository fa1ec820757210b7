//! The uniform JSON schema for entities and messages.
