//! Private-file helpers: 0700 directories, 0600 files, atomic replacement.

use std::io::Write;
use std::path::Path;

/// Creates `dir` (and parents) and restricts it to the owner (0700 on Unix).
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Creates an empty owner-only file (0600) if it does not exist yet.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?;
    Ok(())
}

/// Opens (creating if needed) an owner-only (0600) file for reading and writing, e.g. a lock file.
pub fn open_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Writes `bytes` to `path` atomically: a 0600 temp file in the same dir, fsync, rename.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile_in(dir)?;
    tmp.1.write_all(bytes)?;
    tmp.1.sync_all()?;
    if let Err(e) = std::fs::rename(&tmp.0, path) {
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

fn tempfile_in(dir: &Path) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let name = format!(".tmp-{}", uuid::Uuid::new_v4().simple());
    let path = dir.join(name);
    let f = opts.open(&path)?;
    Ok((path, f))
}
