//! The end of a WebSocket connection, whatever ended it. Kept out of the
//! reader's loop and boxed there: the room closing needs (timeouts, the
//! close handshake) would otherwise be kept by every socket's future for
//! its whole life.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use super::wire::{Frames, Incoming, Session};
use tokio::task::JoinHandle;

use super::{Ending, SocketContext, Written};

/// How long the server waits for the client's answer to its close frame.
const CLOSE_REPLY_WAIT: Duration = Duration::from_secs(2);
/// How long a close frame may wait for a client that stopped reading.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// After the loop, whatever ended it: the writer stopped, the hub told, the
/// close handshake done where it can be, the TCP connection ended.
pub(super) async fn finish(
    ctx: SocketContext,
    session: Session,
    mut stream: Frames,
    writer: JoinHandle<Written>,
    writer_done: bool,
    ending: Ending,
) {
    // The close frame must be the last one: stop the writer first.
    if !writer_done {
        writer.abort();
        let _ = writer.await;
    }

    ctx.app.hub.disconnect(ctx.conn).await;
    ctx.app.metrics.ws_connections.fetch_sub(1, Relaxed);
    let code = match ending {
        Ending::Answer(reason) => {
            let code = u16::from(reason.code);
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, session.close(Some(reason))).await;
            Some(code)
        }
        Ending::Close(reason) => {
            let code = u16::from(reason.code);
            let sent = tokio::time::timeout(CLOSE_TIMEOUT, session.close(Some(reason))).await;
            if matches!(sent, Ok(Ok(()))) {
                await_close_reply(&mut stream).await;
            }
            Some(code)
        }
        Ending::Gone => None,
    };
    // The handshake is over (or cannot happen): the TCP connection ends
    // when this function returns, with the last handles on it (`stream`
    // and `session`; the writer's went with its task).
    tracing::info!(conn = ctx.conn, user = %ctx.user.name, client = %ctx.client, ?code, "websocket closed");
}

/// Reads until the client answers the server's close frame (or goes, or
/// takes too long), so the close handshake completes before TCP ends.
async fn await_close_reply(stream: &mut Frames) {
    let _ = tokio::time::timeout(CLOSE_REPLY_WAIT, async {
        while let Some(item) = stream.recv().await {
            if matches!(item, Ok(Incoming::Close(_)) | Err(_)) {
                break;
            }
        }
    })
    .await;
}
