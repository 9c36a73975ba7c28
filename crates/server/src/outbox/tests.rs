use super::*;
use confab_shared::{ErrorCode, Message, RoomId, ServerMsg, Timestamp, UserName};
use std::time::Duration;
use tokio::time::Instant;

fn frame(text: &str) -> Frame {
    Frame::new(&ServerMsg::error(ErrorCode::Internal, text, None))
}

#[tokio::test]
async fn delivers_in_order_then_overflows_by_frames() {
    let (tx, mut rx) = outbox(2, 1 << 20);
    tx.push(frame("a")).unwrap();
    tx.push(frame("b")).unwrap();
    assert_eq!(tx.push(frame("c")), Err(Closed));
    // Overflow drops what was pending and closes at once.
    assert!(matches!(
        rx.next().await,
        Next::Close(CloseReason::Overflow)
    ));
    assert_eq!(tx.push(frame("d")), Err(Closed));
    assert_eq!(rx.aborted().await, CloseReason::Overflow);
}

#[tokio::test]
async fn counts_queued_bytes_and_each_overflow_once() {
    let metrics = Arc::new(Metrics::default());
    let (tx, mut rx) = outbox_counted(2, 1 << 20, Some(metrics.clone()));
    let one = frame("a");
    let weight = one.json.len() as i64;
    tx.push(one).unwrap();
    tx.push(frame("b")).unwrap();
    assert_eq!(metrics.outbox_bytes.load(Relaxed), 2 * weight);
    assert!(matches!(rx.next().await, Next::Send(_)));
    assert_eq!(metrics.outbox_bytes.load(Relaxed), weight);
    tx.push(frame("c")).unwrap();
    for _ in 0..5 {
        assert_eq!(tx.push(frame("d")), Err(Closed));
    }
    tx.close(CloseReason::Overflow);
    assert_eq!(metrics.slow_consumers_closed.load(Relaxed), 1);
    assert_eq!(metrics.outbox_bytes.load(Relaxed), 0);
    // Frames left in a closing outbox are given back when it goes.
    let (tx, rx) = outbox_counted(10, 1 << 20, Some(metrics.clone()));
    tx.push(frame("e")).unwrap();
    tx.close(CloseReason::Shutdown);
    drop((tx, rx));
    assert_eq!(metrics.outbox_bytes.load(Relaxed), 0);
}

#[tokio::test]
async fn overflows_by_bytes() {
    let (tx, _rx) = outbox(100, 120);
    tx.push(frame("x")).unwrap();
    assert_eq!(tx.push(frame(&"y".repeat(100))), Err(Closed));
}

#[tokio::test]
async fn shutdown_drains_before_closing() {
    let (tx, mut rx) = outbox(10, 1 << 20);
    tx.push(frame("a")).unwrap();
    tx.close(CloseReason::Shutdown);
    assert!(matches!(rx.next().await, Next::Send(f) if f.json.contains("\"a\"")));
    assert!(matches!(
        rx.next().await,
        Next::Close(CloseReason::Shutdown)
    ));
}

#[tokio::test]
async fn shutdown_waits_for_owed_answers() {
    let (tx, mut rx) = outbox(10, 1 << 20);
    let owed = tx.ticket();
    tx.close(CloseReason::Shutdown);
    let waiter = tokio::spawn(async move {
        let mut got = Vec::new();
        loop {
            match rx.drain(true).await {
                Next::Send(f) => got.push(f.json.to_string()),
                Next::Close(reason) => return (got, reason),
            }
        }
    });
    tokio::task::yield_now().await;
    // The answer is still taken after the shutdown began.
    tx.push(frame("ack")).unwrap();
    drop(owed);
    let (got, reason) = waiter.await.unwrap();
    assert_eq!(reason, CloseReason::Shutdown);
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("\"ack\""));
}

#[tokio::test]
async fn wakes_a_waiting_receiver() {
    let (tx, mut rx) = outbox(10, 1 << 20);
    let waiter = tokio::spawn(async move { matches!(rx.next().await, Next::Send(_)) });
    tokio::task::yield_now().await;
    tx.push(frame("late")).unwrap();
    assert!(waiter.await.unwrap());
}

fn broadcast(text: &str) -> Frame {
    Frame::new(&ServerMsg::Message {
        message: Message {
            id: text.into(),
            room: RoomId::lobby(),
            seq: 1,
            from: UserName::parse("alice").unwrap(),
            text: text.into(),
            ts: Timestamp::now(),
            attachment: None,
            kind: Default::default(),
            target: None,
            edited: None,
            deleted: false,
            event: None,
        },
    })
}

/// A broadcast lingers until its deadline while only broadcasts follow it
/// (they wake nobody), and less as soon as an answer is queued.
#[tokio::test]
async fn lingers_for_broadcasts_and_not_past_an_answer() {
    let (tx, rx) = outbox(10, 1 << 20);
    assert!(broadcast("one").can_wait() && !frame("answer").can_wait());
    tx.push(broadcast("one")).unwrap();
    let started = Instant::now();
    let pusher = {
        let tx = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(3)).await;
            tx.push(broadcast("two")).unwrap();
        })
    };
    rx.linger(started + Duration::from_millis(200)).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    pusher.await.unwrap();

    let started = Instant::now();
    let pusher = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(4)).await;
        tx.push(frame("answer")).unwrap();
    });
    rx.linger(started + Duration::from_secs(60)).await;
    // Well before the deadline (the margin only absorbs a busy machine).
    assert!(started.elapsed() < Duration::from_secs(30));
    pusher.await.unwrap();
}

/// What lingered goes out in order, the answer last, and nothing else is
/// left once the queue is drained.
#[tokio::test]
async fn try_next_drains_in_order_and_a_closed_outbox_gives_nothing() {
    let (tx, mut rx) = outbox(10, 1 << 20);
    for f in [broadcast("one"), broadcast("two"), frame("answer")] {
        tx.push(f).unwrap();
    }
    let kinds: Vec<&str> = std::iter::from_fn(|| rx.try_next())
        .map(|f| f.kind)
        .collect();
    assert_eq!(kinds, ["message", "message", "error"]);
    tx.push(broadcast("three")).unwrap();
    tx.close(CloseReason::Overflow);
    assert!(rx.try_next().is_none());
}
