//! The one Host/Origin policy of the HTTP server (DNS-rebinding and cross-site defence): which
//! (scheme, host, port) a request may name, compared host AND port.
//!
//! Our guard in front of every route is the authority. rmcp's own Host/Origin check on
//! `/v1/mcp` gets lists derived from the same table ([`OriginPolicy::rmcp_hosts`],
//! [`OriginPolicy::rmcp_origins`]) that accept at least what the guard accepts, so the two can
//! never disagree on a request the guard let through.

use std::net::{IpAddr, SocketAddr};

/// One authority a request may name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allowed {
    /// `http` or `https`: the scheme clients use to reach it (gives the default port).
    scheme: &'static str,
    /// Lowercase host name or IP literal, IPv6 without brackets.
    host: String,
    /// The port clients use.
    port: u16,
}

/// Which Hosts and Origins this server answers to.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    allowed: Vec<Allowed>,
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" { 443 } else { 80 }
}

/// `host` in URL/authority form: IPv6 literals get brackets.
fn bracketed(host: &str) -> String {
    if host.contains(':') { format!("[{host}]") } else { host.to_string() }
}

fn normalize_host(host: &str) -> String {
    host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase()
}

impl OriginPolicy {
    /// Loopback names and the bound IP literal on `local`'s port (over http), plus the public
    /// DOMAIN on its own scheme and port if configured. IP literals cannot be re-bound by DNS,
    /// so allowing the one we listen on is safe.
    pub fn new(local: SocketAddr, domain: Option<&url::Url>) -> Self {
        let port = local.port();
        let mut hosts = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
        if !local.ip().is_unspecified() {
            let lit = match local.ip() {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => v6.to_string(),
            };
            if !hosts.contains(&lit) {
                hosts.push(lit);
            }
        }
        let mut allowed: Vec<Allowed> = hosts.into_iter().map(|host| Allowed { scheme: "http", host, port }).collect();
        if let Some(d) = domain
            && let (Some(host), Some(port)) = (d.host_str(), d.port_or_known_default())
        {
            let scheme = if d.scheme() == "https" { "https" } else { "http" };
            allowed.push(Allowed { scheme, host: normalize_host(host), port });
        }
        OriginPolicy { allowed }
    }

    /// Whether a `Host` header names an allowed host on its port. A Host without a port means
    /// the default port of the scheme the entry is reached by (80 for the local listener, so
    /// `Host: localhost` is refused unless we listen on port 80).
    pub fn host_ok(&self, host: &str) -> bool {
        if host.contains('@') || host.is_empty() {
            return false;
        }
        let Ok(authority) = host.parse::<http::uri::Authority>() else { return false };
        let name = normalize_host(authority.host());
        self.allowed.iter().any(|a| a.host == name && authority.port_u16().unwrap_or(default_port(a.scheme)) == a.port)
    }

    /// Whether an `Origin` header is one of ours: same scheme, host and port (RFC 6454). `null`
    /// and anything with a path, query or credentials are refused.
    pub fn origin_ok(&self, origin: &str) -> bool {
        let Ok(u) = url::Url::parse(origin) else { return false };
        if !matches!(u.scheme(), "http" | "https")
            || u.path() != "/"
            || u.query().is_some()
            || !u.username().is_empty()
            || origin.ends_with('/')
        {
            return false;
        }
        let (Some(host), Some(port)) = (u.host_str(), u.port_or_known_default()) else { return false };
        let host = normalize_host(host);
        self.allowed.iter().any(|a| a.scheme == u.scheme() && a.host == host && a.port == port)
    }

    /// rmcp's `allowed_hosts`: `host:port`, or the bare host (any port) where a Host without a
    /// port is allowed by us; never stricter than [`Self::host_ok`].
    pub fn rmcp_hosts(&self) -> Vec<String> {
        self.allowed
            .iter()
            .map(|a| {
                if a.port == default_port(a.scheme) {
                    a.host.clone()
                } else {
                    format!("{}:{}", bracketed(&a.host), a.port)
                }
            })
            .collect()
    }

    /// rmcp's `allowed_origins`: `scheme://host:port` with the port always explicit.
    pub fn rmcp_origins(&self) -> Vec<String> {
        self.allowed.iter().map(|a| format!("{}://{}:{}", a.scheme, bracketed(&a.host), a.port)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(domain: Option<&str>) -> OriginPolicy {
        let d = domain.map(|d| url::Url::parse(d).unwrap());
        OriginPolicy::new("127.0.0.1:8123".parse().unwrap(), d.as_ref())
    }

    #[test]
    fn hosts_must_match_name_and_port() {
        let p = policy(None);
        for ok in ["127.0.0.1:8123", "localhost:8123", "LOCALHOST:8123", "[::1]:8123"] {
            assert!(p.host_ok(ok), "{ok}");
        }
        for bad in [
            "127.0.0.1",
            "localhost",
            "localhost:8124",
            "127.0.0.1:80",
            "attacker.example:8123",
            "localhost.attacker.example:8123",
            "127.0.0.2:8123",
            "user@localhost:8123",
            "",
            "localhost:8123/x",
        ] {
            assert!(!p.host_ok(bad), "{bad}");
        }
    }

    #[test]
    fn origins_must_match_scheme_host_and_port() {
        let p = policy(Some("https://tg.example.test"));
        for ok in [
            "http://127.0.0.1:8123",
            "http://localhost:8123",
            "http://[::1]:8123",
            "https://tg.example.test",
            "https://tg.example.test:443",
        ] {
            assert!(p.origin_ok(ok), "{ok}");
        }
        for bad in [
            "null",
            "http://127.0.0.1:8124",
            "http://127.0.0.1",
            "https://127.0.0.1:8123",
            "http://tg.example.test",
            "https://tg.example.test:8443",
            "https://evil.example",
            "http://localhost:8123/path",
            "http://localhost:8123/",
            "http://u:p@localhost:8123",
        ] {
            assert!(!p.origin_ok(bad), "{bad}");
        }
        // DOMAIN behind a reverse proxy: its Host may come without a port (https → 443).
        assert!(p.host_ok("tg.example.test"));
        assert!(p.host_ok("tg.example.test:443"));
        assert!(!p.host_ok("tg.example.test:8123"));
    }

    #[test]
    fn rmcp_lists_come_from_the_same_table() {
        let p = policy(Some("https://tg.example.test"));
        assert_eq!(p.rmcp_hosts(), ["localhost:8123", "127.0.0.1:8123", "[::1]:8123", "tg.example.test"]);
        assert_eq!(
            p.rmcp_origins(),
            ["http://localhost:8123", "http://127.0.0.1:8123", "http://[::1]:8123", "https://tg.example.test:443"]
        );
        let on_80 = OriginPolicy::new("127.0.0.1:80".parse().unwrap(), None);
        assert!(on_80.host_ok("localhost"), "port 80 is the default port of http");
        assert!(on_80.rmcp_hosts().contains(&"localhost".to_string()));
    }
}
