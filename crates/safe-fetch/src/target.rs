//! Per-hop URL validation: scheme, credentials, host name, DNS and address checks.

use std::net::{IpAddr, SocketAddr};

use url::{Host, Url};

use crate::addr::{classify_host_name, classify_ip, parse_ipv4_loose};
use crate::{FetchError, FetchPolicy, Resolver};

/// A URL that passed every check, with the only addresses it may be fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hop {
    /// The URL to request.
    pub url: Url,
    /// The DNS name whose resolution is pinned to `addrs`; `None` for IP literals,
    /// which the HTTP client connects to directly.
    pub pin_name: Option<String>,
    /// The checked socket addresses (never empty).
    pub addrs: Vec<SocketAddr>,
}

/// Runs the full policy on `url`: scheme, credentials, host deny-list, a single
/// DNS lookup and a check of every resolved address.
pub(crate) async fn check_hop(
    url: Url,
    policy: &FetchPolicy,
    resolver: &dyn Resolver,
) -> Result<Hop, FetchError> {
    check_scheme(&url, policy)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::CredentialsInUrl);
    }
    let port = url
        .port_or_known_default()
        .ok_or_else(|| FetchError::InvalidUrl(format!("no port known for `{url}`")))?;
    let host = url
        .host()
        .ok_or_else(|| FetchError::InvalidUrl(format!("`{url}` has no host")))?;
    let host_text = host.to_string();

    let (pin_name, ips) = match host {
        Host::Ipv4(ip) => (None, vec![IpAddr::V4(ip)]),
        Host::Ipv6(ip) => (None, vec![IpAddr::V6(ip)]),
        Host::Domain(name) => {
            if let Some(ip) = parse_ipv4_loose(name) {
                // The url crate normally turns numeric hosts into Host::Ipv4 already;
                // if one slips through, treat it as the address the OS would see.
                (Some(name.to_owned()), vec![IpAddr::V4(ip)])
            } else {
                if policy.block_private_ips
                    && let Some(reason) = classify_host_name(name)
                {
                    return Err(FetchError::BlockedHost {
                        host: host_text,
                        reason,
                    });
                }
                let mut ips =
                    resolver
                        .lookup(name, port)
                        .await
                        .map_err(|e| FetchError::DnsFailed {
                            host: host_text.clone(),
                            message: e.to_string(),
                        })?;
                ips.sort();
                ips.dedup();
                if ips.is_empty() {
                    return Err(FetchError::DnsFailed {
                        host: host_text,
                        message: "no addresses returned".to_owned(),
                    });
                }
                (Some(name.to_owned()), ips)
            }
        }
    };

    if policy.block_private_ips {
        // Every answer must be acceptable: refusing instead of picking a good
        // one defeats DNS answers that mix public and internal addresses.
        for ip in &ips {
            if let Some(reason) = classify_ip(*ip) {
                return Err(FetchError::BlockedAddress {
                    host: host_text,
                    addr: *ip,
                    reason,
                });
            }
        }
    }

    let addrs = ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect();
    Ok(Hop {
        url,
        pin_name,
        addrs,
    })
}

fn check_scheme(url: &Url, policy: &FetchPolicy) -> Result<(), FetchError> {
    let allowed = match url.scheme() {
        "https" => true,
        "http" => policy.allow_http,
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(FetchError::SchemeNotAllowed {
            scheme: url.scheme().to_owned(),
            allowed: if policy.allow_http {
                "only http and https"
            } else {
                "only https"
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StaticResolver;

    fn strict() -> FetchPolicy {
        FetchPolicy::default()
    }

    async fn check(
        url: &str,
        policy: &FetchPolicy,
        resolver: &StaticResolver,
    ) -> Result<Hop, FetchError> {
        check_hop(Url::parse(url).unwrap(), policy, resolver).await
    }

    #[test]
    fn url_crate_normalises_numeric_ipv4_spellings() {
        for spelled in [
            "2130706433",
            "0x7f000001",
            "0177.0.0.1",
            "127.1",
            "127.0.1",
            "0x7f.1",
            "127.0.0.1.",
            "0x7F.0.0.1",
        ] {
            for scheme in ["http", "https"] {
                let url = Url::parse(&format!("{scheme}://{spelled}/x")).unwrap();
                assert_eq!(
                    url.host(),
                    Some(Host::Ipv4(std::net::Ipv4Addr::LOCALHOST)),
                    "{scheme}://{spelled}"
                );
            }
        }
    }

    #[tokio::test]
    async fn public_name_is_pinned_to_all_checked_addresses() {
        let a: IpAddr = "93.184.216.34".parse().unwrap();
        let b: IpAddr = "2606:2800:220:1::1".parse().unwrap();
        let r = StaticResolver::new().with("files.example", [b, a]);
        let hop = check("https://files.example:8443/a.bin", &strict(), &r)
            .await
            .unwrap();
        assert_eq!(hop.pin_name.as_deref(), Some("files.example"));
        assert_eq!(
            hop.addrs,
            vec![SocketAddr::new(a, 8443), SocketAddr::new(b, 8443)]
        );
    }

    #[tokio::test]
    async fn public_ip_literal_is_used_directly_without_dns() {
        let hop = check("https://93.184.216.34/", &strict(), &StaticResolver::new())
            .await
            .unwrap();
        assert_eq!(hop.pin_name, None);
        assert_eq!(hop.addrs, vec!["93.184.216.34:443".parse().unwrap()]);
    }

    #[tokio::test]
    async fn mixed_dns_answer_is_refused() {
        let r = StaticResolver::new().with(
            "mixed.example",
            [
                "93.184.216.34".parse().unwrap(),
                "10.0.0.5".parse().unwrap(),
            ],
        );
        match check("https://mixed.example/", &strict(), &r).await {
            Err(FetchError::BlockedAddress { host, addr, reason }) => {
                assert_eq!(host, "mixed.example");
                assert_eq!(addr, "10.0.0.5".parse::<IpAddr>().unwrap());
                assert_eq!(reason, "private");
            }
            other => panic!("expected BlockedAddress, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn unknown_name_is_dns_failure() {
        match check(
            "https://nowhere.example/",
            &strict(),
            &StaticResolver::new(),
        )
        .await
        {
            Err(FetchError::DnsFailed { host, .. }) => assert_eq!(host, "nowhere.example"),
            other => panic!("expected DnsFailed, got {other:?}"),
        }
        let r = StaticResolver::new().with("empty.example", []);
        assert!(matches!(
            check("https://empty.example/", &strict(), &r).await,
            Err(FetchError::DnsFailed { .. })
        ));
    }

    #[tokio::test]
    async fn open_policy_skips_name_and_address_checks_only() {
        let open = FetchPolicy {
            allow_http: true,
            block_private_ips: false,
            ..FetchPolicy::default()
        };
        let r = StaticResolver::new().with("localhost", ["127.0.0.1".parse().unwrap()]);
        let hop = check("http://localhost:8080/", &open, &r).await.unwrap();
        assert_eq!(hop.addrs, vec!["127.0.0.1:8080".parse().unwrap()]);
        // Scheme and credential rules still apply.
        assert!(matches!(
            check("ftp://localhost/", &open, &r).await,
            Err(FetchError::SchemeNotAllowed { .. })
        ));
        assert!(matches!(
            check("http://u:p@localhost/", &open, &r).await,
            Err(FetchError::CredentialsInUrl)
        ));
    }

    #[tokio::test]
    async fn username_only_is_credentials() {
        assert!(matches!(
            check(
                "https://user@93.184.216.34/",
                &strict(),
                &StaticResolver::new()
            )
            .await,
            Err(FetchError::CredentialsInUrl)
        ));
        assert!(matches!(
            check(
                "https://:secret@93.184.216.34/",
                &strict(),
                &StaticResolver::new()
            )
            .await,
            Err(FetchError::CredentialsInUrl)
        ));
    }
}
