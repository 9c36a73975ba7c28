//! Server admins (`--admin NAME`): they moderate every room, `lobby`
//! included, and no owner can act on them; an admin's name counts only
//! once claimed with a password.

use confab_shared::{EntryKind, ErrorCode, ServerMsg};
use serde_json::json;

use super::moderation::{hears_left, moderate};
use confab_testkit::*;

#[tokio::test]
async fn server_admins_moderate_every_room_and_owners_cannot_touch_them() {
    let app = spawn_app_with(|s| {
        s.send_rate = 0;
        s.admins = vec!["Root".into()];
    })
    .await;
    let (alice, root, bob) = (
        app.login("alice").await,
        app.login("root").await,
        app.login("bob").await,
    );
    // A guest who picks an admin's name is nobody special ...
    let mut r = app.connect(&root).await;
    let early = r
        .ask(moderate("lobby", json!({"action":"kick","user":"bob"})))
        .await;
    assert_eq!(early.err().map(|r| r.code), Some(ErrorCode::Forbidden));
    // ... until the name is claimed with a password.
    let claim = json!({"name":"root","password":"correct horse battery"});
    assert_eq!(app.post("/api/account", &root, claim).await.status(), 200);
    let (mut a, mut r, mut b) = (
        app.connect(&alice).await,
        app.connect(&root).await,
        app.connect(&bob).await,
    );
    assert!(matches!(
        a.join("den", None).await,
        ServerMsg::Joined { .. }
    ));
    match r.join("den", None).await {
        ServerMsg::Joined { role, .. } => assert_eq!(role, confab_shared::RoomRole::Admin),
        other => panic!("{other:?}"),
    }
    // The owner cannot act on an admin; the admin can act on the owner.
    let kick_root = moderate("den", json!({"action":"kick","user":"root"}));
    assert_eq!(
        a.ask(kick_root).await.err().map(|r| r.code),
        Some(ErrorCode::Forbidden)
    );
    r.ask(moderate(
        "den",
        json!({"action":"mute","user":"alice","seconds":30}),
    ))
    .await
    .expect("admin mutes the owner");
    // lobby has no owner; an admin moderates it too.
    let kicked = r
        .ask(moderate("lobby", json!({"action":"kick","user":"bob"})))
        .await
        .expect("admin kicks in lobby");
    assert_eq!(kicked.room.to_string(), "lobby");
    hears_left(&mut b, "lobby", "bob").await;
    // A direct conversation has no moderators.
    let dm = moderate("dm:alice:root", json!({"action":"topic","topic":"x"}));
    assert_eq!(
        r.ask(dm).await.err().map(|r| r.code),
        Some(ErrorCode::Forbidden)
    );
    // Bad input gets `invalid`, and nothing is logged.
    let long = moderate(
        "den",
        json!({"action":"mute","user":"bob","seconds":99_999_999}),
    );
    assert_eq!(
        r.ask(long).await.err().map(|r| r.code),
        Some(ErrorCode::Invalid)
    );
    let topic = moderate("den", json!({"action":"topic","topic":"x".repeat(301)}));
    assert_eq!(
        r.ask(topic).await.err().map(|r| r.code),
        Some(ErrorCode::Invalid)
    );
    let page = app.history("den", &root).await;
    assert_eq!(
        page.iter()
            .filter(|m| m.kind == EntryKind::Moderation)
            .count(),
        1
    );
}
