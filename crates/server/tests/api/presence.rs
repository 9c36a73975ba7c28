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
