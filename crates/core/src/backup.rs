//! Backups: one passphrase-encrypted archive of a config dir (sessions, token index, settings,
//! and on request the token secrets from the keyring) that restores on this or another machine,
//! and the rolling local copies of a session kept before anything destroys it.
//!
//! Archive layout: `FMTBK1` + Argon2id parameters (m KiB, t, p as u32 LE) + 16-byte salt +
//! 24-byte nonce + XChaCha20-Poly1305 ciphertext of a JSON [`Archive`] (header as associated
//! data, so the parameters cannot be lowered unnoticed).

use crate::app::App;
use crate::session_store::StoreError;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"FMTBK1";
/// Archive format version.
const FORMAT: u32 = 1;
/// Argon2id cost: 64 MiB, 3 passes, 1 lane (OWASP's recommended minimum is 19 MiB, 2 passes).
const KDF: (u32, u32, u32) = (64 * 1024, 3, 1);
/// Local copies kept per session before destructive operations.
pub const LOCAL_COPIES: usize = 5;

/// Backup and restore failures; on any of them nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Wrong passphrase, or a damaged or foreign file.
    #[error("cannot open the backup: wrong passphrase or a damaged file (nothing was changed)")]
    WrongPassphrase,
    /// Not a backup of ours.
    #[error("{0} is not a fast-mcp-telegram backup")]
    NotABackup(PathBuf),
    /// The current state is newer than the backup.
    #[error(
        "this config dir changed after the backup was made ({0}); restoring would lose that (use --force to restore anyway)"
    )]
    NewerState(String),
    /// The passphrase is too short.
    #[error("the passphrase must be at least 8 characters")]
    WeakPassphrase,
    /// Reading or writing failed.
    #[error("{0}")]
    Io(String),
    /// A session file could not be read.
    #[error(transparent)]
    Session(#[from] StoreError),
}

/// What an archive holds.
#[derive(Debug, Serialize, Deserialize)]
struct Archive {
    format: u32,
    /// Unix milliseconds (file times are compared against it to spot a newer state).
    created_at_ms: i64,
    version: String,
    /// `tokens.json` as it was.
    tokens: serde_json::Value,
    /// `settings.json`, if there was one.
    settings: Option<serde_json::Value>,
    /// Session data (decrypted) by session id.
    sessions: BTreeMap<String, serde_json::Value>,
    /// Token secrets by token id (only with `include_secrets`).
    #[serde(default)]
    secrets: BTreeMap<String, String>,
}

/// What a backup or restore covered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Summary {
    /// Sessions in the archive.
    pub sessions: usize,
    /// Tokens in the archive.
    pub tokens: usize,
    /// Token secrets in the archive (or restored into the keyring).
    pub secrets: usize,
    /// When the archive was made (Unix seconds).
    pub created_at: i64,
}

fn io(e: impl std::fmt::Display) -> BackupError {
    BackupError::Io(e.to_string())
}

fn derive(passphrase: &str, salt: &[u8], (m, t, p): (u32, u32, u32)) -> Result<[u8; 32], BackupError> {
    let params = argon2::Params::new(m, t, p, Some(32)).map_err(io)?;
    let kdf = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = [0u8; 32];
    kdf.hash_password_into(passphrase.as_bytes(), salt, &mut key).map_err(io)?;
    Ok(key)
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut b).expect("the OS random number generator failed");
    b
}

/// Writes an encrypted archive of `app`'s config dir to `out` (0600). Connected sessions are
/// saved first, so the archive holds their latest state.
pub async fn create(app: &App, out: &Path, passphrase: &str, include_secrets: bool) -> Result<Summary, BackupError> {
    if passphrase.chars().count() < 8 {
        return Err(BackupError::WeakPassphrase);
    }
    app.sessions.flush_all().await;
    let dir = &app.config.session_dir;
    let tokens: serde_json::Value = match std::fs::read(dir.join("tokens.json")) {
        Ok(b) => serde_json::from_slice(&b).map_err(io)?,
        Err(_) => serde_json::json!({ "version": 1, "tokens": [] }),
    };
    let settings = std::fs::read(dir.join("settings.json")).ok().and_then(|b| serde_json::from_slice(&b).ok());
    let seal = app.sessions.seal_key();
    let mut sessions = BTreeMap::new();
    for entry in std::fs::read_dir(app.sessions.dir()).map_err(io)?.flatten() {
        let path = entry.path();
        let Some(id) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".session")) else {
            continue;
        };
        if crate::sessions::validate_session_id(id).is_err() {
            continue;
        }
        let json = crate::session_store::read_json(&path, seal.as_ref())?;
        sessions.insert(id.to_string(), serde_json::from_slice(&json).map_err(io)?);
    }
    let mut secrets = BTreeMap::new();
    if include_secrets {
        for r in app.tokens.list().map_err(io)? {
            if let Ok(Some(s)) = app.tokens.keystore().get(&r.id) {
                secrets.insert(r.id, s);
            }
        }
    }
    let token_count = tokens["tokens"].as_array().map_or(0, Vec::len);
    let archive = Archive {
        format: FORMAT,
        created_at_ms: now_ms(),
        version: env!("CARGO_PKG_VERSION").into(),
        tokens,
        settings,
        sessions,
        secrets,
    };
    let summary = Summary {
        sessions: archive.sessions.len(),
        tokens: token_count,
        secrets: archive.secrets.len(),
        created_at: archive.created_at_ms / 1000,
    };
    let plain = serde_json::to_vec(&archive).map_err(io)?;
    let salt: [u8; 16] = random();
    let nonce: [u8; 24] = random();
    let header = [MAGIC, &KDF.0.to_le_bytes(), &KDF.1.to_le_bytes(), &KDF.2.to_le_bytes(), &salt].concat();
    let pass = passphrase.to_string();
    let key = tokio::task::spawn_blocking(move || derive(&pass, &salt, KDF)).await.map_err(io)??;
    let cipher = XChaCha20Poly1305::new(key.as_slice().into());
    let sealed = cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: &plain, aad: &header }).map_err(io)?;
    crate::fsutil::write_private_atomic(out, &[header.as_slice(), &nonce, &sealed].concat()).map_err(io)?;
    Ok(summary)
}

/// Restores an archive into `app`'s config dir. Refuses (without `force`) when the current
/// state is newer than the archive. Current sessions are copied to the local backups first;
/// connected clients are closed so they reopen from the restored files.
pub async fn restore(app: &App, file: &Path, passphrase: &str, force: bool) -> Result<Summary, BackupError> {
    let bytes = std::fs::read(file).map_err(|e| BackupError::Io(format!("{}: {e}", file.display())))?;
    let header_len = MAGIC.len() + 12 + 16;
    if !bytes.starts_with(MAGIC) || bytes.len() < header_len + 24 + 16 {
        return Err(BackupError::NotABackup(file.to_path_buf()));
    }
    let (header, rest) = bytes.split_at(header_len);
    let word = |i: usize| {
        u32::from_le_bytes(header[MAGIC.len() + 4 * i..MAGIC.len() + 4 * i + 4].try_into().expect("4 bytes"))
    };
    let params = (word(0), word(1), word(2));
    if params.0 < 8 * 1024 || params.1 < 1 {
        return Err(BackupError::NotABackup(file.to_path_buf()));
    }
    let salt = header[MAGIC.len() + 12..].to_vec();
    let (nonce, sealed) = rest.split_at(24);
    let pass = passphrase.to_string();
    let key = tokio::task::spawn_blocking(move || derive(&pass, &salt, params)).await.map_err(io)??;
    let cipher = XChaCha20Poly1305::new(key.as_slice().into());
    let plain = cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: header })
        .map_err(|_| BackupError::WrongPassphrase)?;
    let archive: Archive = serde_json::from_slice(&plain).map_err(|_| BackupError::NotABackup(file.to_path_buf()))?;
    if archive.format > FORMAT {
        return Err(BackupError::Io(format!("the backup was made by a newer version ({})", archive.version)));
    }
    let dir = app.config.session_dir.clone();
    if !force && let Some(newer) = newer_than(&dir, app.sessions.dir(), archive.created_at_ms) {
        return Err(BackupError::NewerState(newer));
    }
    // From here on the restore writes; first keep what is there.
    app.sessions.shutdown().await;
    let seal = app.sessions.seal_key();
    for entry in std::fs::read_dir(app.sessions.dir()).map_err(io)?.flatten() {
        if let Some(id) = entry.path().file_stem().and_then(|s| s.to_str()) {
            keep_local_copy(app.sessions.dir(), id);
        }
    }
    for (id, data) in &archive.sessions {
        crate::sessions::validate_session_id(id).map_err(io)?;
        let path = app.sessions.path(id).map_err(io)?;
        crate::session_store::write_json(&path, &serde_json::to_vec(data).map_err(io)?, seal.as_ref())?;
    }
    crate::fsutil::write_private_atomic(
        &dir.join("tokens.json"),
        &serde_json::to_vec_pretty(&archive.tokens).map_err(io)?,
    )
    .map_err(io)?;
    if let Some(settings) = &archive.settings {
        crate::fsutil::write_private_atomic(
            &dir.join("settings.json"),
            &serde_json::to_vec_pretty(settings).map_err(io)?,
        )
        .map_err(io)?;
    }
    let mut secrets = 0;
    if app.tokens.keystore().is_available() {
        for (id, secret) in &archive.secrets {
            if app.tokens.keystore().put(id, secret).is_ok() {
                secrets += 1;
            }
        }
    }
    let tokens = archive.tokens["tokens"].as_array().map_or(0, Vec::len);
    tracing::info!(sessions = archive.sessions.len(), tokens, "restored a backup");
    Ok(Summary { sessions: archive.sessions.len(), tokens, secrets, created_at: archive.created_at_ms / 1000 })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The newest change in the config dir after `since_ms`, described, if any.
fn newer_than(dir: &Path, sessions: &Path, since_ms: i64) -> Option<String> {
    let mtime = |p: &Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64)
    };
    let mut files = vec![dir.join("tokens.json")];
    files.extend(std::fs::read_dir(sessions).into_iter().flatten().flatten().map(|e| e.path()));
    files
        .into_iter()
        .filter_map(|p| mtime(&p).filter(|t| *t > since_ms).map(|t| (t, p)))
        .max()
        .map(|(_, p)| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
}

/// Copies a session file to `<config dir>/backups/<id>-<unix time>.session` (0600 in a 0700
/// folder) and keeps the newest [`LOCAL_COPIES`] of that session. Failures are logged, never fatal.
pub fn keep_local_copy(sessions_dir: &Path, session_id: &str) {
    let src = sessions_dir.join(format!("{session_id}.session"));
    if !src.is_file() {
        return;
    }
    let Some(backups) = sessions_dir.parent().map(|d| d.join("backups")) else { return };
    let result = (|| -> std::io::Result<()> {
        crate::fsutil::ensure_private_dir(&backups)?;
        let stamp =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        let dst = backups.join(format!("{session_id}-{stamp}.session"));
        std::fs::copy(&src, &dst)?;
        crate::fsutil::restrict_file(&dst)?;
        let prefix = format!("{session_id}-");
        let mut mine: Vec<PathBuf> = std::fs::read_dir(&backups)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&prefix)))
            .collect();
        mine.sort();
        while mine.len() > LOCAL_COPIES {
            std::fs::remove_file(mine.remove(0))?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        tracing::warn!(session = %session_id, "could not keep a local copy of the session: {e}");
    }
}
