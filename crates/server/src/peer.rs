//! The TCP connection under a WebSocket, so the server can end it right
//! after the close handshake.
//!
//! actix-web keeps a connection whose request body (for a WebSocket: the
//! client's frames) was not read to its end open after the response for up
//! to `client_disconnect_timeout` (1 s), waiting for the client to hang up,
//! while a WebSocket client waits for the server to hang up first (RFC 6455
//! 7.1.1): every close took a second. Shutting down the read side of the
//! socket makes actix see the end of the request at once; it then flushes
//! what is left (the close frame) and closes the connection itself.

use std::net::Shutdown;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use actix_web::HttpRequest;

/// The connection's file descriptor, recorded when it is accepted
/// (`HttpServer::on_connect`); only a number, valid while the connection is.
#[derive(Debug, Clone, Copy)]
pub struct PeerFd(pub RawFd);

impl PeerFd {
    /// Records the descriptor of an accepted TCP connection.
    pub fn of(stream: &actix_web::rt::net::TcpStream) -> Self {
        Self(stream.as_raw_fd())
    }
}

/// A duplicate of the connection's descriptor, owned by the socket task.
pub struct PeerSocket(socket2::Socket);

impl PeerSocket {
    /// Duplicates the descriptor of the connection `req` arrived on.
    pub fn of(req: &HttpRequest) -> Option<Self> {
        let PeerFd(fd) = *req.conn_data::<PeerFd>()?;
        // SAFETY: `fd` is the descriptor of the connection this request
        // arrived on. The connection's dispatcher owns it and is polling
        // this request's handler right now (we are in it, without an await
        // in between), so the descriptor is open and is that connection's
        // for the duration of this borrow, which ends with the duplicate.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let owned = borrowed.try_clone_to_owned().ok()?;
        Some(Self(socket2::Socket::from(owned)))
    }

    /// Ends the TCP connection once actix has flushed what it holds: the
    /// read side is shut, actix reads the end of the stream and closes.
    pub fn end(&self) {
        let _ = self.0.shutdown(Shutdown::Read);
    }
}
