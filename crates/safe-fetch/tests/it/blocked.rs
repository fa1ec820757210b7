//! Requests the policy must refuse, each checked for its exact error variant.
//! None of these may open a connection; most never leave the process.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use tgmcp_safe_fetch::{
    FetchError, FetchPolicy, Fetcher, StaticResolver, classify_host_name, fetch,
};

fn strict() -> FetchPolicy {
    FetchPolicy::default()
}

/// Blocking still on, but plain http allowed, so the address check is what refuses.
fn strict_http() -> FetchPolicy {
    FetchPolicy {
        allow_http: true,
        total_timeout: Duration::from_secs(5),
        ..FetchPolicy::default()
    }
}

#[test]
fn default_policy_is_the_documented_one() {
    let p = FetchPolicy::default();
    assert!(!p.allow_http);
    assert!(p.block_private_ips);
    assert_eq!(p.max_bytes, 50 * 1024 * 1024);
    assert_eq!(p.connect_timeout, Duration::from_secs(10));
    assert_eq!(p.total_timeout, Duration::from_secs(60));
    assert_eq!(p.max_redirects, 3);
}

#[tokio::test]
async fn http_is_refused_when_not_allowed() {
    match fetch("http://example.com/file.pdf", &strict()).await {
        Err(FetchError::SchemeNotAllowed { scheme, .. }) => assert_eq!(scheme, "http"),
        other => panic!("expected SchemeNotAllowed, got {other:?}"),
    }
}

#[tokio::test]
async fn non_http_schemes_are_refused() {
    let cases = [
        ("file:///etc/passwd", "file"),
        ("ftp://example.com/x.bin", "ftp"),
        ("data:text/plain;base64,aGVsbG8=", "data"),
        ("gopher://example.com/", "gopher"),
        ("javascript:alert(1)", "javascript"),
    ];
    for (url, want) in cases {
        for policy in [strict(), strict_http()] {
            match fetch(url, &policy).await {
                Err(FetchError::SchemeNotAllowed { scheme, .. }) => {
                    assert_eq!(scheme, want, "{url}")
                }
                other => panic!("{url}: expected SchemeNotAllowed, got {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn credentials_in_url_are_refused() {
    for url in [
        "https://user:pass@example.com/x",
        "https://user@example.com/x",
        "https://:pw@example.com/",
    ] {
        let err = fetch(url, &strict()).await.unwrap_err();
        assert!(
            matches!(err, FetchError::CredentialsInUrl),
            "{url}: {err:?}"
        );
    }
}

#[tokio::test]
async fn garbage_is_an_invalid_url() {
    for url in [
        "not a url",
        "https://",
        "//example.com/x",
        "https://exa mple.com/",
        "",
    ] {
        let err = fetch(url, &strict()).await.unwrap_err();
        assert!(matches!(err, FetchError::InvalidUrl(_)), "{url:?}: {err:?}");
    }
}

async fn assert_blocked_address(
    url: &str,
    policy: &FetchPolicy,
    want_addr: IpAddr,
    want_reason: &str,
) {
    match fetch(url, policy).await {
        Err(FetchError::BlockedAddress { addr, reason, .. }) => {
            assert_eq!(addr, want_addr, "{url}");
            assert_eq!(reason, want_reason, "{url}");
        }
        other => panic!("{url}: expected BlockedAddress, got {other:?}"),
    }
}

#[tokio::test]
async fn ip_literals_in_special_ranges_are_refused() {
    let cases = [
        ("127.0.0.1", "127.0.0.1", "loopback"),
        ("10.0.0.1", "10.0.0.1", "private"),
        ("172.16.5.4", "172.16.5.4", "private"),
        ("192.168.1.1", "192.168.1.1", "private"),
        ("169.254.169.254", "169.254.169.254", "cloud metadata"),
        ("100.64.0.1", "100.64.0.1", "carrier-grade NAT"),
        ("0.0.0.0", "0.0.0.0", "this network"),
        ("255.255.255.255", "255.255.255.255", "broadcast"),
        ("[::1]", "::1", "loopback"),
        ("[::]", "::", "unspecified"),
        ("[fe80::1]", "fe80::1", "link-local"),
        ("[fc00::1]", "fc00::1", "unique-local"),
        ("[fd00:ec2::254]", "fd00:ec2::254", "cloud metadata"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1", "loopback"),
        ("[::ffff:7f00:1]", "::ffff:127.0.0.1", "loopback"),
        (
            "[::ffff:169.254.169.254]",
            "::ffff:169.254.169.254",
            "cloud metadata",
        ),
        ("[64:ff9b::7f00:1]", "64:ff9b::7f00:1", "loopback"),
        ("[2002:7f00:1::]", "2002:7f00:1::", "loopback"),
        ("[2001:db8::1]", "2001:db8::1", "documentation"),
    ];
    for (host, addr, reason) in cases {
        for (scheme, policy) in [("https", strict()), ("http", strict_http())] {
            let url = format!("{scheme}://{host}/latest/meta-data/");
            assert_blocked_address(&url, &policy, addr.parse().unwrap(), reason).await;
        }
    }
}

#[tokio::test]
async fn odd_ipv4_spellings_are_refused_as_loopback() {
    let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
    for host in [
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "127.0.1",
        "0x7f.1",
        "0x7f.0.0.1",
        "127.0.0.1.",
    ] {
        assert_blocked_address(&format!("https://{host}/"), &strict(), lo, "loopback").await;
        assert_blocked_address(
            &format!("http://{host}:8080/"),
            &strict_http(),
            lo,
            "loopback",
        )
        .await;
    }
    assert_blocked_address(
        "https://0xa9fea9fe/",
        &strict(),
        "169.254.169.254".parse().unwrap(),
        "cloud metadata",
    )
    .await;
}

#[tokio::test]
async fn well_known_internal_names_are_refused_before_dns() {
    let cases = [
        ("localhost", "loopback"),
        ("localhost.", "loopback"),
        ("LocalHost", "loopback"),
        ("app.localhost", "loopback"),
        ("metadata.google.internal", "cloud metadata"),
        ("metadata.google.internal.", "cloud metadata"),
        ("metadata", "cloud metadata"),
        ("metadata.goog", "cloud metadata"),
        ("instance-data", "cloud metadata"),
        ("db.corp.internal", "internal name"),
        ("printer.local", "local network name"),
    ];
    for (host, want) in cases {
        match fetch(&format!("https://{host}/x"), &strict()).await {
            Err(FetchError::BlockedHost { reason, .. }) => assert_eq!(reason, want, "{host}"),
            other => panic!("{host}: expected BlockedHost, got {other:?}"),
        }
    }
}

/// A name from /etc/hosts that maps to loopback but is not on the static
/// deny-list, so only the post-DNS address check can catch it.
fn loopback_name_from_hosts_file() -> Option<String> {
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    hosts.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let ip: IpAddr = fields.next()?.parse().ok()?;
        if !ip.is_loopback() {
            return None;
        }
        fields
            .find(|name| classify_host_name(name).is_none())
            .map(str::to_owned)
    })
}

#[tokio::test]
async fn system_dns_name_resolving_to_loopback_is_refused() {
    let Some(name) = loopback_name_from_hosts_file() else {
        eprintln!("SKIPPED: /etc/hosts has no loopback name outside the static deny-list");
        return;
    };
    let resolved: Vec<IpAddr> = match tokio::net::lookup_host((name.as_str(), 443)).await {
        Ok(addrs) => addrs.map(|a| a.ip()).collect(),
        Err(e) => {
            eprintln!("SKIPPED: `{name}` from /etc/hosts does not resolve here: {e}");
            return;
        }
    };
    assert!(
        resolved.iter().any(IpAddr::is_loopback),
        "{name} -> {resolved:?}"
    );
    match fetch(&format!("https://{name}/x"), &strict()).await {
        Err(FetchError::BlockedAddress { host, addr, reason }) => {
            assert_eq!(host, name.to_ascii_lowercase());
            assert!(
                addr.is_loopback() || addr.to_canonical().is_loopback(),
                "{addr}"
            );
            assert_eq!(reason, "loopback");
        }
        other => panic!("{name}: expected BlockedAddress, got {other:?}"),
    }
}

#[tokio::test]
async fn resolver_seam_public_looking_name_to_private_address_is_refused() {
    let resolver = StaticResolver::new()
        .with("files.example.net", ["10.0.0.5".parse().unwrap()])
        .with(
            "mixed.example.net",
            [
                "93.184.216.34".parse().unwrap(),
                "169.254.169.254".parse().unwrap(),
            ],
        )
        .with("v6.example.net", ["fd12:3456::1".parse().unwrap()]);
    let fetcher = Fetcher::with_resolver(strict(), Arc::new(resolver));
    let cases = [
        ("files.example.net", "10.0.0.5", "private"),
        ("mixed.example.net", "169.254.169.254", "cloud metadata"),
        ("v6.example.net", "fd12:3456::1", "unique-local"),
    ];
    for (host, addr, reason) in cases {
        match fetcher.fetch(&format!("https://{host}/doc.pdf")).await {
            Err(FetchError::BlockedAddress {
                host: h,
                addr: a,
                reason: r,
            }) => {
                assert_eq!(h, host);
                assert_eq!(a, addr.parse::<IpAddr>().unwrap());
                assert_eq!(r, reason);
            }
            other => panic!("{host}: expected BlockedAddress, got {other:?}"),
        }
    }
    let err = fetcher
        .fetch("https://unknown.example.net/")
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::DnsFailed { .. }), "{err:?}");
}

#[tokio::test]
async fn blocked_loopback_target_is_never_connected_to() {
    // A real listener on loopback; with blocking on, nothing may reach it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    for url in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://localhost:{port}/"),
    ] {
        let err = fetch(&url, &strict_http()).await.unwrap_err();
        assert!(
            matches!(
                err,
                FetchError::BlockedAddress { .. } | FetchError::BlockedHost { .. }
            ),
            "{url}: {err:?}"
        );
    }
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the blocked target received a connection: {other:?}"),
    }
}
