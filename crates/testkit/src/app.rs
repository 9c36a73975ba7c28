//! The server in this process: [`spawn_app`] starts it on port 0 with a temp
//! data dir, [`TestApp`] talks to it with real clients.
//!
//! The store follows `CONFAB_TEST_STORE`: `sqlite` (the default) or
//! `postgres`, a fresh database on the server at `CONFAB_TEST_PG_URL` for each
//! app (see [`crate::postgres::fresh_database`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use confab_server::{Application, Settings};
use confab_shared::{Message, ServerMsg};
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::oneshot;

use crate::postgres::{fresh_database, test_pg_url};
use crate::{http, ws_request, Session, Ws, WAIT};

/// A running in-process server; [`TestApp::stop`] or dropping the runtime
/// ends it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub data_dir: Arc<TempDir>,
    pub settings: Settings,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server with the test defaults changed by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let mut settings = Settings {
        listen: "127.0.0.1:0".into(),
        data_dir: data_dir.path().to_owned(),
        database_url: test_database_url().await,
        // Uploads stay files in the data dir with either store, so the
        // suite's checks of that directory hold for both; the cluster tests
        // cover uploads kept in PostgreSQL.
        uploads_dir: Some(data_dir.path().join("uploads")),
        ..Settings::default()
    };
    tweak(&mut settings);
    start(settings, data_dir).await
}

/// The database of a new app after `CONFAB_TEST_STORE`: `None` (SQLite in
/// the data dir) or a fresh PostgreSQL database.
async fn test_database_url() -> Option<String> {
    match std::env::var("CONFAB_TEST_STORE").as_deref() {
        Err(_) | Ok("" | "sqlite") => None,
        Ok("postgres") => Some(fresh_database(&test_pg_url()).await),
        Ok(other) => panic!("CONFAB_TEST_STORE={other}: expected sqlite or postgres"),
    }
}

/// Starts a server with exactly these settings on an existing data directory.
pub async fn start(settings: Settings, data_dir: Arc<TempDir>) -> TestApp {
    let app = Application::build(settings.clone())
        .await
        .expect("server builds");
    let addr = app.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        app.run_until_stopped(async {
            let _ = rx.await;
        })
        .await
        .expect("server runs");
    });
    TestApp {
        addr,
        data_dir,
        settings,
        shutdown: Some(tx),
        task: Some(task),
    }
}

impl TestApp {
    /// `http://addr` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn ws_url(&self) -> String {
        self.ws_url_for(confab_shared::Framing::Single)
    }

    /// The WebSocket URL that asks for `framing`.
    pub fn ws_url_for(&self, framing: confab_shared::Framing) -> String {
        format!("ws://{}{}", self.addr, framing.ws_path())
    }

    /// Stops the server gracefully and waits until it has.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .expect("server stops in time")
                .expect("server task ends cleanly");
        }
    }

    /// Stops this server and starts a new one on the same data directory
    /// (and the same database).
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let mut settings = self.settings.clone();
        settings.listen = "127.0.0.1:0".into();
        start(settings, self.data_dir.clone()).await
    }

    /// Claims `name`; panics unless it works.
    pub async fn login(&self, name: &str) -> Session {
        crate::login(&http(), &self.url(""), name)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A WebSocket for `session`, after its `welcome`.
    pub async fn connect(&self, session: &Session) -> Ws {
        let mut ws = self.connect_raw(session).await;
        match ws.recv().await {
            ServerMsg::Welcome { .. } => ws,
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    /// A WebSocket for `session`, before reading anything.
    pub async fn connect_raw(&self, session: &Session) -> Ws {
        let request = ws_request(&self.ws_url(), Some(&session.token), None);
        let connecting = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request));
        let Ok(connected) = connecting.await else {
            panic!("{}: no ws handshake within {WAIT:?}", session.name)
        };
        let (stream, _) = connected.expect("ws connects");
        Ws {
            stream,
            name: session.name.clone(),
        }
    }

    /// An upgrade attempt's HTTP status (for the refusals).
    pub async fn ws_status(&self, token: Option<&str>, origin: Option<&str>) -> u16 {
        let request = ws_request(&self.ws_url(), token, origin);
        let attempt = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request));
        match attempt.await.expect("an upgrade answer in time") {
            Ok(_) => 101,
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
            Err(e) => panic!("unexpected ws error {e}"),
        }
    }

    pub async fn get(&self, path: &str, session: &Session) -> reqwest::Response {
        http()
            .get(self.url(path))
            .bearer_auth(&session.token)
            .send()
            .await
            .expect("GET")
    }

    /// The newest page of `room`'s log as `session` reads it over REST
    /// (`GET /api/rooms/{room}/messages`), oldest first.
    pub async fn history(&self, room: &str, session: &Session) -> Vec<Message> {
        let res = self
            .get(&format!("/api/rooms/{room}/messages"), session)
            .await;
        assert_eq!(res.status(), 200, "history of {room}");
        let page: Value = res.json().await.expect("history page");
        serde_json::from_value(page["messages"].clone()).expect("messages")
    }

    /// The texts of [`TestApp::history`].
    pub async fn texts(&self, room: &str, session: &Session) -> Vec<String> {
        let page = self.history(room, session).await;
        page.into_iter().map(|m| m.text).collect()
    }

    pub async fn post(&self, path: &str, session: &Session, body: Value) -> reqwest::Response {
        http()
            .post(self.url(path))
            .bearer_auth(&session.token)
            .json(&body)
            .send()
            .await
            .expect("POST")
    }
}
