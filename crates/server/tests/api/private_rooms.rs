//! Private rooms: an owner's settings decide who may join (invitation,
//! room password, member cap); a private room is not listed; a password is
//! never stored or logged in the clear.

use confab_shared::moderation::RoomEvent;
use confab_shared::{ErrorCode, NotificationKind, ServerMsg};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::moderation::{call, code_of};
use confab_testkit::*;

/// `who` joins `room` over the WebSocket with `password`: the error code,
/// or `None` when joined.
async fn join_with(ws: &mut Ws, room: &str, password: Option<&str>) -> Option<ErrorCode> {
    let mut frame = json!({"type":"join","room":room});
    if let Some(p) = password {
        frame["password"] = json!(p);
    }
    ws.send_json(frame).await;
    match ws
        .recv_until(|m| matches!(m, ServerMsg::Joined { .. } | ServerMsg::Error { .. }))
        .await
    {
        ServerMsg::Joined { .. } => None,
        ServerMsg::Error { code, .. } => Some(code),
        other => panic!("{other:?}"),
    }
}

async fn listed(app: &TestApp, who: &Session) -> Vec<String> {
    let list: serde_json::Value = app.get("/api/rooms", who).await.json().await.expect("list");
    list["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn invitations_passwords_and_caps_decide_who_joins() {
    let app = spawn_app().await;
    let names = ["alice", "dave", "erin", "frank", "gus"];
    let mut sessions = Vec::new();
    for name in names {
        sessions.push(app.login(name).await);
    }
    let [alice, dave, erin, frank, gus] = &sessions[..] else {
        unreachable!()
    };
    let mut a = app.connect(alice).await;
    let mut d = app.connect(dave).await;
    let mut e = app.connect(erin).await;
    let mut f = app.connect(frank).await;
    assert_eq!(join_with(&mut a, "vault", None).await, None);
    assert!(listed(&app, dave).await.contains(&"vault".to_owned()));

    // Invite-only: not listed, and nobody joins uninvited.
    let res = call(
        &app,
        Method::PUT,
        "/api/rooms/vault/settings",
        alice,
        Some(json!({"private":true})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!listed(&app, dave).await.contains(&"vault".to_owned()));
    assert_eq!(
        join_with(&mut d, "vault", None).await,
        Some(ErrorCode::Forbidden)
    );
    let join = app.post("/api/rooms/vault/join", dave, json!({})).await;
    assert_eq!(
        code_of(join).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    // A member may not change the settings, nor invite.
    let res = call(
        &app,
        Method::POST,
        "/api/rooms/vault/invites",
        dave,
        Some(json!({"user":"dave"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // An invitation lets dave in, once; he hears of it on his socket.
    let res = call(
        &app,
        Method::POST,
        "/api/rooms/vault/invites",
        alice,
        Some(json!({"user":"dave"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    match d
        .recv_until(|m| matches!(m, ServerMsg::Notification { .. }))
        .await
    {
        ServerMsg::Notification {
            kind, room, from, ..
        } => {
            assert_eq!(kind, NotificationKind::Invite);
            assert_eq!(room.map(|r| r.to_string()).as_deref(), Some("vault"));
            assert_eq!(from.map(|f| f.to_string()).as_deref(), Some("alice"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(join_with(&mut d, "vault", None).await, None);

    // A password and a cap of 3: the password lets erin in, not a wrong
    // one; frank finds the room full.
    let res = call(
        &app,
        Method::PUT,
        "/api/rooms/vault/settings",
        alice,
        Some(json!({"private":true,"password":"열쇠 key","max_members":3})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let entry: serde_json::Value = res.json().await.expect("entry");
    assert_eq!(
        entry["event"],
        json!({"action":"settings","private":true,"password":true,"max_members":3})
    );
    assert_eq!(
        join_with(&mut e, "vault", None).await,
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(
        join_with(&mut e, "vault", Some("wrong")).await,
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(join_with(&mut e, "vault", Some("열쇠 key")).await, None);
    // Guessing waits: after five wrong passwords even the right one is
    // answered `rate_limited` with how long to wait.
    let mut g = app.connect(gus).await;
    for i in 0..5 {
        let guess = format!("guess {i}");
        assert_eq!(
            join_with(&mut g, "vault", Some(&guess)).await,
            Some(ErrorCode::Forbidden)
        );
    }
    g.send_json(json!({"type":"join","room":"vault","password":"열쇠 key"}))
        .await;
    match g
        .recv_until(|m| matches!(m, ServerMsg::Error { .. } | ServerMsg::Joined { .. }))
        .await
    {
        ServerMsg::Error {
            code, retry_after, ..
        } => {
            assert_eq!(code, ErrorCode::RateLimited);
            assert!(retry_after.is_some());
        }
        other => panic!("a guesser went on guessing: {other:?}"),
    }
    assert_eq!(
        join_with(&mut f, "vault", Some("열쇠 key")).await,
        Some(ErrorCode::RoomFull)
    );
    let join = app
        .post(
            "/api/rooms/vault/join",
            frank,
            json!({"password":"열쇠 key"}),
        )
        .await;
    assert_eq!(
        code_of(join).await,
        (StatusCode::FORBIDDEN, "room_full".into())
    );
    // The owner passes the cap; nobody's password shows anywhere.
    let history = app
        .get("/api/rooms/vault/messages", alice)
        .await
        .text()
        .await
        .expect("page");
    assert!(
        !history.contains("열쇠") && !history.contains("argon2"),
        "{history}"
    );
    let settings = call(&app, Method::GET, "/api/rooms/vault/settings", alice, None).await;
    let settings: serde_json::Value = settings.json().await.expect("settings");
    assert_eq!(
        (
            settings["private"].clone(),
            settings["password"].clone(),
            settings["max_members"].clone()
        ),
        (json!(true), json!(true), json!(3))
    );

    // Settings without `password` keep it: listed again, no cap, still
    // locked ...
    let open = json!({"type":"moderate","room":"vault","action":"settings","private":false});
    let entry = a.ask(open).await.expect("settings");
    assert!(matches!(
        entry.event,
        Some(RoomEvent::Settings {
            private: false,
            password: true,
            max_members: None
        })
    ));
    assert_eq!(
        join_with(&mut f, "vault", None).await,
        Some(ErrorCode::Forbidden)
    );
    // ... and `null` removes it, over the WebSocket.
    let open = json!({"type":"moderate","room":"vault","action":"settings","private":false,"password":null});
    let entry = a.ask(open).await.expect("settings");
    assert!(matches!(
        entry.event,
        Some(RoomEvent::Settings {
            private: false,
            password: false,
            max_members: None
        })
    ));
    // The bot way: HTTP join with a body-less POST.
    let join = app.post("/api/rooms/vault/join", frank, json!({})).await;
    assert_eq!(join.status(), StatusCode::OK);
    assert!(listed(&app, frank).await.contains(&"vault".to_owned()));
}
