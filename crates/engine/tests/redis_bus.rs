//! The Redis broker against a real Redis: the shared one for the normal
//! cases, a private one for the tests that stop it.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytestring::ByteString;
use confab_engine::bus::redis::{RedisBroker, RedisBrokerOptions};
use confab_engine::bus::{Broker, BrokerHealth, BusBody, BusEvent, Delivery, NodeId};
use confab_engine::store::{LogBody, LogEntry};
use confab_shared::{Color, RoomId, User, UserName};
use futures_util::StreamExt;
use support::private_redis::PrivateRedis;
use tokio::sync::broadcast;

/// Generous bound for anything that should take milliseconds.
const SOON: Duration = Duration::from_secs(3);

fn user(name: &str) -> User {
    User {
        id: format!("id-{name}"),
        name: UserName::parse(name).unwrap(),
        color: Color::parse("#336699").unwrap(),
    }
}

fn logged(node: &NodeId, pos: i64) -> BusEvent {
    BusEvent {
        node: node.clone(),
        body: BusBody::Logged {
            entry: LogEntry {
                pos,
                room: RoomId::parse("general").unwrap(),
                body: LogBody::Member {
                    user: user("alice"),
                    joined: true,
                    members: 2,
                },
            },
            // Quotes, escapes, non-ASCII and a newline escape: the frame
            // must arrive byte for byte.
            frame: ByteString::from(format!(
                r#"{{"type":"joined","pos":{pos},"text":"a \"q\" \\ é \n"}}"#
            )),
            origin: Some(7),
        },
    }
}

async fn broker(url: &str, node: &NodeId, channel: &str) -> RedisBroker {
    let options = RedisBrokerOptions {
        channel: channel.to_owned(),
        retry_every: Duration::from_millis(100),
        ..Default::default()
    };
    RedisBroker::connect_with(url, node.clone(), options)
        .await
        .expect("connect to Redis")
}

/// Waits (bounded) for the next delivery `want` accepts; panics on timeout.
async fn wait_for(
    rx: &mut broadcast::Receiver<Delivery>,
    within: Duration,
    what: &str,
    want: impl Fn(&Delivery) -> bool,
) -> Delivery {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(d)) if want(&d) => return d,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("subscription failed while waiting for {what}: {e}"),
            Err(_) => panic!("no {what} within {within:?}"),
        }
    }
}

fn pos_of(d: &Delivery) -> Option<i64> {
    match d {
        Delivery::Event(e) => match &e.body {
            BusBody::Logged { entry, .. } => Some(entry.pos),
            _ => None,
        },
        Delivery::Lost => None,
    }
}

/// Waits for the event at `pos`, then checks no second copy follows.
async fn exactly_once(rx: &mut broadcast::Receiver<Delivery>, pos: i64) -> Arc<BusEvent> {
    let got = wait_for(rx, SOON, &format!("event {pos}"), |d| {
        pos_of(d) == Some(pos)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(d) = rx.try_recv() {
        assert_ne!(pos_of(&d), Some(pos), "event {pos} delivered twice");
    }
    match got {
        Delivery::Event(e) => e,
        Delivery::Lost => unreachable!(),
    }
}

async fn wait_health(b: &RedisBroker, within: Duration, ok: bool) -> BrokerHealth {
    let deadline = Instant::now() + within;
    loop {
        let h = b.health();
        if (h == BrokerHealth::Ok) == ok {
            return h;
        }
        assert!(
            Instant::now() < deadline,
            "health still {h:?} after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_cross_nodes_intact_on_the_shared_redis() {
    let url = support::shared_redis_url();
    let channel = support::unique("events");
    let (na, nb): (NodeId, NodeId) = ("node-a".into(), "node-b".into());
    let a = broker(&url, &na, &channel).await;
    let b = broker(&url, &nb, &channel).await;
    let (mut rx_a, mut rx_b) = (a.subscribe(), b.subscribe());

    let sent = logged(&na, 1);
    a.publish(sent.clone());
    let got = exactly_once(&mut rx_b, 1).await;
    assert_eq!(got.node, na);
    match (&got.body, &sent.body) {
        (
            BusBody::Logged {
                entry,
                frame,
                origin,
            },
            BusBody::Logged {
                entry: e2,
                frame: f2,
                origin: o2,
            },
        ) => assert_eq!((entry, frame, origin), (e2, f2, o2)),
        other => panic!("wrong body: {other:?}"),
    }
    exactly_once(&mut rx_a, 1).await;

    // Typing and presence changes come through whole too.
    let room = RoomId::parse("general").unwrap();
    b.publish(BusEvent {
        node: nb.clone(),
        body: BusBody::Typing {
            room: room.clone(),
            user_id: "id-bob".into(),
            frame: ByteString::from(r#"{"type":"typing","name":"bob"}"#),
        },
    });
    b.publish(BusEvent {
        node: nb.clone(),
        body: BusBody::Presence {
            user: user("bob"),
            rooms: vec![room.clone()],
            online: true,
        },
    });
    let typing = wait_for(&mut rx_a, SOON, "typing", |d| {
        matches!(d, Delivery::Event(_))
    })
    .await;
    let Delivery::Event(typing) = typing else {
        unreachable!()
    };
    let BusBody::Typing {
        room: r,
        user_id,
        frame,
    } = &typing.body
    else {
        panic!("expected typing first, got {typing:?}")
    };
    assert_eq!((r, user_id.as_str()), (&room, "id-bob"));
    assert_eq!(&**frame, r#"{"type":"typing","name":"bob"}"#);
    let presence = wait_for(&mut rx_a, SOON, "presence", |d| {
        matches!(d, Delivery::Event(_))
    })
    .await;
    let Delivery::Event(presence) = presence else {
        unreachable!()
    };
    let BusBody::Presence {
        user: u,
        rooms,
        online,
    } = &presence.body
    else {
        panic!("expected presence, got {presence:?}")
    };
    assert_eq!((u, rooms, *online), (&user("bob"), &vec![room], true));

    // A publisher counts an event once Redis has answered its PUBLISH, which
    // can be a moment after the other node already got it.
    let counted = tokio::time::timeout(SOON, async {
        loop {
            let (sa, sb) = (a.stats(), b.stats());
            if (sa.published, sa.received, sb.published, sb.received) == (1, 2, 2, 1) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        counted.is_ok(),
        "stats: a {:?}, b {:?}",
        a.stats(),
        b.stats()
    );
    assert_eq!(a.stats().publish_dropped, 0);
    assert_eq!(a.health(), BrokerHealth::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_frame_goes_on_the_wire_unescaped() {
    let url = support::shared_redis_url();
    let channel = support::unique("wire");
    let node: NodeId = "node-w".into();
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut raw = client.get_async_pubsub().await.unwrap();
    raw.subscribe(&channel).await.unwrap();
    let a = broker(&url, &node, &channel).await;

    let event = logged(&node, 5);
    a.publish(event.clone());
    let msg = tokio::time::timeout(SOON, raw.on_message().next())
        .await
        .expect("no message on the channel")
        .expect("pubsub closed");
    let payload = msg.get_payload_bytes();
    let BusBody::Logged { frame, .. } = &event.body else {
        unreachable!()
    };
    let header_len = payload.iter().position(|b| *b == b'\n').unwrap();
    assert_eq!(&payload[header_len + 1..], frame.as_bytes());
    let header = std::str::from_utf8(&payload[..header_len]).unwrap();
    assert!(
        !header.contains("joined\\\""),
        "frame serialized into the header: {header}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_fails_clearly_without_redis() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}/");
    let started = Instant::now();
    let err = match RedisBroker::connect(&url, "n".into()).await {
        Ok(_) => panic!("connected to nothing"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("cannot reach Redis"), "unclear error: {err}");
    assert!(started.elapsed() < SOON);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_a_private_redis_deliver_exactly_once() {
    let redis = PrivateRedis::new();
    let (na, nb): (NodeId, NodeId) = ("a".into(), "b".into());
    let a = broker(&redis.url(), &na, "events").await;
    let b = broker(&redis.url(), &nb, "events").await;
    let (mut rx_a, mut rx_b) = (a.subscribe(), b.subscribe());

    a.publish(logged(&na, 1));
    exactly_once(&mut rx_b, 1).await;
    exactly_once(&mut rx_a, 1).await;
    assert_eq!(b.stats().received, 1);
    // A ignores its own event coming back from Redis.
    assert_eq!(a.stats().received, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_degrades_then_heals_with_a_catch_up() {
    let mut redis = PrivateRedis::new();
    let (na, nb): (NodeId, NodeId) = ("a".into(), "b".into());
    let a = broker(&redis.url(), &na, "events").await;
    let b = broker(&redis.url(), &nb, "events").await;
    let (mut rx_a, mut rx_b) = (a.subscribe(), b.subscribe());
    a.publish(logged(&na, 1));
    exactly_once(&mut rx_b, 1).await;

    redis.stop();
    // Local delivery goes on without Redis.
    a.publish(logged(&na, 2));
    wait_for(&mut rx_a, SOON, "local event 2", |d| pos_of(d) == Some(2)).await;
    let health = wait_health(&a, SOON, false).await;
    assert!(
        matches!(&health, BrokerHealth::Degraded(why) if why.starts_with("redis unreachable")),
        "{health:?}"
    );
    wait_health(&b, SOON, false).await;

    redis.start();
    let back = Instant::now();
    let five = Duration::from_secs(5);
    let lost = |d: &Delivery| matches!(d, Delivery::Lost);
    wait_for(&mut rx_a, five, "Lost on A", lost).await;
    wait_for(
        &mut rx_b,
        five.saturating_sub(back.elapsed()),
        "Lost on B",
        lost,
    )
    .await;
    wait_health(&a, five.saturating_sub(back.elapsed()), true).await;
    wait_health(&b, five.saturating_sub(back.elapsed()), true).await;
    assert!(back.elapsed() < five);
    assert!(
        a.stats().reconnects >= 2 && b.stats().reconnects >= 2,
        "{:?}",
        a.stats()
    );

    a.publish(logged(&na, 3));
    wait_for(&mut rx_b, SOON, "event 3 on B", |d| pos_of(d) == Some(3)).await;
    wait_for(&mut rx_a, SOON, "event 3 on A", |d| pos_of(d) == Some(3)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_drops_and_counts() {
    let mut redis = PrivateRedis::new();
    let node: NodeId = "a".into();
    let options = RedisBrokerOptions {
        channel: "events".into(),
        queue: 4,
        retry_every: Duration::from_millis(100),
    };
    let a = RedisBroker::connect_with(&redis.url(), node.clone(), options)
        .await
        .unwrap();
    redis.stop();
    wait_health(&a, SOON, false).await;
    let mut rx = a.subscribe();
    for pos in 1..=20 {
        a.publish(logged(&node, pos));
    }
    // Every event still reached this node; the ones that did not fit the
    // queue are counted, never waited for.
    for pos in 1..=20 {
        wait_for(&mut rx, SOON, &format!("local event {pos}"), |d| {
            pos_of(d) == Some(pos)
        })
        .await;
    }
    assert!(a.stats().publish_dropped >= 16, "{:?}", a.stats());
    a.close();
}
