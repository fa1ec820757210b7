//! Adoption of auth keys found in session files: grammers `SqliteSession` files and plain
//! fast-mcp-telegram session files (sealed ones cannot be read; their keys are issued instead).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{KeyEntry, Shared, crypto};

/// Keys in a plain fast-mcp-telegram session file (`FMTS1\n` + JSON with hex auth keys).
fn plain_keys_in(bytes: &[u8]) -> Vec<[u8; 256]> {
    let Some(json) = bytes.strip_prefix(b"FMTS1\n") else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(json) else {
        return Vec::new();
    };
    let hex_key = |s: &str| -> Option<[u8; 256]> {
        let bytes: Option<Vec<u8>> = (0..s.len())
            .step_by(2)
            .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect();
        <[u8; 256]>::try_from(bytes?.as_slice()).ok()
    };
    v["dc_options"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["auth_key"].as_str().and_then(hex_key))
        .collect()
}

async fn keys_in(path: &Path) -> Vec<[u8; 256]> {
    if let Ok(bytes) = std::fs::read(path)
        && bytes.starts_with(b"FMTS1\n")
    {
        return plain_keys_in(&bytes);
    }
    let mut out = Vec::new();
    let Ok(db) = libsql::Builder::new_local(path)
        .flags(libsql::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .build()
        .await
    else {
        return out;
    };
    let Ok(conn) = db.connect() else { return out };
    let Ok(mut rows) = conn
        .query(
            "SELECT auth_key FROM dc_option WHERE auth_key IS NOT NULL",
            (),
        )
        .await
    else {
        return out;
    };
    while let Ok(Some(row)) = rows.next().await {
        if let Ok(blob) = row.get::<Vec<u8>>(0)
            && let Ok(key) = <[u8; 256]>::try_from(blob.as_slice())
        {
            out.push(key);
        }
    }
    out
}

/// Scans the watched directories for a key with id `key_id` and registers it (logged out).
pub(crate) async fn adopt(shared: &Arc<Shared>, key_id: [u8; 8]) {
    let dirs: Vec<PathBuf> = shared.lock().watch_dirs.clone();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("session") {
                continue;
            }
            for key in keys_in(&path).await {
                if crypto::key_id(&key) == key_id {
                    shared.lock().keys.entry(key_id).or_insert(KeyEntry {
                        key,
                        user: None,
                        pending_2fa: None,
                    });
                    return;
                }
            }
        }
    }
}
