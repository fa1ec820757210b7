//! Adoption of auth keys found in grammers `SqliteSession` files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{KeyEntry, Shared, crypto};

async fn keys_in(path: &Path) -> Vec<[u8; 256]> {
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
