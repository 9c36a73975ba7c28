//! The limits that keep one user or one address from taking the server:
//! open connections per user and per address ([`conns`]) and HTTP
//! requests and session creations per address ([`http`]). Each is counted
//! on this node only: with N nodes behind a balancer a client can reach N
//! times as much (documented in `docs/PROTOCOL.md`).

pub mod conns;
pub mod http;
pub mod logins;

use std::net::IpAddr;

use actix_web::HttpRequest;

/// The client's address as the limits see it: `X-Forwarded-For` counts only
/// from a trusted proxy (see [`crate::client_addr`]).
pub fn request_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    crate::client_addr::client_addr(req.peer_addr(), forwarded, trusted)
}
