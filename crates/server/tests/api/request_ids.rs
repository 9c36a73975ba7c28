//! Request ids: every response has `X-Request-Id`, every error body names
//! it, and an internal error (a real store failure: a table gone from under
//! the running server) shows the client only "internal error" and the id,
//! while the log has the cause under that id.

use std::time::Duration;

use confab_shared::{ErrorBody, ErrorCode};
use sqlx::Connection;
use tokio::time::{sleep, Instant};

use confab_testkit::*;

use crate::senders::{start_server_on, test_database};

fn request_id(res: &reqwest::Response) -> String {
    let id = res
        .headers()
        .get("x-request-id")
        .unwrap_or_else(|| panic!("no X-Request-Id on {}", res.url()))
        .to_str()
        .expect("ascii id")
        .to_owned();
    assert_eq!(id.len(), 32, "a UUID in hex: {id}");
    id
}

/// Takes the `messages` table away from the running server.
async fn drop_messages_table(server: &ServerProcess, database_url: Option<&str>) {
    let sql = "ALTER TABLE messages RENAME TO messages_gone";
    match database_url {
        Some(url) => {
            let mut db = sqlx::PgConnection::connect(url).await.expect("PostgreSQL");
            sqlx::query(sql).execute(&mut db).await.expect(sql);
        }
        None => {
            let url = format!("sqlite://{}", server.data_dir().join("confab.db").display());
            let mut db = sqlx::SqliteConnection::connect(&url).await.expect("SQLite");
            sqlx::query(sql).execute(&mut db).await.expect(sql);
        }
    }
}

#[tokio::test]
async fn an_internal_error_shows_its_request_id_and_logs_its_cause_under_it() {
    let database_url = test_database().await;
    let server = start_server_on(database_url.as_deref()).await;
    let alice = login(&http(), &server.url(""), "alice")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let history = server.url("/api/rooms/lobby/messages");

    // Successes and ordinary errors carry an id, each its own.
    let ok = http()
        .get(&history)
        .bearer_auth(&alice.token)
        .send()
        .await
        .expect("GET");
    assert_eq!(ok.status(), 200);
    let ok_id = request_id(&ok);
    let missing = http()
        .get(server.url("/api/nothing"))
        .send()
        .await
        .expect("GET");
    assert_eq!(missing.status(), 404);
    let missing_id = request_id(&missing);
    assert_ne!(ok_id, missing_id);
    let body: ErrorBody = missing.json().await.expect("error body");
    assert_eq!(body.request_id.as_deref(), Some(missing_id.as_str()));

    drop_messages_table(&server, database_url.as_deref()).await;
    let res = http()
        .get(&history)
        .bearer_auth(&alice.token)
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), 500);
    let id = request_id(&res);
    let text = res.text().await.expect("body");
    let body: ErrorBody = serde_json::from_str(&text).expect("an error body");
    assert_eq!(body.code, ErrorCode::Internal);
    assert_eq!(
        body.message, "internal error",
        "no cause for the client: {text}"
    );
    assert_eq!(body.request_id.as_deref(), Some(id.as_str()));
    assert!(!text.contains("messages"), "the cause leaked: {text}");

    // The log names the cause under that id (it is written as it happens).
    let deadline = Instant::now() + WAIT;
    loop {
        let log = server.log();
        let line = log
            .lines()
            .find(|l| l.contains(&id) && l.contains("internal error"));
        if let Some(line) = line {
            assert!(line.contains("ERROR"), "{line}");
            let cause = line.contains("no such table") || line.contains("does not exist");
            assert!(cause, "no cause in: {line}");
            assert_eq!(
                log.lines().filter(|l| l.contains("internal error")).count(),
                1,
                "logged once"
            );
            break;
        }
        assert!(Instant::now() < deadline, "no log line with {id}:\n{log}");
        sleep(Duration::from_millis(20)).await;
    }
}
