//! Accounts: a name claimed with a password logs in from several devices;
//! a guest can never take it; a wrong name and a wrong password look the
//! same; a password change and "log out everywhere" end the other devices'
//! sessions and close their sockets at once; the list of devices; failed
//! logins wait, with `Retry-After`, and the right password works after.

use std::time::Duration;

use confab_shared::{DeviceList, SessionReply, User};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use confab_testkit::*;

const PW: &str = "비밀번호 correct horse";

/// `POST path` with a JSON body, as `session` if given, with a user agent.
async fn post(
    app: &TestApp,
    path: &str,
    session: Option<&Session>,
    agent: &str,
    body: Value,
) -> reqwest::Response {
    let mut request = http()
        .post(app.url(path))
        .header("user-agent", agent)
        .json(&body);
    if let Some(session) = session {
        request = request.bearer_auth(&session.token);
    }
    request.send().await.expect("request")
}

async fn session_of(res: reqwest::Response, name: &str) -> (Session, User) {
    assert_eq!(res.status(), StatusCode::OK);
    let reply: SessionReply = res.json().await.expect("session reply");
    let session = Session {
        token: reply.token,
        name: name.to_owned(),
    };
    (session, reply.user)
}

async fn login(app: &TestApp, name: &str, password: &str, agent: &str) -> reqwest::Response {
    let body = json!({ "name": name, "password": password });
    post(app, "/api/login", None, agent, body).await
}

/// Status and JSON body.
async fn answer(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn whoami(app: &TestApp, session: &Session) -> StatusCode {
    app.get("/api/session", session).await.status()
}

async fn devices(app: &TestApp, session: &Session) -> DeviceList {
    let res = app.get("/api/sessions", session).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("device list")
}

async fn delete(app: &TestApp, path: &str, session: &Session) -> StatusCode {
    http()
        .delete(app.url(path))
        .bearer_auth(&session.token)
        .send()
        .await
        .expect("DELETE")
        .status()
}

/// Alice as a guest who then claims her name; her session.
async fn claimed_alice(app: &TestApp) -> Session {
    let alice = app.login("alice").await;
    let body = json!({ "name": "alice", "password": PW });
    let (again, _) = session_of(
        post(app, "/api/account", Some(&alice), "laptop", body).await,
        "alice",
    )
    .await;
    assert_eq!(again.token, alice.token, "claiming keeps the session");
    alice
}

#[tokio::test]
async fn a_claimed_name_logs_in_from_another_device_as_the_same_user() {
    let app = spawn_app().await;
    let alice = claimed_alice(&app).await;
    let me: User = app
        .get("/api/session", &alice)
        .await
        .json()
        .await
        .expect("user");

    // Any spelling of the name, from a device without a session.
    let (phone, user) = session_of(login(&app, "ALICE", PW, "phone").await, "alice").await;
    assert_eq!(user, me);
    assert_ne!(phone.token, alice.token);
    assert_eq!(whoami(&app, &alice).await, StatusCode::OK);

    // Both devices chat as alice, and see each other's messages.
    let mut laptop_ws = app.connect(&alice).await;
    let mut phone_ws = app.connect(&phone).await;
    let seq = phone_ws.say("lobby", "from my phone", "p1").await;
    let got = laptop_ws
        .recv_until(|m| matches!(m, confab_shared::ServerMsg::Message { .. }))
        .await;
    let confab_shared::ServerMsg::Message { message } = got else {
        panic!("not a message: {got:?}")
    };
    assert_eq!((message.seq, &message.from), (seq, &me.name));
}

#[tokio::test]
async fn a_guest_can_never_take_a_claimed_name() {
    let app = spawn_app().await;
    let _alice = claimed_alice(&app).await;
    for path in ["/api/session", "/api/account"] {
        let body = json!({ "name": "Alice", "password": "another password" });
        let (status, body) = answer(post(&app, path, None, "x", body).await).await;
        assert_eq!(status, StatusCode::CONFLICT, "{path}: {body}");
        assert_eq!(body["code"], "name_taken");
    }
    // Claiming it again from her own session is refused too: that is a
    // password change, which needs the old one.
    let (other, _) = session_of(login(&app, "alice", PW, "x").await, "alice").await;
    let body = json!({ "name": "alice", "password": "a new password" });
    let (status, _) = answer(post(&app, "/api/account", Some(&other), "x", body).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(login(&app, "alice", PW, "x").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_name_and_a_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    let _alice = claimed_alice(&app).await;
    let _guest = app.login("gus").await;
    let wrong_password = answer(login(&app, "alice", "not the password", "x").await).await;
    let unknown = answer(login(&app, "nobody", PW, "x").await).await;
    let guest = answer(login(&app, "gus", PW, "x").await).await;
    let unparsable = answer(login(&app, "", PW, "x").await).await;
    assert_eq!(wrong_password.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.1["code"], "unauthorized");
    for other in [&unknown, &guest, &unparsable] {
        assert_eq!(other.0, wrong_password.0);
        assert_eq!(other.1["code"], wrong_password.1["code"]);
        assert_eq!(other.1["message"], wrong_password.1["message"]);
    }
}

#[tokio::test]
async fn an_account_can_be_created_directly_and_bad_passwords_create_nothing() {
    let app = spawn_app().await;
    for bad in ["short", &"x".repeat(1025)] {
        let body = json!({ "name": "carol", "password": bad });
        let (status, body) = answer(post(&app, "/api/account", None, "x", body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["code"], "invalid");
    }
    // Nothing was created: the name is free, and nobody logs in with it.
    assert_eq!(
        login(&app, "carol", "short", "x").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Eight Hangul syllables are eight characters.
    let body = json!({ "name": "carol", "password": "비밀번호비밀번호" });
    let (carol, user) =
        session_of(post(&app, "/api/account", None, "x", body).await, "carol").await;
    assert_eq!(whoami(&app, &carol).await, StatusCode::OK);
    let (_, again) = session_of(login(&app, "carol", "비밀번호비밀번호", "x").await, "carol").await;
    assert_eq!(again, user);
}

#[tokio::test]
async fn changing_the_password_ends_the_other_devices_at_once() {
    let app = spawn_app().await;
    let alice = claimed_alice(&app).await;
    let (phone, _) = session_of(login(&app, "alice", PW, "phone").await, "alice").await;
    let mut phone_ws = app.connect(&phone).await;

    // The wrong old password changes nothing.
    let wrong = json!({ "old_password": "not it at all", "new_password": "brand new pw" });
    let (status, _) =
        answer(post(&app, "/api/account/password", Some(&alice), "x", wrong).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(whoami(&app, &phone).await, StatusCode::OK);
    // A new password outside the policy neither.
    let short = json!({ "old_password": PW, "new_password": "short" });
    let (status, _) =
        answer(post(&app, "/api/account/password", Some(&alice), "x", short).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(whoami(&app, &phone).await, StatusCode::OK);

    let change = json!({ "old_password": PW, "new_password": "brand new pw" });
    let res = post(&app, "/api/account/password", Some(&alice), "x", change).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(phone_ws.closed().await, Some(CloseCode::Policy));
    assert_eq!(whoami(&app, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        whoami(&app, &alice).await,
        StatusCode::OK,
        "this device stays"
    );
    assert_eq!(
        login(&app, "alice", PW, "x").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "alice", "brand new pw", "x").await.status(),
        StatusCode::OK
    );

    // A guest has no password to change.
    let gus = app.login("gus").await;
    let change = json!({ "old_password": "whatever1", "new_password": "whatever2" });
    let (status, body) =
        answer(post(&app, "/api/account/password", Some(&gus), "x", change).await).await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::FORBIDDEN, &json!("forbidden"))
    );
}

#[tokio::test]
async fn the_devices_page_lists_sessions_and_ends_one_or_all_others() {
    let app = spawn_app().await;
    let alice = claimed_alice(&app).await;
    let (phone, _) = session_of(login(&app, "alice", PW, "phone/1.0").await, "alice").await;
    let (tablet, _) = session_of(login(&app, "alice", PW, "tablet/2.0").await, "alice").await;
    let mut phone_ws = app.connect(&phone).await;
    let mut tablet_ws = app.connect(&tablet).await;

    let list = devices(&app, &alice).await.sessions;
    assert_eq!(list.len(), 3, "{list:?}");
    let current: Vec<_> = list.iter().filter(|s| s.current).collect();
    assert_eq!(current.len(), 1);
    let agent_of = |agent: &str| list.iter().find(|s| s.user_agent.as_deref() == Some(agent));
    let phone_id = agent_of("phone/1.0").expect("phone listed").id.clone();
    assert!(agent_of("tablet/2.0").is_some());
    assert!(list
        .iter()
        .all(|s| s.address.as_deref() == Some("127.0.0.1")));
    assert!(list
        .iter()
        .all(|s| !s.id.is_empty() && !alice.token.contains(&s.id)));

    // Someone else cannot end it, nor tell it exists.
    let bob = app.login("bob").await;
    assert_eq!(
        delete(&app, &format!("/api/sessions/{phone_id}"), &bob).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete(&app, "/api/sessions/not-an-id", &alice).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(whoami(&app, &phone).await, StatusCode::OK);

    assert_eq!(
        delete(&app, &format!("/api/sessions/{phone_id}"), &alice).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(phone_ws.closed().await, Some(CloseCode::Policy));
    assert_eq!(whoami(&app, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(devices(&app, &alice).await.sessions.len(), 2);

    // Log out everywhere else: the tablet goes, this device stays.
    assert_eq!(
        delete(&app, "/api/sessions", &alice).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(tablet_ws.closed().await, Some(CloseCode::Policy));
    assert_eq!(whoami(&app, &tablet).await, StatusCode::UNAUTHORIZED);
    assert_eq!(whoami(&app, &alice).await, StatusCode::OK);
    let left = devices(&app, &alice).await.sessions;
    assert_eq!((left.len(), left[0].current), (1, true));
    assert_eq!(whoami(&app, &bob).await, StatusCode::OK, "nobody else's");
}

#[tokio::test]
async fn failed_logins_wait_longer_each_time_then_the_right_password_works() {
    let app = spawn_app().await;
    let _alice = claimed_alice(&app).await;
    for _ in 0..5 {
        assert_eq!(
            login(&app, "alice", "guess guess", "x").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Now even the right password waits, and is told how long.
    let res = login(&app, "alice", PW, "x").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = |res: &reqwest::Response| -> u64 {
        res.headers()["retry-after"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds")
    };
    let first = retry_after(&res);
    assert_eq!(answer(res).await.1["code"], "rate_limited");
    assert!((1..=2).contains(&first), "{first}");
    // Another name from this address is not held up by alice's.
    assert_eq!(
        login(&app, "bob", "guess guess", "x").await.status(),
        StatusCode::UNAUTHORIZED
    );

    // One more failure after the wait doubles it.
    tokio::time::sleep(Duration::from_secs(first)).await;
    assert_eq!(
        login(&app, "alice", "guess again", "x").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = login(&app, "alice", PW, "x").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let second = retry_after(&res);
    assert!(second > first, "{second} after {first}");

    tokio::time::sleep(Duration::from_secs(second)).await;
    assert_eq!(login(&app, "alice", PW, "x").await.status(), StatusCode::OK);
    // A success starts the name over: a slip right after is a plain 401.
    assert_eq!(
        login(&app, "alice", "one slip here", "x").await.status(),
        StatusCode::UNAUTHORIZED
    );
}
