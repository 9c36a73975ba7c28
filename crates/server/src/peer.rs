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

use std::mem::ManuallyDrop;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};

use actix_web::HttpRequest;

/// The connection's file descriptor and addresses, recorded when it is
/// accepted (`HttpServer::on_connect`).
#[derive(Debug, Clone, Copy)]
pub struct PeerFd {
    fd: RawFd,
    local: Option<SocketAddr>,
    peer: Option<SocketAddr>,
}

impl PeerFd {
    /// Records the descriptor of an accepted TCP connection.
    pub fn of(stream: &actix_web::rt::net::TcpStream) -> Self {
        Self {
            fd: stream.as_raw_fd(),
            local: stream.local_addr().ok(),
            peer: stream.peer_addr().ok(),
        }
    }
}

/// Which connection a WebSocket runs on: only a descriptor number and the
/// addresses it had, not a duplicate (a duplicate would double the
/// descriptors a server needs per socket, and they are a limited resource:
/// 20,000 on the benchmark machine).
pub struct PeerSocket(PeerFd);

impl PeerSocket {
    /// The connection `req` arrived on.
    pub fn of(req: &HttpRequest) -> Option<Self> {
        let peer = *req.conn_data::<PeerFd>()?;
        Some(Self(peer))
    }

    /// Ends the TCP connection once actix has flushed what it holds: the
    /// read side is shut, actix reads the end of the stream and closes.
    ///
    /// Only if the descriptor is still this connection's. It is unless the
    /// connection ended before (the client hung up): its dispatcher closed
    /// it then, and the number may name a newer descriptor since. So the
    /// addresses are compared first; a newer connection has another client
    /// port. Nothing can close the descriptor between the check and the
    /// shutdown: its dispatcher runs on this worker thread, which is here.
    pub fn end(&self) {
        let PeerFd { fd, local, peer } = self.0;
        let (Some(local), Some(peer)) = (local, peer) else {
            return;
        };
        // SAFETY: `fd` is a number, borrowed without ownership
        // (`ManuallyDrop`: never closed here). Reading a descriptor's
        // addresses is harmless whatever it names now (an error if it names
        // nothing or no socket), and it is shut only when they are this
        // connection's, as above.
        let socket = ManuallyDrop::new(unsafe { socket2::Socket::from_raw_fd(fd) });
        let same = |addr: std::io::Result<socket2::SockAddr>, want: SocketAddr| {
            addr.ok().and_then(|a| a.as_socket()) == Some(want)
        };
        if same(socket.local_addr(), local) && same(socket.peer_addr(), peer) {
            let _ = socket.shutdown(Shutdown::Read);
        }
    }
}
