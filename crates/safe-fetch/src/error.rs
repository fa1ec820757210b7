//! The error type of every fetch.

use std::net::IpAddr;

/// Why a fetch was refused or failed. Every message names the problem so it
/// can be shown to the model that supplied the URL.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The text is not an absolute URL with a host.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),

    /// The URL scheme is not permitted (`http` without `allow_http`, or
    /// `ftp`, `file`, `data`, ...). Also returned for an `https` → `http`
    /// redirect when `allow_http` is off.
    #[error("URL scheme `{scheme}` is not allowed ({allowed})")]
    SchemeNotAllowed {
        /// The refused scheme.
        scheme: String,
        /// Which schemes are allowed under the current policy.
        allowed: &'static str,
    },

    /// The URL carries a user name or password (`user:pass@host`).
    #[error("URLs with embedded credentials (user:password@host) are not allowed")]
    CredentialsInUrl,

    /// The host name itself is on the deny-list (checked before any DNS lookup).
    #[error("host `{host}` is not allowed: {reason}")]
    BlockedHost {
        /// The refused host name.
        host: String,
        /// Why it is refused, e.g. `"cloud metadata"` or `"loopback"`.
        reason: &'static str,
    },

    /// The host is, or resolves to, an address in a non-public range.
    #[error("host `{host}` resolves to blocked address {addr} ({reason})")]
    BlockedAddress {
        /// The host as written in the URL (an IP literal or a DNS name).
        host: String,
        /// The offending address.
        addr: IpAddr,
        /// The range it falls into, e.g. `"loopback"`, `"private"`, `"link-local"`.
        reason: &'static str,
    },

    /// The DNS lookup failed or returned no address.
    #[error("DNS lookup for `{host}` failed: {message}")]
    DnsFailed {
        /// The host that could not be resolved.
        host: String,
        /// The resolver's explanation.
        message: String,
    },

    /// The response body is larger than the policy allows.
    #[error("response is larger than the {limit}-byte limit")]
    TooLarge {
        /// The configured `max_bytes`.
        limit: u64,
    },

    /// The server redirected more often than `max_redirects`.
    #[error("too many redirects (more than {max})")]
    TooManyRedirects {
        /// The configured `max_redirects`.
        max: u8,
    },

    /// The connect timeout or the total deadline expired.
    #[error("timed out: {0}")]
    Timeout(String),

    /// The server answered with a non-success status (or a redirect without
    /// a usable `Location`).
    #[error("server answered with HTTP status {status}")]
    Http {
        /// The HTTP status code.
        status: u16,
    },

    /// Connection, TLS or protocol failure.
    #[error("network error: {0}")]
    Network(String),

    /// Writing the body to the caller's writer failed (only from
    /// [`fetch_to_writer`](crate::fetch_to_writer)).
    #[error("writing the downloaded data failed: {0}")]
    Write(#[source] std::io::Error),
}

impl FetchError {
    /// Maps a `reqwest` failure, keeping the full cause chain in the message.
    pub(crate) fn from_reqwest(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            let what = if err.is_connect() {
                "connecting to the server took too long"
            } else {
                "the server did not answer in time"
            };
            return FetchError::Timeout(what.to_owned());
        }
        let mut message = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        FetchError::Network(message)
    }
}
