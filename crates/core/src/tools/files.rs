//! Files to attach: the one decision "URL or local path", and local files from allowed folders only.
//!
//! [`classify_source`] is the only place that decides whether a `files` entry is a URL
//! (downloaded through `tgmcp-safe-fetch`) or a local path; every caller (single files and
//! albums, `send_message` and `send_message_to_phone`) goes through it.
//!
//! Local paths are allowed in stdio mode only, and only under an allowlist of folders: the
//! client's MCP roots when it offers some, otherwise the `ALLOWED_FILE_ROOTS` setting (default:
//! the home folder). Checks, in order:
//! 1. the path is absolute and has no `..` component;
//! 2. it is opened first (unix: `O_NOFOLLOW` so a final symlink is refused, `O_NONBLOCK` so a
//!    FIFO cannot block us), and everything else is checked on the opened handle;
//! 3. the handle is a regular file (no directory, FIFO, socket or device);
//! 4. the real path of the opened file (Linux: `/proc/self/fd/N`; elsewhere the canonical path
//!    with the same device and inode as the handle) is not under `/proc`, `/sys` or `/dev`, not
//!    in the app's config dir, under an allowed root, and has no dot-folder or dot-file below
//!    that root;
//! 5. its size is within `MAX_FILE_SIZE_MB`, and exactly that many bytes are read from the same
//!    handle (no check-then-read gap: what was checked is what is sent).

use super::ToolCtx;
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Where a `files` entry comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileSource {
    /// An `http(s)` URL, fetched with the SSRF-safe client.
    Url(url::Url),
    /// A local path (stdio mode only).
    Local(PathBuf),
}

/// Why a file cannot be attached.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FileError {
    /// A URL with a scheme other than http(s), e.g. `file:` or `ftp:`.
    #[error("URL scheme `{0}:` is not supported; attach https URLs (or, in stdio mode, absolute local paths)")]
    UnsupportedScheme(String),
    /// A local path over HTTP.
    #[error("local file paths are only allowed in stdio mode; over HTTP pass https URLs")]
    LocalOverHttp,
    /// A relative path.
    #[error("use an absolute path")]
    NotAbsolute,
    /// A path with a `..` component.
    #[error("paths with `..` are refused; give the file's direct absolute path")]
    ParentComponent,
    /// No folder is allowed.
    #[error(
        "no folder is allowed for local files ({0}); the user can set ALLOWED_FILE_ROOTS or the folders in the app's settings"
    )]
    NoRoots(&'static str),
    /// The last component is a symbolic link.
    #[error("is a symbolic link; links are not followed")]
    Symlink,
    /// Not a regular file.
    #[error("is {0}, not a regular file")]
    NotRegular(&'static str),
    /// Under `/proc`, `/sys` or `/dev`.
    #[error("is a system pseudo-file ({0}) and is never sent")]
    SystemPath(String),
    /// In the app's config dir or a session file.
    #[error("files of the app's config dir (tokens, settings, sessions) cannot be sent")]
    ConfigDir,
    /// Outside every allowed folder.
    #[error("is outside the folders files may be sent from ({source_name}: {roots}); ask the user to allow its folder")]
    OutsideRoots {
        /// Where the roots came from.
        source_name: &'static str,
        /// The roots, for the message.
        roots: String,
    },
    /// A dot-folder or dot-file below the root (`~/.ssh/…`, `~/.env`).
    #[error("is inside the hidden entry `{0}`; dot-folders and dot-files are never sent")]
    Hidden(String),
    /// Over the size limit.
    #[error("is {size} bytes, over the {max} byte limit (MAX_FILE_SIZE_MB)")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The file changed between the checks and the read.
    #[error("changed while being read; try again")]
    Changed,
    /// Opening or reading failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Decides whether `raw` is a URL or a local path: `http`/`https` in any case is a URL, any
/// other URL scheme is refused (a one-letter "scheme" is a Windows drive, hence a path), and
/// everything that is not a URL at all is a local path.
pub(crate) fn classify_source(raw: &str) -> Result<FileSource, FileError> {
    match url::Url::parse(raw.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(FileSource::Url(u)),
        Ok(u) if u.scheme().len() == 1 => Ok(FileSource::Local(PathBuf::from(raw))),
        Ok(u) => Err(FileError::UnsupportedScheme(u.scheme().to_string())),
        Err(_) => Ok(FileSource::Local(PathBuf::from(raw))),
    }
}

/// The folders local files may come from, and where that list came from.
#[derive(Debug, Clone)]
pub(crate) struct Roots {
    /// Absolute folders.
    pub paths: Vec<PathBuf>,
    /// `"the client's MCP roots"` or `"ALLOWED_FILE_ROOTS"`, for messages.
    pub source_name: &'static str,
}

/// The roots for this call: the client's MCP roots if it declared the capability and lists
/// some, else the `ALLOWED_FILE_ROOTS` setting.
pub(crate) async fn allowed_roots(ctx: &ToolCtx) -> Roots {
    if let Some(paths) = client_roots(ctx).await
        && !paths.is_empty()
    {
        return Roots { paths, source_name: "the client's MCP roots" };
    }
    Roots { paths: ctx.app.settings().file_roots(), source_name: "ALLOWED_FILE_ROOTS" }
}

/// `file://` roots the MCP client offers; `None` when it offers none or cannot be asked.
// Roots are deprecated by SEP-2577 but are what clients on the 2025 protocols offer.
#[allow(deprecated)]
async fn client_roots(ctx: &ToolCtx) -> Option<Vec<PathBuf>> {
    let peer = ctx.peer.as_ref()?;
    peer.peer_info()?.capabilities.roots.as_ref()?;
    let asked = tokio::time::timeout(std::time::Duration::from_secs(10), peer.list_roots()).await;
    match asked {
        Ok(Ok(list)) => Some(
            list.roots
                .iter()
                .filter_map(|r| url::Url::parse(&r.uri).ok())
                .filter(|u| u.scheme() == "file")
                .filter_map(|u| u.to_file_path().ok())
                .collect(),
        ),
        Ok(Err(e)) => {
            tracing::warn!("the client declared MCP roots but listing them failed ({e}); using ALLOWED_FILE_ROOTS");
            None
        }
        Err(_) => {
            tracing::warn!("the client declared MCP roots but did not list them in time; using ALLOWED_FILE_ROOTS");
            None
        }
    }
}

/// A local file, checked and read.
#[derive(Debug)]
pub(crate) struct LocalFile {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its file name (last path component).
    pub name: String,
}

/// Opens `path`, checks the opened file against `roots`, the config dir and the size limit,
/// and reads it from the same handle.
pub(crate) fn read_local(
    path: &Path,
    roots: &Roots,
    config_dir: &Path,
    max_bytes: u64,
) -> Result<LocalFile, FileError> {
    if !path.is_absolute() {
        return Err(FileError::NotAbsolute);
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(FileError::ParentComponent);
    }
    if roots.paths.is_empty() {
        return Err(FileError::NoRoots(roots.source_name));
    }
    let mut file = open_no_follow(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(FileError::NotRegular(kind_of(&meta)));
    }
    let real = real_path(&file, path)?;
    check_location(&real, roots, config_dir)?;
    if meta.len() > max_bytes {
        return Err(FileError::TooLarge { size: meta.len(), max: max_bytes });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&mut file).take(meta.len() + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != meta.len() {
        return Err(FileError::Changed);
    }
    let name = real.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into());
    Ok(LocalFile { bytes, name })
}

/// Where the opened file really is, and whether that place is allowed.
fn check_location(real: &Path, roots: &Roots, config_dir: &Path) -> Result<(), FileError> {
    for sys in ["/proc", "/sys", "/dev"] {
        if cfg!(unix) && real.starts_with(sys) {
            return Err(FileError::SystemPath(sys.to_string()));
        }
    }
    let config = config_dir.canonicalize().unwrap_or_else(|_| config_dir.to_path_buf());
    if real.starts_with(&config) || real.extension().is_some_and(|e| e == "session") {
        return Err(FileError::ConfigDir);
    }
    let canonical_roots: Vec<PathBuf> = roots.paths.iter().filter_map(|r| r.canonicalize().ok()).collect();
    let Some(root) = canonical_roots.iter().filter(|r| real.starts_with(r)).max_by_key(|r| r.components().count())
    else {
        let shown: Vec<String> = roots.paths.iter().map(|r| r.display().to_string()).collect();
        return Err(FileError::OutsideRoots { source_name: roots.source_name, roots: shown.join(", ") });
    };
    let below = real.strip_prefix(root).unwrap_or(real);
    if let Some(hidden) = below.components().find(|c| c.as_os_str().to_string_lossy().starts_with('.')) {
        return Err(FileError::Hidden(hidden.as_os_str().to_string_lossy().into_owned()));
    }
    Ok(())
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "a device";
        }
    }
    "not a regular file"
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> Result<File, FileError> {
    use std::os::unix::fs::OpenOptionsExt;
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path);
    opened.map_err(|e| match e.raw_os_error() {
        Some(libc::ELOOP) => FileError::Symlink,
        // Opening a socket fails with ENXIO; say what it is.
        Some(libc::ENXIO) => match std::fs::symlink_metadata(path) {
            Ok(m) => FileError::NotRegular(kind_of(&m)),
            Err(_) => FileError::Io(e),
        },
        _ => FileError::Io(e),
    })
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> Result<File, FileError> {
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(FileError::Symlink);
    }
    Ok(File::open(path)?)
}

/// The path of the opened file itself (not of whatever `path` names now).
#[cfg(unix)]
fn real_path(file: &File, path: &Path) -> Result<PathBuf, FileError> {
    use std::os::unix::fs::MetadataExt;
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(p) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
            if p.to_string_lossy().ends_with(" (deleted)") {
                return Err(FileError::Changed);
            }
            return Ok(p);
        }
    }
    // No /proc: the canonical path counts only if it is still the very file we opened.
    let canonical = path.canonicalize()?;
    let (a, b) = (file.metadata()?, std::fs::metadata(&canonical)?);
    if (a.dev(), a.ino()) != (b.dev(), b.ino()) {
        return Err(FileError::Changed);
    }
    Ok(canonical)
}

#[cfg(not(unix))]
fn real_path(_file: &File, path: &Path) -> Result<PathBuf, FileError> {
    Ok(path.canonicalize()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_decision_for_urls_and_paths() {
        assert!(matches!(classify_source("https://example.com/a.jpg"), Ok(FileSource::Url(_))));
        assert!(matches!(classify_source("HTTP://127.0.0.1/x"), Ok(FileSource::Url(u)) if u.scheme() == "http"));
        assert!(matches!(classify_source(" https://example.com/a.jpg "), Ok(FileSource::Url(_))));
        assert_eq!(classify_source("/etc/passwd").unwrap(), FileSource::Local("/etc/passwd".into()));
        assert_eq!(classify_source("note.txt").unwrap(), FileSource::Local("note.txt".into()));
        assert_eq!(classify_source(r"C:\Users\me\a.txt").unwrap(), FileSource::Local(r"C:\Users\me\a.txt".into()));
        for bad in
            ["file:///etc/passwd", "FILE:///etc/passwd", "ftp://x/y", "data:text/plain,hi", "gopher://127.0.0.1/"]
        {
            assert!(matches!(classify_source(bad), Err(FileError::UnsupportedScheme(_))), "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_inside_the_roots_are_read() {
        let home = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let config = home.path().join("cfg");
        std::fs::create_dir_all(&config).unwrap();
        let h = home.path();
        std::fs::write(h.join("ok.txt"), b"hello").unwrap();
        std::fs::create_dir_all(h.join(".ssh")).unwrap();
        std::fs::write(h.join(".ssh/id"), b"key").unwrap();
        std::fs::write(h.join(".env"), b"TOKEN=x").unwrap();
        std::fs::write(config.join("tokens.json"), b"{}").unwrap();
        std::fs::write(outside.path().join("secret"), b"s").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), h.join("link")).unwrap();
        std::os::unix::fs::symlink(outside.path(), h.join("dirlink")).unwrap();
        let fifo = h.join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let roots = Roots { paths: vec![h.to_path_buf()], source_name: "ALLOWED_FILE_ROOTS" };
        let read = |p: PathBuf| read_local(&p, &roots, &config, 1000);

        let f = read(h.join("ok.txt")).unwrap();
        assert_eq!((f.bytes.as_slice(), f.name.as_str()), (b"hello".as_slice(), "ok.txt"));
        assert!(matches!(read(h.join(".ssh/id")), Err(FileError::Hidden(d)) if d == ".ssh"));
        assert!(matches!(read(h.join(".env")), Err(FileError::Hidden(_))));
        assert!(matches!(read(config.join("tokens.json")), Err(FileError::ConfigDir)));
        assert!(matches!(read(outside.path().join("secret")), Err(FileError::OutsideRoots { .. })));
        assert!(matches!(read(h.join("link")), Err(FileError::Symlink)));
        assert!(
            matches!(read(h.join("dirlink/secret")), Err(FileError::OutsideRoots { .. })),
            "an inner symlink leads outside"
        );
        assert!(matches!(read(fifo), Err(FileError::NotRegular("a FIFO"))));
        assert!(matches!(read(h.to_path_buf()), Err(FileError::NotRegular("a directory"))));
        assert!(matches!(read(h.join("sub/../ok.txt")), Err(FileError::ParentComponent)));
        assert!(matches!(read("ok.txt".into()), Err(FileError::NotAbsolute)));
        assert!(matches!(
            read("/proc/self/environ".into()),
            Err(FileError::SystemPath(_) | FileError::OutsideRoots { .. })
        ));
        std::fs::write(h.join("big"), vec![0u8; 1001]).unwrap();
        assert!(matches!(read(h.join("big")), Err(FileError::TooLarge { size: 1001, max: 1000 })));
        let none = Roots { paths: vec![], source_name: "ALLOWED_FILE_ROOTS" };
        assert!(matches!(read_local(&h.join("ok.txt"), &none, &config, 1000), Err(FileError::NoRoots(_))));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn pseudo_files_are_refused_even_under_a_root_of_slash() {
        let roots = Roots { paths: vec!["/".into()], source_name: "ALLOWED_FILE_ROOTS" };
        let cfg = tempfile::tempdir().unwrap();
        assert!(
            matches!(read_local(Path::new("/proc/self/environ"), &roots, cfg.path(), 1 << 20), Err(FileError::SystemPath(p)) if p == "/proc")
        );
        assert!(matches!(
            read_local(Path::new("/dev/null"), &roots, cfg.path(), 1 << 20),
            Err(FileError::NotRegular("a device"))
        ));
    }
}
