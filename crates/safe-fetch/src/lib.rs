//! SSRF-safe downloads of URLs supplied by an untrusted party (an AI model).
//!
//! Every request goes through the same gate, on the first hop and again on
//! every redirect:
//!
//! 1. the URL must parse, use `https` (or `http` when [`FetchPolicy::allow_http`]
//!    is set) and carry no `user:password@`;
//! 2. with [`FetchPolicy::block_private_ips`], well-known internal host names
//!    ([`classify_host_name`]) are refused before any DNS traffic;
//! 3. the host is resolved **once** through a [`Resolver`] and **every**
//!    address is checked with [`classify_ip`]; one bad address refuses the
//!    whole host;
//! 4. the HTTP client is pinned to exactly the checked addresses (no second
//!    lookup, no proxy, no cookies, no automatic redirects, no pooled
//!    connections), while TLS SNI and `Host` still use the URL's name;
//! 5. the body is capped at [`FetchPolicy::max_bytes`]: a larger
//!    `Content-Length` is refused unread, and a stream is cut off as soon as it
//!    passes the limit;
//! 6. a total deadline covers all hops and the body.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tgmcp_safe_fetch::FetchError> {
//! let file = tgmcp_safe_fetch::fetch("https://example.com/cat.jpg", &Default::default()).await?;
//! println!("{} bytes, saved as {}", file.bytes.len(), file.file_name);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod addr;
mod error;
mod fetch;
mod filename;
mod resolve;
mod target;
mod transport;

#[cfg(test)]
mod pinned_tls_tests;

use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWrite;

pub use addr::{classify_host_name, classify_ip};
pub use error::FetchError;
pub use filename::{FALLBACK_FILE_NAME, MAX_FILE_NAME_CHARS, sanitize_file_name};
pub use resolve::{Resolver, StaticResolver, SystemResolver};

use transport::ReqwestTransport;

/// The fixed `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("fast-mcp-telegram/", env!("CARGO_PKG_VERSION"));

/// What a fetch may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Allow plain `http://` (default `false`: `https` only). When off, an
    /// `https` → `http` redirect is refused as well.
    pub allow_http: bool,
    /// Refuse internal host names and non-public addresses (default `true`).
    /// Only tests against a loopback server should turn this off.
    pub block_private_ips: bool,
    /// Largest accepted body in bytes (default 50 MiB).
    pub max_bytes: u64,
    /// Limit for establishing each TCP/TLS connection (default 10 s).
    pub connect_timeout: Duration,
    /// Deadline for the whole fetch, all redirects and the body included (default 60 s).
    pub total_timeout: Duration,
    /// How many redirects may be followed (default 3; 0 refuses any redirect).
    pub max_redirects: u8,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            allow_http: false,
            block_private_ips: true,
            max_bytes: 50 * 1024 * 1024,
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(60),
            max_redirects: 3,
        }
    }
}

/// A completed in-memory download.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The response body (at most `max_bytes`).
    pub bytes: bytes::Bytes,
    /// The `Content-Type` header of the final response, if any.
    pub content_type: Option<String>,
    /// A safe base name from `Content-Disposition` or the final URL's path,
    /// see [`sanitize_file_name`]; `"file"` if neither gives one.
    pub file_name: String,
    /// The URL that produced the body, after redirects.
    pub final_url: url::Url,
}

/// The outcome of [`fetch_to_writer`]: everything of [`Fetched`] except the bytes.
#[derive(Debug, Clone)]
pub struct FetchedMeta {
    /// How many bytes were written to the writer.
    pub bytes_written: u64,
    /// The `Content-Type` header of the final response, if any.
    pub content_type: Option<String>,
    /// A safe base name, as in [`Fetched::file_name`].
    pub file_name: String,
    /// The URL that produced the body, after redirects.
    pub final_url: url::Url,
}

/// A policy plus the [`Resolver`] used to look up host names.
///
/// [`fetch`] and [`fetch_to_writer`] are shorthands for a `Fetcher` with the
/// [`SystemResolver`].
#[derive(Clone)]
pub struct Fetcher {
    policy: FetchPolicy,
    resolver: Arc<dyn Resolver>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// A fetcher that resolves names through the operating system.
    pub fn new(policy: FetchPolicy) -> Self {
        Self::with_resolver(policy, Arc::new(SystemResolver))
    }

    /// A fetcher that resolves names through `resolver`. The addresses it
    /// returns are still checked against the policy and pinned.
    pub fn with_resolver(policy: FetchPolicy, resolver: Arc<dyn Resolver>) -> Self {
        Self { policy, resolver }
    }

    /// The policy this fetcher enforces.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// Downloads `url` into memory. See the [crate docs](crate) for the checks.
    pub async fn fetch(&self, url: &str) -> Result<Fetched, FetchError> {
        fetch::fetch_bytes(
            url,
            &self.policy,
            self.resolver.as_ref(),
            &ReqwestTransport::default(),
        )
        .await
    }

    /// Downloads `url` into `writer` chunk by chunk (the writer is flushed at
    /// the end). On error, whatever was already written must be discarded by
    /// the caller: the data may be truncated.
    pub async fn fetch_to_writer<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        url: &str,
        writer: &mut W,
    ) -> Result<FetchedMeta, FetchError> {
        fetch::fetch_into(
            url,
            &self.policy,
            self.resolver.as_ref(),
            &ReqwestTransport::default(),
            writer,
        )
        .await
    }
}

/// Downloads `url` into memory under `policy`, resolving names with the system resolver.
pub async fn fetch(url: &str, policy: &FetchPolicy) -> Result<Fetched, FetchError> {
    fetch::fetch_bytes(url, policy, &SystemResolver, &ReqwestTransport::default()).await
}

/// Streams `url` into `writer` under `policy`, resolving names with the system
/// resolver. On error the writer may hold a truncated prefix; discard it.
pub async fn fetch_to_writer<W: AsyncWrite + Unpin + ?Sized>(
    url: &str,
    policy: &FetchPolicy,
    writer: &mut W,
) -> Result<FetchedMeta, FetchError> {
    fetch::fetch_into(
        url,
        policy,
        &SystemResolver,
        &ReqwestTransport::default(),
        writer,
    )
    .await
}
