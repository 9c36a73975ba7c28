//! Room moderation against the real server, over the WebSocket and HTTP:
//! owners appoint moderators; moderators kick, ban, unban, mute, delete
//! anyone's message and set the topic; server admins do it everywhere;
//! anyone without the role gets `forbidden` and nothing changes; every
//! action is a structured, gap-free entry of the room's log.

use confab_shared::moderation::RoomEvent;
use confab_shared::{EntryKind, ErrorCode, Message, PresenceEvent, ServerMsg};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use confab_testkit::*;

pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    who: &Session,
    body: Option<Value>,
) -> reqwest::Response {
    let req = http()
        .request(method, app.url(path))
        .bearer_auth(&who.token);
    let req = match body {
        Some(body) => req.json(&body),
        None => req,
    };
    req.send().await.expect("request")
}

/// The error code of a refused HTTP call.
pub async fn code_of(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    let body: Value = res.json().await.expect("error body");
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

pub fn moderate(room: &str, action: Value) -> Value {
    let mut frame = action;
    frame["type"] = json!("moderate");
    frame["room"] = json!(room);
    frame
}

/// Waits for the next `moderation` entry of `room` on `ws`.
async fn next_entry(ws: &mut Ws, room: &str) -> Message {
    match ws
        .recv_until(|m| {
            matches!(m, ServerMsg::Message { message }
                if message.room.to_string() == room && message.kind == EntryKind::Moderation)
        })
        .await
    {
        ServerMsg::Message { message } => message,
        other => panic!("not a message: {other:?}"),
    }
}

/// Waits until `ws` hears that `who` left `room`.
pub async fn hears_left(ws: &mut Ws, room: &str, who: &str) {
    ws.recv_until(|m| {
        matches!(m, ServerMsg::Presence { room: r, user, event: PresenceEvent::Left, .. }
            if r.to_string() == room && user.as_str() == who)
    })
    .await;
}

fn seqs_are_gap_free(page: &[Message]) {
    for pair in page.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq + 1, "gap-free: {page:?}");
    }
}

#[tokio::test]
async fn moderators_act_and_everyone_else_is_forbidden_with_nothing_changed() {
    let app = spawn_app_with(|s| s.send_rate = 0).await;
    let (alice, bob, carol) = (
        app.login("alice").await,
        app.login("bob").await,
        app.login("carol").await,
    );
    let (mut a, mut b, mut c) = (
        app.connect(&alice).await,
        app.connect(&bob).await,
        app.connect(&carol).await,
    );
    // bob also uses a second device: a session of his own account.
    let claim = json!({"name":"bob","password":"correct horse battery"});
    assert_eq!(
        app.post("/api/account", &bob, claim.clone()).await.status(),
        200
    );
    let res = http()
        .post(app.url("/api/login"))
        .json(&claim)
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200);
    let token = res.json::<Value>().await.expect("session")["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let phone = Session {
        token,
        name: "bob".into(),
    };
    let mut b2 = app.connect(&phone).await;
    // alice creates the room, so she owns it.
    match a.join("club", None).await {
        ServerMsg::Joined { role, .. } => assert_eq!(role, confab_shared::RoomRole::Owner),
        other => panic!("alice could not join: {other:?}"),
    }
    for ws in [&mut b, &mut c] {
        assert!(matches!(
            ws.join("club", None).await,
            ServerMsg::Joined { .. }
        ));
    }
    let bobs = b.say("club", "hi from bob", "b1").await;

    // carol is a plain member: every moderation is refused, nothing changes.
    let kick = moderate("club", json!({"action":"kick","user":"bob"}));
    assert_eq!(
        c.ask(kick.clone()).await.err().map(|r| r.code),
        Some(ErrorCode::Forbidden)
    );
    for (method, path, body) in [
        (
            Method::POST,
            "/api/rooms/club/kick",
            Some(json!({"user":"bob"})),
        ),
        (
            Method::POST,
            "/api/rooms/club/ban",
            Some(json!({"user":"bob"})),
        ),
        (
            Method::POST,
            "/api/rooms/club/mute",
            Some(json!({"user":"bob","seconds":60})),
        ),
        (
            Method::PUT,
            "/api/rooms/club/topic",
            Some(json!({"topic":"mine now"})),
        ),
        (Method::PUT, "/api/rooms/club/moderators/carol", None),
        (
            Method::PUT,
            "/api/rooms/club/settings",
            Some(json!({"private":true})),
        ),
        (
            Method::POST,
            "/api/rooms/club/invites",
            Some(json!({"user":"alice"})),
        ),
        (Method::GET, "/api/rooms/club/settings", None),
    ] {
        let res = call(&app, method.clone(), path, &carol, body).await;
        assert_eq!(
            code_of(res).await,
            (StatusCode::FORBIDDEN, "forbidden".into()),
            "{method} {path}"
        );
    }
    let delete = json!({"type":"delete","room":"club","seq":bobs});
    assert_eq!(
        c.ask(delete.clone()).await.err().map(|r| r.code),
        Some(ErrorCode::Forbidden)
    );
    let page = app.history("club", &alice).await;
    assert_eq!(page.len(), 1, "nothing was logged: {page:?}");
    assert!(!page[0].deleted);

    // alice appoints carol; the appointment is an entry of the log.
    let res = call(
        &app,
        Method::PUT,
        "/api/rooms/club/moderators/carol",
        &alice,
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let appointed: Message = res.json().await.expect("entry");
    assert_eq!(appointed.kind, EntryKind::Moderation);
    assert_eq!(appointed.from.as_str(), "alice");
    assert!(
        matches!(&appointed.event, Some(RoomEvent::Moderator { user, appoint: true }) if user.as_str() == "carol")
    );
    assert_eq!(
        next_entry(&mut b, "club").await,
        appointed,
        "members see it"
    );

    // A moderator deletes anyone's message, but cannot touch the owner
    // nor appoint anyone.
    let deleted = c.ask(delete).await.expect("carol deletes bob's message");
    assert_eq!(
        (deleted.kind, deleted.target),
        (EntryKind::Delete, Some(bobs))
    );
    let page = app.history("club", &bob).await;
    assert!(
        page.iter()
            .find(|m| m.seq == bobs)
            .expect("tombstone")
            .deleted
    );
    let kick_alice = moderate("club", json!({"action":"kick","user":"alice"}));
    assert_eq!(
        c.ask(kick_alice).await.err().map(|r| r.code),
        Some(ErrorCode::Forbidden)
    );
    let appoint = moderate(
        "club",
        json!({"action":"moderator","user":"bob","appoint":true}),
    );
    assert_eq!(
        c.ask(appoint).await.err().map(|r| r.code),
        Some(ErrorCode::Forbidden)
    );
    let unknown = moderate("club", json!({"action":"kick","user":"nobody"}));
    assert_eq!(
        c.ask(unknown).await.err().map(|r| r.code),
        Some(ErrorCode::UnknownUser)
    );

    // Kick: bob's socket gets the entry, then leaves the room at once; he
    // may come back.
    let kicked = c
        .ask(moderate(
            "club",
            json!({"action":"kick","user":"bob","reason":"도배"}),
        ))
        .await
        .expect("kick");
    assert!(
        matches!(&kicked.event, Some(RoomEvent::Kick { user, reason }) if user.as_str() == "bob" && reason.as_str() == "도배")
    );
    assert_eq!(next_entry(&mut b, "club").await, kicked);
    hears_left(&mut b, "club", "bob").await;
    hears_left(&mut a, "club", "bob").await;
    // His other device leaves the room too, at once.
    assert_eq!(next_entry(&mut b2, "club").await, appointed);
    assert_eq!(next_entry(&mut b2, "club").await, kicked);
    hears_left(&mut b2, "club", "bob").await;
    let send = json!({"type":"send","room":"club","text":"from my phone","client_id":"p1"});
    assert_eq!(
        b2.ask(send).await.err().map(|r| r.code),
        Some(ErrorCode::NotMember)
    );
    let send = json!({"type":"send","room":"club","text":"still here?","client_id":"b2"});
    assert_eq!(
        b.ask(send).await.err().map(|r| r.code),
        Some(ErrorCode::NotMember)
    );
    let again = c
        .ask(moderate("club", json!({"action":"kick","user":"bob"})))
        .await;
    assert_eq!(
        again.err().map(|r| r.code),
        Some(ErrorCode::NotFound),
        "not a member any more"
    );
    assert!(
        matches!(b.join("club", None).await, ServerMsg::Joined { .. }),
        "a kick is no ban"
    );

    // Ban over HTTP: out at once, and no join, read or post until unbanned.
    let res = call(
        &app,
        Method::POST,
        "/api/rooms/club/ban",
        &carol,
        Some(json!({"user":"bob"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    hears_left(&mut b, "club", "bob").await;
    match b.join("club", None).await {
        ServerMsg::Error { code, .. } => assert_eq!(code, ErrorCode::Forbidden),
        other => panic!("a banned user joined: {other:?}"),
    }
    let read = app.get("/api/rooms/club/messages", &bob).await;
    assert_eq!(
        code_of(read).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    let post = app
        .post(
            "/api/rooms/club/messages",
            &bob,
            json!({"text":"let me in"}),
        )
        .await;
    assert_eq!(
        code_of(post).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    let join = app.post("/api/rooms/club/join", &bob, json!({})).await;
    assert_eq!(
        code_of(join).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    let res = call(
        &app,
        Method::POST,
        "/api/rooms/club/unban",
        &carol,
        Some(json!({"user":"bob"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = call(
        &app,
        Method::POST,
        "/api/rooms/club/unban",
        &carol,
        Some(json!({"user":"bob"})),
    )
    .await;
    assert_eq!(
        code_of(res).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    assert!(matches!(
        b.join("club", None).await,
        ServerMsg::Joined { .. }
    ));

    // Mute: sends refused with `muted` and how long, over both transports,
    // also after leaving and joining again; 0 seconds lifts it.
    let muted = c
        .ask(moderate(
            "club",
            json!({"action":"mute","user":"bob","seconds":600}),
        ))
        .await
        .expect("mute");
    assert!(matches!(
        muted.event,
        Some(RoomEvent::Mute { seconds: 600, .. })
    ));
    let send = json!({"type":"send","room":"club","text":"shh","client_id":"b3"});
    let refused = b.ask(send.clone()).await.expect_err("muted");
    assert_eq!(refused.code, ErrorCode::Muted);
    assert!(
        matches!(refused.retry_after, Some(s) if (590..=600).contains(&s)),
        "{refused:?}"
    );
    let post = app
        .post("/api/rooms/club/messages", &bob, json!({"text":"shh"}))
        .await;
    let retry: u64 = post
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((590..=600).contains(&retry));
    assert_eq!(code_of(post).await, (StatusCode::FORBIDDEN, "muted".into()));
    b.send_json(json!({"type":"leave","room":"club"})).await;
    b.recv_until(|m| matches!(m, ServerMsg::Left { .. })).await;
    assert!(matches!(
        b.join("club", None).await,
        ServerMsg::Joined { .. }
    ));
    assert_eq!(
        b.ask(send.clone()).await.err().map(|r| r.code),
        Some(ErrorCode::Muted),
        "a rejoin keeps the mute"
    );
    c.ask(moderate(
        "club",
        json!({"action":"mute","user":"bob","seconds":0}),
    ))
    .await
    .expect("unmute");
    b.ask(send).await.expect("bob speaks again");

    // Topic: in the log and in every later `joined`.
    let topic = c
        .ask(moderate(
            "club",
            json!({"action":"topic","topic":"러스트 이야기"}),
        ))
        .await
        .expect("topic");
    assert!(
        matches!(&topic.event, Some(RoomEvent::Topic { topic }) if topic.as_str() == "러스트 이야기")
    );
    match a.join("club", None).await {
        ServerMsg::Joined { topic, .. } => assert_eq!(topic, "러스트 이야기"),
        other => panic!("{other:?}"),
    }

    // The log: every entry took the next seq; no moderation counts as unread.
    let page = app.history("club", &alice).await;
    seqs_are_gap_free(&page);
    let kinds: Vec<EntryKind> = page.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == EntryKind::Moderation)
            .count(),
        7,
        "{kinds:?}"
    );
    let settings: Value = call(&app, Method::GET, "/api/rooms/club/settings", &carol, None)
        .await
        .json()
        .await
        .expect("settings");
    assert_eq!(settings["role"], "moderator");
    assert_eq!(settings["owner"], "alice");
    assert_eq!(settings["moderators"], json!(["carol"]));
    assert_eq!(settings["topic"], "러스트 이야기");
}

#[tokio::test]
async fn moderations_count_against_the_send_allowance() {
    let app = spawn_app_with(|s| {
        s.send_rate = 1;
        s.send_burst = 2;
    })
    .await;
    let alice = app.login("alice").await;
    let mut a = app.connect(&alice).await;
    assert!(matches!(
        a.join("den", None).await,
        ServerMsg::Joined { .. }
    ));
    for topic in ["one", "two"] {
        a.ask(moderate("den", json!({"action":"topic","topic":topic})))
            .await
            .expect("within the burst");
    }
    let third = a
        .ask(moderate("den", json!({"action":"topic","topic":"three"})))
        .await
        .expect_err("over the allowance");
    assert_eq!(third.code, ErrorCode::RateLimited);
    assert!(third.retry_after.is_some());
    let page = app.history("den", &alice).await;
    assert_eq!(page.len(), 2, "nothing over the allowance was logged");
}
