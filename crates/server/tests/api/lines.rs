//! `GET /ws?frames=lines`: a client that asks for it may get
//! several server frames in one WebSocket text frame, one JSON object per
//! line, in order, none lost and none over 16 KiB; a client that does not
//! ask gets exactly one JSON object per text frame, as before.

use confab_shared::{frame_lines, ClientMsg, Framing, ServerMsg};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use confab_testkit::*;

/// The largest text frame the server packs (its fragment size).
const PACKED_MAX: usize = 16 * 1024;

/// A raw socket for `session` that asks for `framing`.
async fn open(app: &TestApp, session: &Session, framing: Framing) -> WsStream {
    let request = ws_request(&app.ws_url_for(framing), Some(&session.token), None);
    let connecting = tokio_tungstenite::connect_async(request);
    let (ws, _) = tokio::time::timeout(WAIT, connecting)
        .await
        .expect("handshake in time")
        .expect("handshake");
    ws
}

/// Every text frame until (and with) the one holding `joined`.
async fn text_frames_until_joined(ws: &mut WsStream) -> Vec<String> {
    let mut frames = Vec::new();
    loop {
        let next = tokio::time::timeout(WAIT, ws.next()).await;
        let Ok(Some(Ok(message))) = next else {
            panic!("socket ended or timed out after {frames:?}")
        };
        if let WsMessage::Text(text) = message {
            let done = frame_lines(&text).any(|line| line.contains("\"type\":\"joined\""));
            frames.push(text.to_string());
            if done {
                return frames;
            }
        }
    }
}

/// Alice posts `texts` to the lobby while bob's copies wait (the write delay
/// is far longer than the test), then bob joins again: his answer takes
/// everything waiting along. Returns bob's text frames and alice's seqs.
async fn held_then_flushed(framing: Framing, texts: &[String]) -> (Vec<String>, Vec<u64>) {
    let app = spawn_app_with(|s| s.write_delay_ms = 600_000).await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut b = open(&app, &bob, framing).await;
    let mut a = app.connect(&alice).await;
    let mut seqs = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        seqs.push(a.say("lobby", text, &format!("c{i}")).await);
    }
    // No wait needed: alice's messages were committed and published before
    // their acks, and the hub routes what the broker delivered before it
    // handles a command sent after (see `Hub::run`), so they are queued for
    // bob before his join is handled.
    let join = ClientMsg::Join {
        room: "lobby".parse().expect("room"),
        since: seqs.last().copied(),
        password: None,
    };
    b.send(WsMessage::Text(join.to_json()))
        .await
        .expect("send join");
    (text_frames_until_joined(&mut b).await, seqs)
}

/// The server frames of `frames`, in order; panics on a line that is not one.
fn parse(frames: &[String]) -> Vec<ServerMsg> {
    frames
        .iter()
        .flat_map(|f| frame_lines(f))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn message_seqs(msgs: &[ServerMsg]) -> Vec<u64> {
    msgs.iter()
        .filter_map(|m| match m {
            ServerMsg::Message { message } => Some(message.seq),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_lines_client_gets_what_waited_in_one_frame_in_order() {
    let texts: Vec<String> = (0..5).map(|i| format!("hello {i}")).collect();
    let (frames, seqs) = held_then_flushed(Framing::Lines, &texts).await;
    // Welcome went out alone (nothing else was queued); everything that
    // waited for bob, and the join's answer, in one frame.
    let last = frames.last().expect("a frame");
    let msgs = parse(std::slice::from_ref(last));
    assert!(
        msgs.len() > texts.len(),
        "one frame holds the {} messages and joined: {last}",
        texts.len()
    );
    assert!(matches!(msgs.last(), Some(ServerMsg::Joined { .. })));
    assert_eq!(message_seqs(&parse(&frames)), seqs, "each once, in order");
}

#[tokio::test]
async fn without_lines_every_frame_is_one_object() {
    let texts: Vec<String> = (0..5).map(|i| format!("hello {i}")).collect();
    let (frames, seqs) = held_then_flushed(Framing::Single, &texts).await;
    for frame in &frames {
        assert!(!frame.contains('\n'), "one object per frame: {frame}");
        serde_json::from_str::<ServerMsg>(frame).expect("one JSON object");
    }
    assert_eq!(message_seqs(&parse(&frames)), seqs);
}

#[tokio::test]
async fn a_packed_frame_stays_under_16_kib_and_loses_nothing() {
    // Ten messages of 3 KB (1,000 characters, Hangul is 3 bytes each): about
    // 30 KiB waiting for bob.
    let texts: Vec<String> = (0..10)
        .map(|i| format!("{i}{}", "가".repeat(999)))
        .collect();
    let (frames, seqs) = held_then_flushed(Framing::Lines, &texts).await;
    for frame in &frames {
        assert!(
            frame.len() <= PACKED_MAX,
            "{} bytes in one frame",
            frame.len()
        );
    }
    let packed = frames.iter().filter(|f| frame_lines(f).count() > 1).count();
    assert!(packed >= 2, "several packed frames: {}", frames.len());
    let msgs = parse(&frames);
    assert_eq!(message_seqs(&msgs), seqs, "each once, in order");
    let delivered: Vec<&str> = msgs
        .iter()
        .filter_map(|m| match m {
            ServerMsg::Message { message } => Some(message.text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        delivered,
        texts.iter().map(String::as_str).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn an_unknown_framing_is_refused_before_the_upgrade() {
    let app = spawn_app().await;
    let bob = app.login("bob").await;
    let url = format!("{}?frames=xml", app.ws_url());
    let request = ws_request(&url, Some(&bob.token), None);
    let attempt = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request));
    match attempt.await.expect("an answer in time") {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status().as_u16(), 400);
            let body: serde_json::Value =
                serde_json::from_slice(res.body().as_deref().unwrap_or_default()).expect("JSON");
            assert_eq!(body["code"], "invalid", "{body}");
        }
        Ok(_) => panic!("upgraded with frames=xml"),
        Err(e) => panic!("unexpected ws error {e}"),
    }
    // Bob still connects as usual.
    app.connect(&bob).await;
}
