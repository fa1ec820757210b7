//! Bringing a login over from the Python fast-mcp-telegram server: its Telethon session files
//! (`~/.config/fast-mcp-telegram/{token}.session`, SQLite with a `sessions` table holding the
//! DC id, address, port and the 256-byte auth key) become our sessions with the same
//! authorization, and a file named by a valid token keeps that token working.

use crate::app::App;
use crate::session_store::FileSession;
use crate::token_index::{IndexError, TokenRecord};
use crate::tokens::Token;
use grammers_session::Session;
use grammers_session::types::DcOption;
use std::net::{IpAddr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::path::{Path, PathBuf};

/// Why an import failed (nothing was created).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read as a Telethon session.
    #[error("{path} is not a readable Telethon session file: {msg}")]
    NotTelethon {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        msg: String,
    },
    /// The file holds no authorization.
    #[error("{0} holds no logged-in authorization (no auth key)")]
    NoAuthorization(PathBuf),
    /// The token the file is named by is already registered here.
    #[error("the token in this file's name is already registered here (token {0}); nothing was imported")]
    AlreadyImported(String),
    /// Writing our session or the token index failed.
    #[error("{0}")]
    Store(String),
}

impl From<IndexError> for ImportError {
    fn from(e: IndexError) -> Self {
        ImportError::Store(e.to_string())
    }
}

/// The authorization found in a Telethon session file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelethonAuth {
    /// Data centre id.
    pub dc_id: i32,
    /// Its address.
    pub addr: SocketAddr,
    /// The MTProto auth key.
    pub auth_key: [u8; 256],
}

/// Reads the authorization of a Telethon SQLite session file.
pub async fn read_telethon(path: &Path) -> Result<TelethonAuth, ImportError> {
    let bad = |msg: String| ImportError::NotTelethon { path: path.to_path_buf(), msg };
    if !path.is_file() {
        return Err(bad("no such file".into()));
    }
    let db = libsql::Builder::new_local(path)
        .flags(libsql::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .build()
        .await
        .map_err(|e| bad(e.to_string()))?;
    let conn = db.connect().map_err(|e| bad(e.to_string()))?;
    let mut rows = conn
        .query("SELECT dc_id, server_address, port, auth_key FROM sessions", ())
        .await
        .map_err(|e| bad(format!("no Telethon `sessions` table ({e})")))?;
    while let Some(row) = rows.next().await.map_err(|e| bad(e.to_string()))? {
        let dc_id: i64 = row.get(0).map_err(|e| bad(e.to_string()))?;
        let address: String = row.get(1).map_err(|e| bad(e.to_string()))?;
        let port: i64 = row.get(2).map_err(|e| bad(e.to_string()))?;
        let key: Option<Vec<u8>> = row.get(3).ok();
        let Some(key) = key.and_then(|k| <[u8; 256]>::try_from(k.as_slice()).ok()) else { continue };
        let ip: IpAddr = address.parse().map_err(|_| bad(format!("bad server address {address:?}")))?;
        let port = u16::try_from(port).map_err(|_| bad(format!("bad port {port}")))?;
        let dc_id = i32::try_from(dc_id).map_err(|_| bad(format!("bad DC id {dc_id}")))?;
        return Ok(TelethonAuth { dc_id, addr: SocketAddr::new(ip, port), auth_key: key });
    }
    Err(ImportError::NoAuthorization(path.to_path_buf()))
}

/// What an import created.
#[derive(Debug)]
pub struct Imported {
    /// The token record now selecting the imported session.
    pub record: TokenRecord,
    /// A new token, when the file's name was not a token (shown once).
    pub new_token: Option<Token>,
}

/// Imports the Telethon session at `path` as a new session of `app`. When the file is named
/// by a valid token (`{token}.session`, as the Python server names them), that token is
/// registered for the new session; otherwise a new token is issued.
pub async fn import_telethon(app: &App, path: &Path, label: &str) -> Result<Imported, ImportError> {
    let auth = read_telethon(path).await?;
    let named_by = path.file_stem().and_then(|s| s.to_str()).and_then(|s| Token::parse(s).ok());
    if let Some(t) = &named_by
        && let Ok(Some(existing)) = app.tokens.lookup(t)
    {
        return Err(ImportError::AlreadyImported(existing.id));
    }
    let session_id = crate::token_index::new_id("s_");
    let file = app.sessions.path(&session_id).map_err(|e| ImportError::Store(e.to_string()))?;
    let store =
        FileSession::open(&file, app.sessions.seal_key()).await.map_err(|e| ImportError::Store(e.to_string()))?;
    let (v4, v6) = match auth.addr {
        SocketAddr::V4(a) => (a, SocketAddrV6::new(a.ip().to_ipv6_mapped(), a.port(), 0, 0)),
        SocketAddr::V6(a) => (SocketAddrV4::new(std::net::Ipv4Addr::UNSPECIFIED, a.port()), a),
    };
    let _ = store.set_dc_option(&DcOption { id: auth.dc_id, ipv4: v4, ipv6: v6, auth_key: Some(auth.auth_key) }).await;
    let _ = store.set_home_dc_id(auth.dc_id).await;
    store.flush().await.map_err(|e| ImportError::Store(e.to_string()))?;
    drop(store);
    let (record, new_token) = match named_by {
        Some(t) => (app.tokens.register_existing(label, &session_id, &t)?, None),
        None => {
            let issued = app.tokens.create_for_session(label, &session_id)?;
            (issued.record, Some(issued.token))
        }
    };
    tracing::info!(session = %session_id, token_id = %record.id, "imported a Telethon session");
    Ok(Imported { record, new_token })
}

/// Telethon session files of the Python server found at the top of the config dir (it keeps
/// `{token}.session` there; ours live in `sessions/`), minus those already imported.
pub fn importable(app: &App) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(&app.config.session_dir) else { return Vec::new() };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "session"))
        .filter(|p| {
            let token = p.file_stem().and_then(|s| s.to_str()).and_then(|s| Token::parse(s).ok());
            token.is_none_or(|t| app.tokens.lookup(&t).ok().flatten().is_none())
        })
        .collect();
    found.sort();
    found
}
