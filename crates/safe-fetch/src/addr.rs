//! Address and host-name policy: which destinations a fetch may never reach.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Classifies an IP address for SSRF purposes.
///
/// Returns `None` when the address is public and may be contacted, or
/// `Some(reason)` naming the special-purpose range it belongs to (for example
/// `"loopback"`, `"private"`, `"link-local"`, `"cloud metadata"`).
///
/// IPv6 forms that embed an IPv4 address (IPv4-mapped `::ffff:0:0/96`,
/// IPv4-compatible `::/96`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged
/// by the embedded IPv4 address, so `::ffff:127.0.0.1` is `"loopback"`.
/// Any IPv6 address outside global unicast `2000::/3` that is not one of those
/// embeddings is refused as `"reserved"`.
pub fn classify_ip(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => classify_ipv4(v4),
        IpAddr::V6(v6) => classify_ipv6(v6),
    }
}

/// `true` when `ip` lies in `net/prefix_len`.
fn v4_in(ip: Ipv4Addr, net: [u8; 4], prefix_len: u32) -> bool {
    let mask = if prefix_len == 0 {
        0
    } else {
        u32::MAX << (32 - prefix_len)
    };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

/// `true` when `ip` lies in `net/prefix_len`.
fn v6_in(ip: Ipv6Addr, net: Ipv6Addr, prefix_len: u32) -> bool {
    let mask = if prefix_len == 0 {
        0
    } else {
        u128::MAX << (128 - prefix_len)
    };
    (u128::from(ip) & mask) == (u128::from(net) & mask)
}

fn classify_ipv4(ip: Ipv4Addr) -> Option<&'static str> {
    // Order matters: specific hosts before the ranges that contain them.
    const TABLE: &[([u8; 4], u32, &str)] = &[
        // AWS/GCP/Azure/OpenStack instance metadata and the AWS ECS task endpoint.
        ([169, 254, 169, 254], 32, "cloud metadata"),
        ([169, 254, 170, 2], 32, "cloud metadata"),
        // Azure WireServer: a public-looking address only reachable from inside Azure.
        ([168, 63, 129, 16], 32, "cloud metadata"),
        // Alibaba Cloud metadata (also inside the CGNAT range below).
        ([100, 100, 100, 200], 32, "cloud metadata"),
        ([255, 255, 255, 255], 32, "broadcast"),
        ([0, 0, 0, 0], 8, "this network"),
        ([10, 0, 0, 0], 8, "private"),
        ([100, 64, 0, 0], 10, "carrier-grade NAT"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([169, 254, 0, 0], 16, "link-local"),
        ([172, 16, 0, 0], 12, "private"),
        ([192, 0, 0, 0], 24, "IETF protocol assignments"),
        ([192, 0, 2, 0], 24, "documentation"),
        ([192, 88, 99, 0], 24, "6to4 relay anycast"),
        ([192, 168, 0, 0], 16, "private"),
        ([198, 18, 0, 0], 15, "benchmarking"),
        ([198, 51, 100, 0], 24, "documentation"),
        ([203, 0, 113, 0], 24, "documentation"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([240, 0, 0, 0], 4, "reserved"),
    ];
    TABLE
        .iter()
        .find(|(net, len, _)| v4_in(ip, *net, *len))
        .map(|(_, _, reason)| *reason)
}

/// The IPv4 address carried in the low 32 bits of `ip`.
fn low_v4(ip: Ipv6Addr) -> Ipv4Addr {
    Ipv4Addr::from(u128::from(ip) as u32)
}

fn classify_ipv6(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    if ip == Ipv6Addr::UNSPECIFIED {
        return Some("unspecified");
    }
    if ip == Ipv6Addr::LOCALHOST {
        return Some("loopback");
    }
    // AWS instance metadata over IPv6 (inside fc00::/7, named specifically).
    if ip == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254) {
        return Some("cloud metadata");
    }
    // IPv4-mapped ::ffff:0:0/96 and IPv4-compatible ::/96: judge the IPv4 inside.
    if v6_in(ip, Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96)
        || v6_in(ip, Ipv6Addr::UNSPECIFIED, 96)
    {
        return classify_ipv4(low_v4(ip));
    }
    // NAT64 well-known prefix 64:ff9b::/96.
    if v6_in(ip, Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96) {
        return classify_ipv4(low_v4(ip));
    }
    // NAT64 local-use prefix 64:ff9b:1::/48 (RFC 8215) translates to site-chosen space.
    if v6_in(ip, Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48) {
        return Some("NAT64 local-use");
    }
    // 6to4 2002::/16: the IPv4 address sits in bits 16..48.
    if seg[0] == 0x2002 {
        let [a, b] = seg[1].to_be_bytes();
        let [c, d] = seg[2].to_be_bytes();
        return classify_ipv4(Ipv4Addr::new(a, b, c, d));
    }
    const TABLE: &[(Ipv6Addr, u32, &str)] = &[
        (
            Ipv6Addr::new(0x0100, 0, 0, 0, 0, 0, 0, 0),
            64,
            "discard-only",
        ),
        (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32, "Teredo"),
        (
            Ipv6Addr::new(0x2001, 0x0002, 0, 0, 0, 0, 0, 0),
            48,
            "benchmarking",
        ),
        (
            Ipv6Addr::new(0x2001, 0x0010, 0, 0, 0, 0, 0, 0),
            28,
            "ORCHID",
        ),
        (
            Ipv6Addr::new(0x2001, 0x0020, 0, 0, 0, 0, 0, 0),
            28,
            "ORCHID",
        ),
        (
            Ipv6Addr::new(0x2001, 0x0db8, 0, 0, 0, 0, 0, 0),
            32,
            "documentation",
        ),
        (
            Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
            20,
            "documentation",
        ),
        (
            Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
            7,
            "unique-local",
        ),
        (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10, "link-local"),
        (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10, "site-local"),
        (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8, "multicast"),
    ];
    if let Some((_, _, reason)) = TABLE.iter().find(|(net, len, _)| v6_in(ip, *net, *len)) {
        return Some(reason);
    }
    // Only 2000::/3 is allocated as global unicast; everything else is not a
    // legitimate public destination.
    if !v6_in(ip, Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3) {
        return Some("reserved");
    }
    None
}

/// Checks a DNS host name against the static deny-list of names that point at
/// the local machine, the local network or cloud metadata services.
///
/// Matching ignores ASCII case and trailing dots. Blocked are `localhost` and
/// `*.localhost`, the metadata names `metadata`, `metadata.google.internal`,
/// `metadata.goog`, `instance-data`, and anything under `.internal`, `.local`,
/// `.localdomain` and `.home.arpa`. Returns `Some(reason)` when blocked.
///
/// This is only a first, cheap line of defence: every name that passes is
/// still resolved and each resulting address is checked with [`classify_ip`].
pub fn classify_host_name(name: &str) -> Option<&'static str> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    const METADATA: &[&str] = &[
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
    ];
    if METADATA.contains(&name.as_str()) {
        return Some("cloud metadata");
    }
    if name == "localhost" || name.ends_with(".localhost") {
        return Some("loopback");
    }
    const ZONES: &[(&str, &str)] = &[
        ("internal", "internal name"),
        ("local", "local network name"),
        ("localdomain", "local network name"),
        ("home.arpa", "local network name"),
    ];
    for (zone, reason) in ZONES {
        let in_zone = name
            .strip_suffix(zone)
            .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'));
        if in_zone {
            return Some(reason);
        }
    }
    None
}

/// Parses a host the way `inet_aton(3)` does: one to four dot-separated parts,
/// each decimal, `0x` hexadecimal or `0`-prefixed octal, the last part filling
/// all remaining bytes (`127.1` is `127.0.0.1`, `2130706433` is `127.0.0.1`).
/// One trailing dot is accepted. Returns `None` if the text is not such a number.
///
/// The `url` crate already normalises these spellings for `http`/`https` URLs;
/// this is a second guard so a host that still looks numeric to the system
/// resolver is treated as the address it denotes.
pub(crate) fn parse_ipv4_loose(host: &str) -> Option<Ipv4Addr> {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() {
        return None;
    }
    let parts: Vec<&str> = host.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(parts.len());
    for part in &parts {
        values.push(parse_ipv4_part(part)?);
    }
    let (last, init) = values.split_last()?;
    let mut acc: u32 = 0;
    for (i, v) in init.iter().enumerate() {
        if *v > 0xff {
            return None;
        }
        acc |= *v << (24 - 8 * i);
    }
    let remaining_bits = 8 * (4 - init.len() as u32);
    if remaining_bits < 32 && *last >= (1u32 << remaining_bits) {
        return None;
    }
    Some(Ipv4Addr::from(acc | *last))
}

fn parse_ipv4_part(part: &str) -> Option<u32> {
    let (digits, radix) =
        if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            // "0x" alone is zero for inet_aton.
            if hex.is_empty() {
                return Some(0);
            }
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (part, 10)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(digits, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Option<&'static str> {
        classify_ip(s.parse().unwrap())
    }

    #[test]
    fn ipv4_ranges() {
        let cases = [
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback"),
            ("10.0.0.1", "private"),
            ("10.255.255.255", "private"),
            ("172.16.5.4", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "cloud metadata"),
            ("169.254.170.2", "cloud metadata"),
            ("168.63.129.16", "cloud metadata"),
            ("100.100.100.200", "cloud metadata"),
            ("169.254.1.1", "link-local"),
            ("100.64.0.1", "carrier-grade NAT"),
            ("100.127.255.255", "carrier-grade NAT"),
            ("0.0.0.0", "this network"),
            ("0.1.2.3", "this network"),
            ("255.255.255.255", "broadcast"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.255", "benchmarking"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("192.0.0.8", "IETF protocol assignments"),
            ("192.0.0.192", "IETF protocol assignments"),
            ("192.88.99.1", "6to4 relay anycast"),
        ];
        for (ip, reason) in cases {
            assert_eq!(c(ip), Some(reason), "{ip}");
        }
    }

    #[test]
    fn ipv4_public_and_range_edges() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "11.0.0.0",
            "9.255.255.255",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "149.154.167.50",
        ] {
            assert_eq!(c(ip), None, "{ip}");
        }
    }

    #[test]
    fn ipv6_ranges() {
        let cases = [
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fe80::1", "link-local"),
            ("febf:ffff::1", "link-local"),
            ("fec0::1", "site-local"),
            ("fc00::1", "unique-local"),
            ("fdff:ffff::1", "unique-local"),
            ("fd00:ec2::254", "cloud metadata"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("2001::1", "Teredo"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
            ("2001:2::1", "benchmarking"),
            ("2001:10::1", "ORCHID"),
            ("2001:20::1", "ORCHID"),
            ("100::1", "discard-only"),
            ("64:ff9b:1::1", "NAT64 local-use"),
            ("4000::1", "reserved"),
            ("1::1", "reserved"),
        ];
        for (ip, reason) in cases {
            assert_eq!(c(ip), Some(reason), "{ip}");
        }
    }

    #[test]
    fn ipv6_embedded_ipv4_is_classified_by_the_ipv4() {
        let cases = [
            ("::ffff:127.0.0.1", Some("loopback")),
            ("::ffff:7f00:1", Some("loopback")),
            ("::ffff:10.1.2.3", Some("private")),
            ("::ffff:169.254.169.254", Some("cloud metadata")),
            ("::ffff:8.8.8.8", None),
            ("::127.0.0.1", Some("loopback")),
            ("::10.0.0.1", Some("private")),
            ("::8.8.8.8", None),
            ("64:ff9b::7f00:1", Some("loopback")),
            ("64:ff9b::192.168.0.1", Some("private")),
            ("64:ff9b::8.8.8.8", None),
            ("2002:7f00:1::", Some("loopback")),
            ("2002:a9fe:a9fe::1", Some("cloud metadata")),
            ("2002:c0a8:101::", Some("private")),
            ("2002:808:808::1", None),
        ];
        for (ip, want) in cases {
            assert_eq!(c(ip), want, "{ip}");
        }
    }

    #[test]
    fn ipv6_public() {
        for ip in [
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "2001:4860:4860::8888",
            "2001:67c:4e8:f004::9",
        ] {
            assert_eq!(c(ip), None, "{ip}");
        }
    }

    #[test]
    fn host_name_deny_list() {
        let blocked = [
            ("localhost", "loopback"),
            ("LOCALHOST.", "loopback"),
            ("foo.localhost", "loopback"),
            ("metadata", "cloud metadata"),
            ("metadata.google.internal", "cloud metadata"),
            ("Metadata.Google.Internal.", "cloud metadata"),
            ("metadata.goog", "cloud metadata"),
            ("instance-data", "cloud metadata"),
            ("instance-data.ec2.internal", "internal name"),
            ("db.internal", "internal name"),
            ("internal", "internal name"),
            ("printer.local", "local network name"),
            ("local", "local network name"),
            ("box.localdomain", "local network name"),
            ("nas.home.arpa", "local network name"),
        ];
        for (name, reason) in blocked {
            assert_eq!(classify_host_name(name), Some(reason), "{name}");
        }
        for name in [
            "example.com",
            "notlocalhost.com",
            "localhost.example.com",
            "internal.example",
            "notinternal",
            "glocal",
            "metadata.example",
            "t.me",
        ] {
            assert_eq!(classify_host_name(name), None, "{name}");
        }
    }

    #[test]
    fn loose_ipv4_parsing_matches_inet_aton() {
        let lo = Some(Ipv4Addr::new(127, 0, 0, 1));
        for spelled in [
            "2130706433",
            "0x7f000001",
            "0X7F000001",
            "017700000001",
            "0177.0.0.1",
            "127.1",
            "127.0.1",
            "0x7f.1",
            "127.0.0.1.",
            "0x7f.0x0.0.01",
        ] {
            assert_eq!(parse_ipv4_loose(spelled), lo, "{spelled}");
        }
        assert_eq!(parse_ipv4_loose("0"), Some(Ipv4Addr::UNSPECIFIED));
        assert_eq!(
            parse_ipv4_loose("10.0x10000"),
            Some(Ipv4Addr::new(10, 1, 0, 0))
        );
        assert_eq!(parse_ipv4_loose("8.8.8.8"), Some(Ipv4Addr::new(8, 8, 8, 8)));
        for bad in [
            "",
            ".",
            "256.0.0.1",
            "1.2.3.4.5",
            "127..1",
            "4294967296",
            "127.0.0.0x100",
            "127.0.65536",
            "example.com",
            "1.2.3.08",
            "1.2.3.4..",
            "-1",
            "1e3",
            "0xg",
        ] {
            assert_eq!(parse_ipv4_loose(bad), None, "{bad:?}");
        }
    }
}
