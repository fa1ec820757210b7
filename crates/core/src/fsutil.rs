//! Private-file helpers: owner-only directories and files (0700/0600 on Unix, an owner-only
//! access list on Windows), atomic replacement, and the config dir's permission check.

use std::io::Write;
use std::path::Path;

/// Creates `dir` (and parents) and restricts it to the owner (0700 on Unix; on Windows an
/// owner-only access list that files created inside inherit).
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(windows)]
    crate::winsec::restrict_to_owner(dir, true)?;
    Ok(())
}

/// Restricts an existing file to its owner (0600 on Unix, an owner-only access list on Windows).
pub fn restrict_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(windows)]
    crate::winsec::restrict_to_owner(path, false)?;
    Ok(())
}

/// Open options whose created files are owner-only (0600).
#[cfg(unix)]
fn private_options() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.mode(0o600);
    opts
}

/// Open options whose created files are owner-only: they inherit the private dir's owner-only
/// access list.
#[cfg(not(unix))]
fn private_options() -> std::fs::OpenOptions {
    std::fs::OpenOptions::new()
}

/// Opens (creating if needed) an owner-only (0600) file for reading and writing, e.g. a lock file.
pub fn open_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    private_options().read(true).write(true).create(true).truncate(false).open(path)
}

/// Opens (creating if needed) an owner-only (0600) file for appending, e.g. a log.
pub fn open_private_append(path: &Path) -> std::io::Result<std::fs::File> {
    private_options().create(true).append(true).open(path)
}

/// Writes `bytes` to `path` atomically: a 0600 temp file in the same dir, fsync, rename.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile_in(dir)?;
    tmp.1.write_all(bytes)?;
    tmp.1.sync_all()?;
    drop(tmp.1);
    if let Err(e) = replace(&tmp.0, path) {
        let _ = std::fs::remove_file(&tmp.0);
        return Err(e);
    }
    // Make the rename itself durable (a crash right after must not bring back the old file).
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Renames `from` over `to`.
#[cfg(not(windows))]
fn replace(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::rename(from, to)
}

/// Renames `from` over `to`. Windows refuses to replace a file another process is reading at
/// that moment (without POSIX rename semantics), and virus scanners hold new files open for a
/// moment: both pass within milliseconds, so "access denied" is retried for up to a second.
#[cfg(windows)]
fn replace(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut wait = std::time::Duration::from_millis(1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        match std::fs::rename(from, to) {
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && std::time::Instant::now() < deadline => {
                std::thread::sleep(wait);
                wait = (wait * 2).min(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn tempfile_in(dir: &Path) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    let name = format!(".tmp-{}", uuid::Uuid::new_v4().simple());
    let path = dir.join(name);
    let f = private_options().write(true).create_new(true).open(&path)?;
    Ok((path, f))
}

/// Why the config dir cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PermissionError {
    /// A file or folder belongs to another user (named by uid on Unix, SID on Windows): we
    /// neither use nor change it.
    #[error(
        "{0} belongs to another user ({1}); make it yours (e.g. `chown -R $USER`, or take ownership in its Security properties) before starting"
    )]
    NotOwned(std::path::PathBuf, String),
    /// The check itself failed.
    #[error("cannot check {0}: {1}")]
    Io(std::path::PathBuf, std::io::Error),
}

/// Checks the config dir and everything in it (two levels: files and `sessions/`): owned by
/// this user (else an error, nothing changed), and private: folders 0700, files and sockets
/// 0600 on Unix; on Windows an access list that lets nobody else in. Loosened permissions
/// are tightened; returns what was repaired. Symbolic links are neither followed nor changed.
pub fn repair_permissions(dir: &Path) -> Result<Vec<std::path::PathBuf>, PermissionError> {
    let mut repaired = Vec::new();
    if !dir.exists() {
        return Ok(repaired);
    }
    let mut visit = |path: &Path| -> Result<bool, PermissionError> {
        let m = std::fs::symlink_metadata(path).map_err(|e| PermissionError::Io(path.to_path_buf(), e))?;
        if m.file_type().is_symlink() {
            return Ok(false);
        }
        if repair_one(path, &m)? {
            repaired.push(path.to_path_buf());
        }
        Ok(m.is_dir())
    };
    visit(dir)?;
    let entries = std::fs::read_dir(dir).map_err(|e| PermissionError::Io(dir.to_path_buf(), e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if visit(&path)? {
            let inner = std::fs::read_dir(&path).map_err(|e| PermissionError::Io(path.clone(), e))?;
            for e in inner.flatten() {
                visit(&e.path())?;
            }
        }
    }
    for p in &repaired {
        tracing::warn!(path = %p.display(), "tightened the permissions of a file in the config dir (it was open to others)");
    }
    Ok(repaired)
}

/// Checks one path's owner and tightens its permissions; `true` when it had to.
#[cfg(unix)]
fn repair_one(path: &Path, m: &std::fs::Metadata) -> Result<bool, PermissionError> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // SAFETY: getuid has no preconditions.
    let me = unsafe { libc::getuid() };
    if m.uid() != me {
        return Err(PermissionError::NotOwned(path.to_path_buf(), format!("uid {}", m.uid())));
    }
    let want = if m.is_dir() { 0o700 } else { 0o600 };
    if m.mode() & 0o777 == want {
        return Ok(false);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(want))
        .map_err(|e| PermissionError::Io(path.to_path_buf(), e))?;
    Ok(true)
}

/// Checks one path's owner and tightens its access list; `true` when it had to.
#[cfg(windows)]
fn repair_one(path: &Path, m: &std::fs::Metadata) -> Result<bool, PermissionError> {
    use crate::winsec;
    let io = |e| PermissionError::Io(path.to_path_buf(), e);
    let me = winsec::current_user_sid().map_err(io)?;
    let (owner, dacl) = winsec::file_security(path).map_err(io)?;
    if !winsec::is_own_sid(&owner).map_err(io)? {
        return Err(PermissionError::NotOwned(path.to_path_buf(), format!("SID {owner}")));
    }
    if winsec::dacl_is_owner_only(&dacl, me) {
        return Ok(false);
    }
    winsec::restrict_to_owner(path, m.is_dir()).map_err(io)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn loosened_modes_are_repaired() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("cfg");
        ensure_private_dir(&cfg.join("sessions")).unwrap();
        std::fs::write(cfg.join("tokens.json"), b"{}").unwrap();
        std::fs::write(cfg.join("sessions").join("s_a.session"), b"x").unwrap();
        let set = |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        set(&cfg, 0o755);
        set(&cfg.join("sessions"), 0o755);
        set(&cfg.join("tokens.json"), 0o644);
        set(&cfg.join("sessions").join("s_a.session"), 0o644);
        let repaired = repair_permissions(&cfg).unwrap();
        assert_eq!(repaired.len(), 4, "{repaired:?}");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&cfg), 0o700);
        assert_eq!(mode(&cfg.join("sessions")), 0o700);
        assert_eq!(mode(&cfg.join("tokens.json")), 0o600);
        assert_eq!(mode(&cfg.join("sessions").join("s_a.session")), 0o600);
        assert!(repair_permissions(&cfg).unwrap().is_empty(), "nothing left to repair");
    }

    #[cfg(windows)]
    #[test]
    fn loosened_access_lists_are_repaired() {
        use crate::winsec::{
            SecurityDescriptor, current_user_sid, dacl_is_owner_only, file_security, set_protected_dacl,
        };
        if crate::winsec::running_under_wine() {
            eprintln!("not checked under Wine, which keeps no access lists; the Windows CI job runs it");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("cfg");
        ensure_private_dir(&cfg.join("sessions")).unwrap();
        std::fs::write(cfg.join("tokens.json"), b"{}").unwrap();
        std::fs::write(cfg.join("sessions").join("s_a.session"), b"x").unwrap();
        assert!(repair_permissions(&cfg).unwrap().is_empty(), "created private: nothing to repair");
        let me = current_user_sid().unwrap();
        // Everyone may read the index; the session file gets a null DACL (anyone may do anything).
        let everyone = SecurityDescriptor::from_sddl(&format!("D:P(A;;FA;;;{me})(A;;FR;;;WD)")).unwrap();
        set_protected_dacl(&cfg.join("tokens.json"), &everyone).unwrap();
        let open = SecurityDescriptor::from_sddl("D:NO_ACCESS_CONTROL").unwrap();
        set_protected_dacl(&cfg.join("sessions").join("s_a.session"), &open).unwrap();
        let repaired = repair_permissions(&cfg).unwrap();
        assert_eq!(repaired.len(), 2, "{repaired:?}");
        for p in [cfg.join("tokens.json"), cfg.join("sessions").join("s_a.session")] {
            let (_, dacl) = file_security(&p).unwrap();
            assert!(dacl_is_owner_only(&dacl, me), "{}: {dacl}", p.display());
        }
        assert!(repair_permissions(&cfg).unwrap().is_empty(), "nothing left to repair");
    }
}
