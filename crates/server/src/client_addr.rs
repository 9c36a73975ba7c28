//! The client's address for logs: `X-Forwarded-For` counts only when the
//! direct peer is a trusted proxy, otherwise anyone could forge it.

use std::net::{IpAddr, SocketAddr};

/// The address to log for a request from `peer` carrying `forwarded_for`.
///
/// Walks `X-Forwarded-For` from the right (the entry our proxy appended) and
/// returns the first address that is not itself a trusted proxy.
pub fn client_addr(
    peer: Option<SocketAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let ip = peer?.ip();
    if !trusted.contains(&ip) {
        return Some(ip);
    }
    let Some(header) = forwarded_for else {
        return Some(ip);
    };
    let mut last_trusted = ip;
    for hop in header.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(hop) if trusted.contains(&hop) => last_trusted = hop,
            Ok(hop) => return Some(hop),
            // A garbled entry: stop trusting the chain at this point.
            Err(_) => return Some(last_trusted),
        }
    }
    Some(last_trusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(s: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(s.parse().unwrap(), 4000))
    }

    #[test]
    fn ignores_forwarded_for_from_strangers() {
        let got = client_addr(peer("203.0.113.9"), Some("1.2.3.4"), &[]);
        assert_eq!(got, Some("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn trusts_forwarded_for_from_a_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let got = client_addr(peer("10.0.0.2"), Some("6.6.6.6, 198.51.100.7"), &[proxy]);
        assert_eq!(got, Some("198.51.100.7".parse().unwrap()));
        let got = client_addr(peer("10.0.0.2"), None, &[proxy]);
        assert_eq!(got, Some(proxy));
        let got = client_addr(peer("10.0.0.2"), Some("garbage"), &[proxy]);
        assert_eq!(got, Some(proxy));
    }
}
