//! Deleting an account: only with its password; it leaves every room,
//! every session ends and its sockets close at once; the name stays
//! reserved; its messages show as from `deleted-user`; nobody can DM it.

use confab_shared::{PresenceEvent, ServerMsg, DELETED_USER};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use confab_testkit::*;

const PW: &str = "a long passphrase";

async fn delete_account(app: &TestApp, session: &Session, password: &str) -> StatusCode {
    http()
        .delete(app.url("/api/account"))
        .bearer_auth(&session.token)
        .json(&json!({ "password": password }))
        .send()
        .await
        .expect("DELETE /api/account")
        .status()
}

async fn member_names(app: &TestApp, as_who: &Session) -> Vec<String> {
    let page: Value = app
        .get("/api/rooms/lobby/members", as_who)
        .await
        .json()
        .await
        .expect("members");
    page["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["name"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_deleted_account_is_gone_everywhere_and_its_name_stays_reserved() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let claim = json!({ "name": "alice", "password": PW });
    assert_eq!(app.post("/api/account", &alice, claim).await.status(), 200);
    let bob = app.login("bob").await;
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let seq = a.say("lobby", "goodbye, all", "g1").await;
    assert!(member_names(&app, &bob).await.contains(&"alice".to_owned()));

    // The wrong password changes nothing; a guest has none to give.
    assert_eq!(
        delete_account(&app, &alice, "not the password").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get("/api/session", &alice).await.status(), 200);
    assert_eq!(
        delete_account(&app, &bob, "whatever it is").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get("/api/session", &bob).await.status(), 200);

    assert_eq!(
        delete_account(&app, &alice, PW).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(a.closed().await, Some(CloseCode::Policy));
    assert_eq!(app.get("/api/session", &alice).await.status(), 401);
    // Bob saw her leave; she is no member any more.
    b.recv_until(|m| match m {
        ServerMsg::Presence {
            user, users, event, ..
        } => {
            *event == PresenceEvent::Left
                && (user.as_str() == "alice" || users.iter().any(|u| u.as_str() == "alice"))
        }
        _ => false,
    })
    .await;
    assert!(!member_names(&app, &bob).await.contains(&"alice".to_owned()));

    // Nobody logs in as her, nor takes the name, nor DMs her.
    let login = json!({ "name": "alice", "password": PW });
    let res = http()
        .post(app.url("/api/login"))
        .json(&login)
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 401);
    let res = http()
        .post(app.url("/api/session"))
        .json(&json!({ "name": "Alice" }))
        .send()
        .await
        .expect("session");
    assert_eq!(res.status(), 409);
    let dm = app
        .post("/api/dm/alice/messages", &bob, json!({ "text": "hello?" }))
        .await;
    assert_eq!(dm.status(), 404);

    // Her message stays, from the deleted user.
    let history: Value = app
        .get("/api/rooms/lobby/messages", &bob)
        .await
        .json()
        .await
        .expect("history");
    let message = history["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["seq"] == json!(seq))
        .cloned()
        .expect("her message");
    assert_eq!(
        (message["from"].as_str(), message["text"].as_str()),
        (Some(DELETED_USER), Some("goodbye, all"))
    );
    // And nobody can call themselves that.
    let res = http()
        .post(app.url("/api/session"))
        .json(&json!({ "name": DELETED_USER }))
        .send()
        .await
        .expect("session");
    assert_eq!(res.status(), 409);
}
