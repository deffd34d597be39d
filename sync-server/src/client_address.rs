//! Which address a request comes from, behind a reverse proxy: the peer of the TCP
//! connection, unless that peer is in a range the operator trusts (`--trusted-proxy`);
//! only then is `X-Forwarded-For` (else `Forwarded: for=`) read, taking the rightmost hop
//! that is not itself a trusted proxy. Anyone can write those headers, so from an
//! untrusted peer they are ignored: a client cannot pick the address its login and
//! enrollment attempts are counted against.
//!
//! [`resolve`] runs before every route and puts the address it found in place of the
//! connection's [`ConnectInfo`], so the rate limits and the request's log span use it
//! without knowing about proxies. A header that cannot be read is ignored (the peer
//! counts), with no error to the client.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// At most this many forwarded hops are looked at, from the right: a longer chain is
/// looked at no further (and the peer counts, if no untrusted hop was found in them).
const MAX_HOPS: usize = 32;
/// At most this many trusted ranges: the list is walked for every hop.
pub const MAX_TRUSTED_PROXIES: usize = 64;

/// An address range in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`; a bare address is a
/// range of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `address` is in the range (an IPv4-mapped IPv6 address as its IPv4 one).
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, plain(address)) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Cidr, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network = address
            .parse::<IpAddr>()
            .map(plain)
            .map_err(|_| format!("`{text}` is not an address range like 10.0.0.0/8"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}` has a prefix length outside 0..={max}"))?,
        };
        Ok(Cidr { network, prefix })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The reverse proxies whose forwarding headers are believed; empty: none are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// `ranges`, if there are at most [`MAX_TRUSTED_PROXIES`].
    pub fn new(ranges: Vec<Cidr>) -> Result<TrustedProxies, String> {
        if ranges.len() > MAX_TRUSTED_PROXIES {
            return Err(format!(
                "at most {MAX_TRUSTED_PROXIES} trusted proxy ranges"
            ));
        }
        Ok(TrustedProxies(ranges))
    }

    /// Parses a comma- or space-separated list of ranges (an environment variable's form).
    pub fn parse_list(text: &str) -> Result<TrustedProxies, String> {
        let ranges = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|part| !part.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<Cidr>, String>>()?;
        TrustedProxies::new(ranges)
    }

    pub fn ranges(&self) -> &[Cidr] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(address))
    }

    /// The client's address: `peer`, or, when `peer` is a trusted proxy, the rightmost
    /// untrusted hop its forwarding headers name. Hops are read from the right and only up
    /// to that one: what a client put further left (a proxy appends to it) is never read, so
    /// an unreadable hop there changes nothing; an unreadable hop at or right of it leaves
    /// `peer`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops = match forwarded_for(headers) {
            Some(hops) => hops,
            None => return peer,
        };
        let mut leftmost = peer;
        for hop in hops.iter().rev().take(MAX_HOPS) {
            let Some(hop) = hop else { return peer };
            if !self.trusts(*hop) {
                return *hop;
            }
            leftmost = *hop;
        }
        // Every hop looked at is a proxy we trust: the furthest one is the best we know.
        leftmost
    }
}

/// The hops named by `X-Forwarded-For` (all of its lines, in order) or by `Forwarded`'s
/// `for=` parameters, each `None` where it cannot be read; `None` when neither header is
/// there, or both are: a proxy writes one, and the other then came from the client (a
/// proxy writing only `Forwarded` passes a client's `X-Forwarded-For` on untouched), so
/// neither is believed.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let x_forwarded_for = headers.get_all("x-forwarded-for");
    let forwarded = headers.get_all(axum::http::header::FORWARDED);
    match (
        x_forwarded_for.iter().next().is_some(),
        forwarded.iter().next().is_some(),
    ) {
        (true, false) => {
            let mut hops = Vec::new();
            for line in x_forwarded_for {
                match line.to_str() {
                    Ok(line) => hops.extend(line.split(',').map(|hop| hop_address(hop.trim()))),
                    Err(_) => hops.push(None),
                }
            }
            Some(hops)
        }
        (false, true) => {
            let mut hops = Vec::new();
            for line in forwarded {
                let Ok(line) = line.to_str() else {
                    hops.push(None);
                    continue;
                };
                for element in line.split(',') {
                    let for_value = element.split(';').find_map(|pair| {
                        let (name, value) = pair.trim().split_once('=')?;
                        name.trim()
                            .eq_ignore_ascii_case("for")
                            .then_some(value.trim())
                    });
                    // An element without `for=` says nothing of its hop: unreadable.
                    hops.push(for_value.and_then(|v| hop_address(v.trim_matches('"'))));
                }
            }
            Some(hops)
        }
        _ => None,
    }
}

/// One hop's address, with or without a port (`192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]:4711`); `None` for anything else (`unknown`, obfuscated names).
fn hop_address(hop: &str) -> Option<IpAddr> {
    if hop.is_empty() || hop.len() > 64 {
        return None;
    }
    if let Ok(address) = hop.parse::<IpAddr>() {
        return Some(plain(address));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let (inside, _) = rest.split_once(']')?;
        return inside
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|a| plain(a.into()));
    }
    hop.parse::<SocketAddr>().ok().map(|a| plain(a.ip()))
}

/// An IPv4-mapped IPv6 address as its IPv4 one (a dual-stack listener's view of IPv4).
fn plain(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

/// The connection's peer was a trusted proxy (so its `X-Request-Id` may be kept).
#[derive(Debug, Clone, Copy)]
pub struct FromTrustedProxy(pub bool);

/// Puts the client's real address in place of the connection's peer for everything after
/// it (rate limits, logs), and notes whether the peer is a trusted proxy.
pub async fn resolve(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    if let Some(peer) = peer {
        let proxies = &state.trusted_proxies;
        let trusted = proxies.trusts(peer.ip());
        let client = proxies.client(peer.ip(), request.headers());
        let extensions = request.extensions_mut();
        extensions.insert(FromTrustedProxy(trusted));
        if client != peer.ip() {
            // The port is the proxy's, not the client's: it is not used.
            extensions.insert(ConnectInfo(SocketAddr::new(client, 0)));
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    fn proxies(list: &str) -> TrustedProxies {
        TrustedProxies::parse_list(list).expect("list")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("value"));
        }
        map
    }

    #[test]
    fn ranges_parse_and_contain_what_they_say() {
        let v4: Cidr = "10.1.0.0/16".parse().expect("v4");
        assert!(v4.contains(ip("10.1.200.3")));
        assert!(!v4.contains(ip("10.2.0.1")));
        assert!(
            v4.contains(ip("::ffff:10.1.0.9")),
            "IPv4-mapped counts as IPv4"
        );
        let v6: Cidr = "2001:db8::/32".parse().expect("v6");
        assert!(v6.contains(ip("2001:db8:1::5")));
        assert!(!v6.contains(ip("2001:db9::5")));
        let one: Cidr = "192.0.2.7".parse().expect("single");
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let all: Cidr = "0.0.0.0/0".parse().expect("all");
        assert!(all.contains(ip("203.0.113.1")));
        for bad in [
            "10.0.0.0/33",
            "nonsense",
            "10.0.0/8",
            "::/129",
            "10.0.0.0/x",
            "",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
        assert!(TrustedProxies::parse_list("10.0.0.0/8, 127.0.0.1 ::1").is_ok());
        assert!(TrustedProxies::parse_list("10.0.0.0/8,bad").is_err());
        let many = vec!["10.0.0.0/8".to_owned(); MAX_TRUSTED_PROXIES + 1].join(",");
        assert!(
            TrustedProxies::parse_list(&many).is_err(),
            "the list is bounded"
        );
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_its_headers_say() {
        let trusted = proxies("10.0.0.0/8");
        let forged = headers(&[
            ("x-forwarded-for", "198.51.100.9"),
            ("forwarded", "for=198.51.100.10"),
        ]);
        assert_eq!(
            trusted.client(ip("203.0.113.5"), &forged),
            ip("203.0.113.5")
        );
        assert_eq!(
            TrustedProxies::default().client(ip("10.0.0.1"), &forged),
            ip("10.0.0.1"),
            "no trusted proxies: headers are never read"
        );
    }

    #[test]
    fn a_trusted_peer_names_the_rightmost_untrusted_hop() {
        let trusted = proxies("10.0.0.0/8");
        // The client wrote a forged first hop; the proxies appended the real ones.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.9, 10.0.0.3")]);
        assert_eq!(trusted.client(ip("10.0.0.2"), &chain), ip("198.51.100.9"));
        let split = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "198.51.100.9:5555"),
        ]);
        assert_eq!(trusted.client(ip("10.0.0.2"), &split), ip("198.51.100.9"));
        let all_trusted = headers(&[("x-forwarded-for", "10.9.9.9, 10.0.0.3")]);
        assert_eq!(trusted.client(ip("10.0.0.2"), &all_trusted), ip("10.9.9.9"));
    }

    #[test]
    fn the_forwarded_header_is_read_when_x_forwarded_for_is_absent() {
        let trusted = proxies("10.0.0.0/8");
        let forwarded = headers(&[(
            "forwarded",
            "for=1.2.3.4;proto=https, for=\"[2001:db8::17]:4711\";by=10.0.0.3",
        )]);
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &forwarded),
            ip("2001:db8::17")
        );
    }

    #[test]
    fn what_a_client_wrote_left_of_its_own_hop_is_never_read() {
        let trusted = proxies("10.0.0.0/8");
        // A proxy appending to the client's own header: the garbage is the client's.
        let appended = headers(&[("x-forwarded-for", "x, 198.51.100.9, 10.0.0.3")]);
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &appended),
            ip("198.51.100.9")
        );
        let forwarded = headers(&[("forwarded", "for=unknown, for=198.51.100.9")]);
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &forwarded),
            ip("198.51.100.9")
        );
    }

    #[test]
    fn both_headers_at_once_are_neither_believed() {
        // A proxy writing only `Forwarded` passes a client's own `X-Forwarded-For` on.
        let trusted = proxies("10.0.0.0/8");
        let both = headers(&[
            ("x-forwarded-for", "203.0.113.66"),
            ("forwarded", "for=198.51.100.9"),
        ]);
        assert_eq!(trusted.client(ip("10.0.0.2"), &both), ip("10.0.0.2"));
    }

    #[test]
    fn malformed_headers_are_ignored_and_the_peer_counts() {
        let trusted = proxies("10.0.0.0/8");
        let peer = ip("10.0.0.2");
        for (name, value) in [
            ("x-forwarded-for", "not-an-address"),
            ("x-forwarded-for", "198.51.100.9, , 10.0.0.3"),
            ("x-forwarded-for", ""),
            ("x-forwarded-for", "999.1.1.1"),
            ("forwarded", "for=unknown"),
            ("forwarded", "for=_hidden"),
            ("forwarded", "proto=https"),
            ("forwarded", "for=\"[2001:db8::1\""),
        ] {
            assert_eq!(
                trusted.client(peer, &headers(&[(name, value)])),
                peer,
                "{name}: {value}"
            );
        }
        let mut opaque = HeaderMap::new();
        opaque.insert(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"198.51.100.9\xff").expect("bytes"),
        );
        assert_eq!(trusted.client(peer, &opaque), peer);
    }
}
