//! DNS seam: where host names become addresses.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;

use futures::future::BoxFuture;

/// Turns a host name into the addresses a fetch may connect to.
///
/// The fetcher calls this exactly once per redirect hop, checks every returned
/// address against the policy and pins the connection to those addresses, so
/// an implementation cannot widen what is reachable: it only decides what a
/// name means. [`SystemResolver`] is the production implementation;
/// [`StaticResolver`] lets tests give names deterministic answers.
pub trait Resolver: Send + Sync {
    /// Resolves `host` (a DNS name, never an IP literal). `port` is the port
    /// the connection will use, for resolvers that care.
    fn lookup<'a>(&'a self, host: &'a str, port: u16) -> BoxFuture<'a, io::Result<Vec<IpAddr>>>;
}

/// Resolves through the operating system (`getaddrinfo` via
/// [`tokio::net::lookup_host`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn lookup<'a>(&'a self, host: &'a str, port: u16) -> BoxFuture<'a, io::Result<Vec<IpAddr>>> {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host, port)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// A fixed name → addresses table; names not in it fail to resolve.
///
/// Names are matched case-insensitively and without trailing dots.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    map: HashMap<String, Vec<IpAddr>>,
}

impl StaticResolver {
    /// An empty table: every lookup fails.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the answer for `host`.
    pub fn with(mut self, host: &str, addrs: impl IntoIterator<Item = IpAddr>) -> Self {
        self.map
            .insert(normalise(host), addrs.into_iter().collect());
        self
    }
}

fn normalise(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

impl Resolver for StaticResolver {
    fn lookup<'a>(&'a self, host: &'a str, _port: u16) -> BoxFuture<'a, io::Result<Vec<IpAddr>>> {
        let answer = self.map.get(&normalise(host)).cloned().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no static entry for `{host}`"),
            )
        });
        Box::pin(async move { answer })
    }
}
