//! The WebSocket layer on a real loopback TCP connection: frames are never
//! torn, even by a write given up halfway; a frame split across reads is
//! put together; an idle socket keeps no read buffer.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::*;

/// A connected pair: the server's end (for [`open`]) and the client's.
async fn pair() -> (TcpStream, tokio::net::TcpStream) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (client, accepted) = tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
    let server = accepted.expect("accept").0;
    // As the server's sockets are (crate::upgrade).
    server.set_nodelay(true).expect("TCP_NODELAY");
    (server, client.expect("connect"))
}

#[tokio::test]
async fn a_write_given_up_halfway_is_finished_before_the_next_frame() {
    let (server, mut client) = pair().await;
    // Small kernel buffers, so that 1 MiB cannot fit in them while the
    // client does not read: the write cannot finish, and is given up.
    socket2::SockRef::from(&server)
        .set_send_buffer_size(8192)
        .expect("SO_SNDBUF");
    socket2::SockRef::from(&client)
        .set_recv_buffer_size(64 * 1024)
        .expect("SO_RCVBUF");
    let (mut session, _frames) = open(server, BytesMut::new(), 64 * 1024);
    let big = "x".repeat(1 << 20);
    let first = tokio::time::timeout(
        Duration::from_millis(200),
        session.text(ByteString::from(big.clone())),
    )
    .await;
    assert!(first.is_err(), "1 MiB cannot fit in the socket buffers");
    let mut second = session.clone();
    let second = tokio::spawn(async move { second.text(ByteString::from_static("second")).await });
    // The whole first frame, then the second: nothing torn, nothing lost.
    let mut got = vec![0u8; 10 + big.len() + 2 + 6];
    // Bounded: a lost part would leave this waiting for bytes that never come.
    tokio::time::timeout(Duration::from_secs(10), client.read_exact(&mut got))
        .await
        .expect("every byte of both frames within 10 s")
        .expect("read");
    assert!(second.await.expect("task").is_ok());
    assert_eq!(&got[..2], &[0x81, 127]);
    let len = u64::from_be_bytes(got[2..10].try_into().expect("8 bytes"));
    assert_eq!(len, big.len() as u64);
    assert!(got[10..10 + big.len()].iter().all(|&b| b == b'x'));
    assert_eq!(&got[10 + big.len()..], b"\x81\x06second");
}

#[tokio::test]
async fn a_frame_split_across_reads_is_put_together_and_an_idle_socket_keeps_no_buffer() {
    let (server, mut client) = pair().await;
    let (_session, mut frames) = open(server, BytesMut::new(), 64 * 1024);
    let frame = confab_testkit::masked_text_frame(br#"{"type":"typing","room":"lobby"}"#);
    let (head, tail) = frame.split_at(9);
    client.write_all(head).await.expect("write");
    // Long enough for the server to read the first half.
    let half = tokio::time::timeout(Duration::from_millis(100), frames.recv()).await;
    assert!(half.is_err(), "half a frame is not a message");
    assert_eq!(
        frames.buf.len(),
        head.len(),
        "the first half waits in the buffer"
    );
    client.write_all(tail).await.expect("write");
    match frames.recv().await {
        Some(Ok(Incoming::Text(text))) => assert_eq!(&*text, r#"{"type":"typing","room":"lobby"}"#),
        _ => panic!("expected the text frame"),
    }
    // Waiting for the next frame: the buffer is given back.
    let idle = tokio::time::timeout(Duration::from_millis(50), frames.recv()).await;
    assert!(idle.is_err());
    assert_eq!(frames.buf.capacity(), 0);
    // The client hangs up: the stream ends.
    drop(client);
    assert!(frames.recv().await.is_none());
}
