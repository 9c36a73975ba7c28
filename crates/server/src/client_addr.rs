//! The client's address for logs: `X-Forwarded-For` counts only when the
//! direct peer is a trusted proxy, otherwise anyone could forge it. The same
//! goes for `X-Forwarded-Proto` (whether the client used HTTPS).

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

/// Whether the client reached us over HTTPS: the connection itself is TLS,
/// or the direct peer is a trusted proxy whose `X-Forwarded-Proto` (its last
/// entry: the one that proxy set) says `https`. Never from anyone else's
/// header (actix's `connection_info()` believes it from anybody).
pub fn request_is_https(req: &actix_web::HttpRequest, trusted: &[IpAddr]) -> bool {
    if req.app_config().secure() {
        return true;
    }
    let from_proxy = req.peer_addr().is_some_and(|p| trusted.contains(&p.ip()));
    from_proxy
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
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

    #[test]
    fn forwarded_proto_counts_from_a_trusted_proxy_only() {
        use actix_web::test::TestRequest;
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let req = |peer: &str, proto: &str| {
            TestRequest::default()
                .peer_addr(SocketAddr::new(peer.parse().unwrap(), 4000))
                .insert_header(("x-forwarded-proto", proto))
                .to_http_request()
        };
        assert!(request_is_https(&req("10.0.0.2", "https"), &[proxy]));
        assert!(request_is_https(&req("10.0.0.2", "http, HTTPS"), &[proxy]));
        assert!(!request_is_https(&req("10.0.0.2", "https, http"), &[proxy]));
        assert!(!request_is_https(&req("10.0.0.2", "http"), &[proxy]));
        assert!(!request_is_https(&req("203.0.113.9", "https"), &[proxy]));
    }
}
