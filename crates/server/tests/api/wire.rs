//! The WebSocket on its own TCP stream (crate::upgrade, socket::wire): what
//! actix-ws used to do for us, byte by byte: bytes sent with the upgrade
//! request, fragmented messages and their cap, text that is not UTF-8, and
//! upgrade requests that do not become WebSockets.

use std::time::Duration;

use confab_shared::ServerMsg;
use futures_util::SinkExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use confab_testkit::*;

fn upgrade_request(app: &TestApp, path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n",
        app.addr
    )
}

/// Reads an HTTP response head, byte by byte so that nothing after it is
/// taken from the socket.
async fn read_head(tcp: &mut TcpStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = tokio::time::timeout(WAIT, tcp.read_u8())
            .await
            .expect("a response head in time")
            .expect("a response head");
        head.push(byte);
    }
    String::from_utf8(head).expect("an ASCII head")
}

/// Sends `request` on a new connection; the whole answer, read until the
/// server closes the connection.
async fn exchange(app: &TestApp, request: &[u8]) -> String {
    let mut tcp = TcpStream::connect(app.addr).await.expect("connect");
    tcp.write_all(request).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection after answering")
        .expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_frame_sent_along_with_the_upgrade_request_is_read() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let path = format!("/ws?token={}", alice.token);
    let send = json!({"type":"send","room":"lobby","text":"early","client_id":"early-1"});
    // One write: the request and the first frame arrive together, so actix
    // reads the frame's bytes with the request and must hand them over.
    let mut bytes = upgrade_request(&app, &path, "").into_bytes();
    bytes.extend(masked_text_frame(send.to_string().as_bytes()));
    let mut tcp = TcpStream::connect(app.addr).await.expect("connect");
    tcp.write_all(&bytes).await.expect("write");
    let head = read_head(&mut tcp).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let stream =
        WebSocketStream::from_raw_socket(MaybeTlsStream::Plain(tcp), Role::Client, None).await;
    let mut ws = Ws {
        stream,
        name: "alice".into(),
    };
    let ack = ws
        .recv_until(|m| matches!(m, ServerMsg::Ack { .. } | ServerMsg::Error { .. }))
        .await;
    assert!(
        matches!(&ack, ServerMsg::Ack { client_id: Some(id), .. } if id.as_str() == "early-1"),
        "{ack:?}"
    );
    assert_eq!(texts_of(&app.history("lobby", &alice).await), vec!["early"]);
}

fn texts_of(messages: &[confab_shared::Message]) -> Vec<String> {
    messages.iter().map(|m| m.text.clone()).collect()
}

fn fragment(bytes: &[u8], first: bool, last: bool) -> WsMessage {
    let opcode = if first {
        OpCode::Data(Data::Text)
    } else {
        OpCode::Data(Data::Continue)
    };
    WsMessage::Frame(Frame::message(bytes.to_vec(), opcode, last))
}

#[tokio::test]
async fn fragments_make_one_message_and_over_64_kib_they_close_with_1009() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let send = json!({"type":"send","room":"lobby","text":"in three parts","client_id":"parts"})
        .to_string();
    let (one, rest) = send.as_bytes().split_at(10);
    let (two, three) = rest.split_at(15);
    for (part, first, last) in [
        (one, true, false),
        (two, false, false),
        (three, false, true),
    ] {
        a.stream
            .send(fragment(part, first, last))
            .await
            .expect("send");
    }
    assert_eq!(texts(&b.recv_significant().await), vec!["in three parts"]);

    // Three fragments of 30 KiB: each under the frame cap, 90 KiB together.
    let part = vec![b'x'; 30 * 1024];
    for (first, last) in [(true, false), (false, false), (false, true)] {
        if a.stream.send(fragment(&part, first, last)).await.is_err() {
            break;
        }
    }
    assert_eq!(a.closed().await, Some(CloseCode::Size));
    b.expect_silence(Duration::from_millis(300)).await;
    assert_eq!(
        texts_of(&app.history("lobby", &bob).await),
        vec!["in three parts"]
    );
}

#[tokio::test]
async fn text_that_is_not_utf8_closes_with_1002() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let mut a = app.connect(&alice).await;
    let bad = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
    a.stream.send(WsMessage::Frame(bad)).await.expect("send");
    assert_eq!(a.closed().await, Some(CloseCode::Protocol));
}

#[tokio::test]
async fn upgrade_requests_that_do_not_become_websockets_get_an_http_answer() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    // Another resource: its usual answer, then the connection closes.
    let answer = exchange(&app, upgrade_request(&app, "/healthz", "").as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
    // No session: 401 with the usual JSON body.
    let answer = exchange(&app, upgrade_request(&app, "/ws", "").as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains(r#""code":"unauthorized""#), "{answer}");
    // A handshake without its key: 400.
    let auth = format!("Authorization: Bearer {}\r\n", alice.token);
    let no_key = upgrade_request(&app, "/ws", &auth)
        .replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "");
    let answer = exchange(&app, no_key.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains(r#""code":"invalid""#), "{answer}");
    // An upgrade with a request body stays HTTP, and is refused.
    let chunked = format!("{auth}Transfer-Encoding: chunked\r\n");
    let mut request = upgrade_request(&app, "/ws", &chunked);
    request.push_str("0\r\n\r\n");
    let mut tcp = TcpStream::connect(app.addr).await.expect("connect");
    tcp.write_all(request.as_bytes()).await.expect("write");
    let head = read_head(&mut tcp).await;
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    // Nothing above left a connection behind: alice can still open her
    // sockets up to her cap.
    let _a = app.connect(&alice).await;
}

#[tokio::test]
async fn a_client_ping_gets_its_pong_and_the_socket_stays_open() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let mut a = app.connect(&alice).await;
    a.stream
        .send(WsMessage::Ping(b"are you there".to_vec()))
        .await
        .expect("ping");
    let pong = loop {
        match tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut a.stream)).await {
            Ok(Some(Ok(WsMessage::Pong(payload)))) => break payload,
            Ok(Some(Ok(WsMessage::Text(_) | WsMessage::Ping(_)))) => continue,
            other => panic!("expected a pong, got {other:?}"),
        }
    };
    assert_eq!(pong, b"are you there");
    assert_eq!(a.say("lobby", "still here", "after-ping").await, 1);
}
