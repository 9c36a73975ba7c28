use std::time::Duration;

use confab_shared::{PresenceEvent, ServerMsg};

use confab_testkit::*;

async fn next_presence(ws: &mut Ws) -> (String, PresenceEvent, u32) {
    match ws
        .recv_until(|m| matches!(m, ServerMsg::Presence { .. }))
        .await
    {
        ServerMsg::Presence {
            user,
            event,
            online,
            ..
        } => (user.to_string(), event, online),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn online_at_the_first_connection_offline_at_the_last() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut b = app.connect(&bob).await;

    let tab1 = app.connect(&alice).await;
    assert_eq!(
        next_presence(&mut b).await,
        ("alice".into(), PresenceEvent::Online, 2)
    );
    let tab2 = app.connect(&alice).await;
    b.expect_silence(Duration::from_millis(300)).await;
    let quiet = tokio::time::timeout(Duration::from_millis(300), next_presence(&mut b)).await;
    assert!(quiet.is_err(), "a second tab announced alice again");

    drop(tab1);
    let quiet = tokio::time::timeout(Duration::from_millis(400), next_presence(&mut b)).await;
    assert!(quiet.is_err(), "closing one of two tabs took alice offline");
    drop(tab2);
    assert_eq!(
        next_presence(&mut b).await,
        ("alice".into(), PresenceEvent::Offline, 1)
    );
}

#[tokio::test]
async fn joined_lists_members_with_their_online_state() {
    let app = spawn_app().await;
    let (alice, bob, _carol) = (
        app.login("alice").await,
        app.login("bob").await,
        app.login("carol").await,
    );
    let _b = app.connect(&bob).await;
    let mut a = app.connect(&alice).await;
    match a.join("lobby", None).await {
        ServerMsg::Joined { members, .. } => {
            let listed: Vec<(String, bool)> = members
                .iter()
                .map(|m| (m.name.to_string(), m.online))
                .collect();
            assert_eq!(
                listed,
                vec![
                    ("alice".into(), true),
                    ("bob".into(), true),
                    ("carol".into(), false)
                ]
            );
        }
        other => panic!("{other:?}"),
    }
}

/// Arrivals gather for 100 ms and go out together: a room's members get at
/// most one `online` frame per 100 ms however many users arrive (40 here,
/// one after the other, each in a turn of its own), and each user is
/// announced once.
#[tokio::test]
async fn arrivals_are_announced_together_at_most_every_100_ms() {
    const USERS: usize = 40;
    // More logins than one address may make a minute by default.
    let app = spawn_app_with(|s| s.session_rate_limit = 0).await;
    let watcher = app.login("watcher").await;
    let mut w = app.connect(&watcher).await;
    let mut sessions = Vec::new();
    for i in 0..USERS {
        sessions.push(app.login(&format!("u{i}")).await);
    }
    let started = std::time::Instant::now();
    let mut sockets = Vec::new();
    for session in &sessions {
        sockets.push(app.connect(session).await);
    }
    let mut announced: std::collections::BTreeMap<String, usize> = Default::default();
    let mut frames = 0u128;
    while announced.len() < USERS {
        // (Each login's lobby membership came as a `joined` event before.)
        let msg = w
            .recv_until(|m| {
                matches!(
                    m,
                    ServerMsg::Presence {
                        event: PresenceEvent::Online,
                        ..
                    }
                )
            })
            .await;
        frames += 1;
        for user in msg.presence_users() {
            *announced.entry(user.to_string()).or_default() += 1;
        }
    }
    let elapsed = started.elapsed();
    println!("{USERS} arrivals in {frames} frames over {elapsed:?}");
    assert!(
        announced.values().all(|n| *n == 1),
        "announced more than once: {announced:?}"
    );
    let bound = elapsed.as_millis() / 100 + 1;
    assert!(
        frames <= bound,
        "{frames} frames for {USERS} arrivals in {elapsed:?}: more than one per 100 ms"
    );
}
