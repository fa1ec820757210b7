//! Where the owner listens and how its clients reach it: a Unix domain socket on Unix, a named
//! pipe on Windows. Both are open to the current user only, and each end checks the other.
//!
//! Everything above this module sees one [`Conn`] type, so the protocol, the relay and the
//! control API are the same code on every platform.

use tokio::io::{AsyncRead, AsyncWrite};

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::{Listener, address, connect, process_alive, spawn_detached};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::{Listener, address, connect, process_alive, spawn_detached};

/// A short name for config dir `dir` (16 hex digits of its path's SHA-256), for endpoint names
/// that cannot hold the path itself.
fn dir_hash(dir: &std::path::Path) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(dir.as_os_str().as_encoded_bytes())[..8])
}

/// The reading half of a connection.
pub type Reader = Box<dyn AsyncRead + Send + Unpin>;
/// The writing half of a connection.
pub type Writer = Box<dyn AsyncWrite + Send + Unpin>;

/// One connection between the owner and a client, split into its halves.
pub struct Conn {
    /// What the other end sends.
    pub reader: Reader,
    /// Where to send.
    pub writer: Writer,
}

impl Conn {
    /// Splits a bidirectional stream.
    fn split<S: AsyncRead + AsyncWrite + Send + 'static>(stream: S) -> Conn {
        let (r, w) = tokio::io::split(stream);
        Conn { reader: Box::new(r), writer: Box::new(w) }
    }
}
