//! Cross-site request defence, one check for WebSocket upgrades, SSE and
//! REST. A browser attaches the session cookie to requests that pages of
//! other origins make (WebSocket upgrades always, same-site requests despite
//! `SameSite=Lax`), so a request that authenticates with the cookie must come
//! from an allowed page: the server's own origin (the request's scheme and
//! `Host`) or one listed with `--allowed-origin`. Origins compare scheme, host
//! and port. Requests without `Origin` and without `Sec-Fetch-Site:
//! cross-site` (bots, curl, same-origin navigations) pass.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest};

use crate::auth::has_session_cookie;
use crate::client_addr::request_is_https;
use crate::configuration::Settings;
use crate::error::AppError;
use crate::state::AppState;

/// A web origin: scheme, host (lowercase) and port (the scheme's default
/// when not written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// `scheme://host[:port]` with scheme `http` or `https` (a trailing `/`
    /// is tolerated); anything else, `null` included, is `None`.
    pub fn parse(raw: &str) -> Option<Origin> {
        let raw = raw.trim();
        let (scheme, rest) = raw.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        Self::from_authority(&scheme, rest.strip_suffix('/').unwrap_or(rest))
    }

    /// The origin of a request for `host` (a `Host` header) over `scheme`.
    pub fn from_authority(scheme: &str, authority: &str) -> Option<Origin> {
        let default_port = match scheme {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let authority = authority.trim();
        if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
            return None;
        }
        // `[v6]:port`, `[v6]`, `host:port` or `host`.
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']')?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':')?),
            };
            (format!("[{host}]"), port)
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host.to_owned(), Some(port)),
                None => (authority.to_owned(), None),
            }
        };
        let port = match port {
            None => default_port,
            Some(p) => p.parse().ok()?,
        };
        if host.is_empty() || host == "[]" {
            return None;
        }
        Some(Origin {
            scheme: scheme.to_owned(),
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

/// Whether a request from a page of `origin` may proceed: no `Origin` (a
/// non-browser client) is fine; otherwise it must be `own` or one of the
/// `allowed` origins.
pub fn origin_allowed(origin: Option<&str>, own: Option<&Origin>, allowed: &[String]) -> bool {
    let Some(origin) = origin else { return true };
    let Some(origin) = Origin::parse(origin) else {
        return false;
    };
    own == Some(&origin) || is_listed(&origin, allowed)
}

fn is_listed(origin: &Origin, allowed: &[String]) -> bool {
    allowed
        .iter()
        .filter_map(|a| Origin::parse(a))
        .any(|a| &a == origin)
}

/// The check itself: `Ok` when the request may proceed, else 403
/// `forbidden`. An origin listed with `--allowed-origin` passes even when
/// the browser calls it `cross-site` (that is what listing it is for).
pub fn check_request(req: &HttpRequest, settings: &Settings) -> Result<(), AppError> {
    let origin = match req.headers().get(header::ORIGIN) {
        None => None,
        // Not even text: not an origin we know.
        Some(v) => Some(v.to_str().unwrap_or("null")),
    };
    if let Some(parsed) = origin.and_then(Origin::parse) {
        if is_listed(&parsed, &settings.allowed_origins) {
            return Ok(());
        }
    }
    // `secure_cookie` says the clients use HTTPS (behind a proxy that is not
    // listed as trusted, the request itself looks like plain HTTP).
    let https = settings.secure_cookie || request_is_https(req, &settings.trusted_proxies);
    let scheme = if https { "https" } else { "http" };
    let own = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|host| Origin::from_authority(scheme, host));
    if !origin_allowed(origin, own.as_ref(), &settings.allowed_origins) {
        tracing::warn!(
            ?origin,
            path = req.path(),
            "request from a foreign origin refused"
        );
        return Err(AppError::Forbidden(
            "requests from this page's origin are not allowed here".into(),
        ));
    }
    let cross_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("cross-site"));
    if cross_site {
        tracing::warn!(path = req.path(), "cross-site request refused");
        return Err(AppError::Forbidden(
            "cross-site requests are not allowed here".into(),
        ));
    }
    Ok(())
}

/// Which `/api` requests the check guards: state-changing ones and the
/// event stream, when they carry the session cookie; and every login (a
/// foreign page must not log a browser into a session of its choosing).
fn guarded(req: &HttpRequest) -> bool {
    let changes = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let stream = req.method() == Method::GET && req.path() == "/api/events";
    let login = req.method() == Method::POST && req.path() == "/api/session";
    login || ((changes || stream) && has_session_cookie(req))
}

/// Middleware on `/api`: refuses a guarded request before its handler runs,
/// so a refused request changes nothing.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if guarded(req.request()) {
        if let Some(state) = req.app_data::<web::Data<AppState>>() {
            // A response rather than an `Err`: see `limits::limit_requests`.
            if let Err(refused) = check_request(req.request(), &state.settings) {
                return Ok(req.error_response(refused));
            }
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(host: &str) -> Option<Origin> {
        Origin::from_authority("http", host)
    }

    #[test]
    fn same_origin_compares_scheme_host_and_port() {
        let host = own("127.0.0.1:3000");
        let host = host.as_ref();
        assert!(origin_allowed(None, host, &[]));
        assert!(origin_allowed(Some("http://127.0.0.1:3000"), host, &[]));
        assert!(origin_allowed(Some("HTTP://127.0.0.1:3000/"), host, &[]));
        assert!(!origin_allowed(Some("https://127.0.0.1:3000"), host, &[]));
        assert!(!origin_allowed(Some("http://evil.example"), host, &[]));
        assert!(!origin_allowed(Some("http://127.0.0.1:3001"), host, &[]));
        assert!(!origin_allowed(Some("null"), host, &[]));
        assert!(!origin_allowed(Some("http://127.0.0.1:3000"), None, &[]));
        let allowed = vec!["http://localhost:8080".to_string()];
        assert!(origin_allowed(
            Some("http://localhost:8080"),
            host,
            &allowed
        ));
        assert!(!origin_allowed(
            Some("https://localhost:8080"),
            host,
            &allowed
        ));
    }

    #[test]
    fn default_ports_and_ipv6() {
        let a = Origin::parse("https://Chat.Example.org").unwrap();
        assert_eq!(
            Some(a),
            Origin::from_authority("https", "chat.example.org:443")
        );
        assert_ne!(
            Origin::parse("http://chat.example.org"),
            Origin::parse("https://chat.example.org")
        );
        assert_eq!(
            Origin::parse("http://[::1]:3000"),
            Origin::from_authority("http", "[::1]:3000")
        );
        for bad in [
            "",
            "null",
            "ftp://x",
            "http://",
            "http://a:b",
            "http://a/b",
            "http://u@a",
        ] {
            assert_eq!(Origin::parse(bad), None, "{bad}");
        }
    }
}
