//! Redis presence against a real Redis: the shared one for the record
//! itself, a private one for heartbeat expiry and a Redis restart.

mod support;

use std::time::{Duration, Instant};

use confab_engine::bus::NodeId;
use confab_engine::presence::redis::{RedisPresence, RedisPresenceOptions};
use confab_engine::presence::{OnlineUser, Presence, Snapshot};
use confab_shared::{Color, RoomId, User, UserName};
use support::private_redis::PrivateRedis;

fn online(name: &str) -> OnlineUser {
    OnlineUser {
        user: User {
            id: format!("id-{name}"),
            name: UserName::parse(name).unwrap(),
            color: Color::parse("#336699").unwrap(),
        },
        rooms: vec![RoomId::parse("general").unwrap()],
    }
}

async fn node(url: &str, id: &str, prefix: &str, ttl: Duration) -> RedisPresence {
    let options = RedisPresenceOptions {
        prefix: prefix.to_owned(),
        ttl,
    };
    RedisPresence::connect_with(url, NodeId::from(id), options)
        .await
        .expect("connect to Redis")
}

/// The user names `node` has in `snapshot`, sorted; `None` if absent.
fn names(snapshot: &Snapshot, node: &str) -> Option<Vec<String>> {
    let users = snapshot.nodes.get(node)?;
    let mut names: Vec<String> = users.iter().map(|u| u.user.name.to_string()).collect();
    names.sort();
    Some(names)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_see_each_others_users_on_the_shared_redis() {
    let url = support::shared_redis_url();
    let prefix = support::unique("presence");
    let ttl = Duration::from_secs(10);
    let a = node(&url, "a", &prefix, ttl).await;
    let b = node(&url, "b", &prefix, ttl).await;

    a.set_online("id-alice", Some(&online("alice")))
        .await
        .unwrap();
    a.set_online("id-carol", Some(&online("carol")))
        .await
        .unwrap();
    b.set_online("id-bob", Some(&online("bob"))).await.unwrap();
    a.set_online("id-carol", None).await.unwrap();

    let seen_by_b = b.snapshot().await.unwrap();
    assert_eq!(names(&seen_by_b, "a"), Some(vec!["alice".to_owned()]));
    assert_eq!(names(&seen_by_b, "b"), Some(vec!["bob".to_owned()]));
    let seen_by_a = a.snapshot().await.unwrap();
    assert_eq!(seen_by_a.nodes.get("a").unwrap(), &vec![online("alice")]);
    assert_eq!(names(&seen_by_a, "b"), Some(vec!["bob".to_owned()]));

    // A clean shutdown takes the node out at once.
    b.retire().await;
    let seen_by_a = a.snapshot().await.unwrap();
    assert_eq!(names(&seen_by_a, "b"), None);
    assert_eq!(seen_by_a.nodes.len(), 1);
    a.retire().await;
    let keys: Vec<String> = redis_keys(&url, &prefix).await;
    assert!(keys.is_empty(), "left behind: {keys:?}");
}

async fn redis_keys(url: &str, prefix: &str) -> Vec<String> {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_stops_heartbeating_disappears_after_the_ttl() {
    let redis = PrivateRedis::new();
    let ttl = Duration::from_millis(1000);
    let a = node(&redis.url(), "a", "p:", ttl).await;
    let b = node(&redis.url(), "b", "p:", ttl).await;
    a.set_online("id-alice", Some(&online("alice")))
        .await
        .unwrap();
    b.set_online("id-bob", Some(&online("bob"))).await.unwrap();
    assert_eq!(
        names(&a.snapshot().await.unwrap(), "b"),
        Some(vec!["bob".to_owned()])
    );

    // A keeps heartbeating, B has stopped (as after a kill -9).
    let stopped = Instant::now();
    loop {
        a.heartbeat().await.unwrap();
        let snapshot = a.snapshot().await.unwrap();
        if names(&snapshot, "b").is_none() {
            break;
        }
        assert!(stopped.elapsed() < ttl * 3, "dead node b still listed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        stopped.elapsed() >= ttl - Duration::from_millis(100),
        "b dropped too early"
    );
    assert_eq!(
        names(&a.snapshot().await.unwrap(), "a"),
        Some(vec!["alice".to_owned()])
    );
    // What b left behind is gone, not just hidden.
    assert_eq!(
        redis_keys(&redis.url(), "p:presence:b").await,
        Vec::<String>::new()
    );

    // If b was only slow, its next heartbeat writes its record back.
    b.heartbeat().await.unwrap();
    let snapshot = a.snapshot().await.unwrap();
    assert_eq!(names(&snapshot, "b"), Some(vec!["bob".to_owned()]));

    a.retire().await;
    assert_eq!(names(&b.snapshot().await.unwrap(), "a"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_come_back_after_redis_restarts_empty() {
    let mut redis = PrivateRedis::new();
    let ttl = Duration::from_secs(10);
    let a = node(&redis.url(), "a", "p:", ttl).await;
    let b = node(&redis.url(), "b", "p:", ttl).await;
    a.set_online("id-alice", Some(&online("alice")))
        .await
        .unwrap();

    redis.stop();
    assert!(a.heartbeat().await.is_err());
    // Recorded while Redis is down: kept in memory, written back later.
    a.set_online("id-carol", Some(&online("carol")))
        .await
        .unwrap_err();
    redis.start();

    let deadline = Instant::now() + Duration::from_secs(5);
    while a.heartbeat().await.is_err() || b.heartbeat().await.is_err() {
        assert!(Instant::now() < deadline, "presence did not reconnect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let snapshot = b.snapshot().await.unwrap();
    assert_eq!(
        names(&snapshot, "a"),
        Some(vec!["alice".to_owned(), "carol".to_owned()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_fails_without_redis() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}/");
    let err = RedisPresence::connect(&url, "n".into())
        .await
        .err()
        .expect("connected to nothing");
    assert!(
        err.to_string().contains("presence store unavailable"),
        "{err}"
    );
}
