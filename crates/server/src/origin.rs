//! Cross-site WebSocket hijacking defence: a browser always sends `Origin`
//! on a WebSocket upgrade, and cookies ride along, so an upgrade from a page
//! of another site must be refused.

/// Whether an upgrade with this `Origin` may proceed. No `Origin` (a
/// non-browser client) is fine; otherwise it must be this server's own
/// origin (same host and port as the `Host` the client asked for) or one of
/// the configured `allowed` origins.
pub fn origin_allowed(origin: Option<&str>, host: Option<&str>, allowed: &[String]) -> bool {
    let Some(origin) = origin else { return true };
    let origin = origin.trim().trim_end_matches('/');
    if allowed
        .iter()
        .any(|a| a.trim().trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    match (authority, host) {
        (Some(authority), Some(host)) => authority.eq_ignore_ascii_case(host.trim()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn same_origin_and_allow_list() {
        let host = Some("127.0.0.1:3000");
        assert!(origin_allowed(None, host, &[]));
        assert!(origin_allowed(Some("http://127.0.0.1:3000"), host, &[]));
        assert!(origin_allowed(Some("https://127.0.0.1:3000"), host, &[]));
        assert!(!origin_allowed(Some("http://evil.example"), host, &[]));
        assert!(!origin_allowed(Some("http://127.0.0.1:3001"), host, &[]));
        assert!(!origin_allowed(Some("null"), host, &[]));
        let allowed = vec!["http://localhost:8080".to_string()];
        assert!(origin_allowed(
            Some("http://localhost:8080"),
            host,
            &allowed
        ));
        assert!(!origin_allowed(Some("http://127.0.0.1:3000"), None, &[]));
    }
}
