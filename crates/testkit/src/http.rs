//! HTTP against any Confab: the in-process [`TestApp`](crate::TestApp), a
//! [`ServerProcess`](crate::ServerProcess), a node of a cluster.

use std::time::Duration;

use confab_shared::{Message, SessionReply};
use futures_util::StreamExt;

use crate::{Error, Result};

/// How long a test waits for an expected frame or answer before failing.
pub const WAIT: Duration = Duration::from_secs(10);

/// A reqwest client whose requests give up after [`WAIT`].
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(WAIT)
        .build()
        .expect("client")
}

/// A claimed name and its bearer token.
#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    pub name: String,
}

/// Claims `name` at the server under `base_url` (`http://host:port`).
pub async fn login(http: &reqwest::Client, base_url: &str, name: &str) -> Result<Session> {
    let what = format!("login {name}");
    let res = http
        .post(format!("{base_url}/api/session"))
        .json(&serde_json::json!({ "name": name }))
        .send()
        .await
        .map_err(|e| Error::context(&what, e))?;
    if res.status() != 200 {
        return Err(Error(format!("{what}: HTTP {}", res.status())));
    }
    let reply: SessionReply = res.json().await.map_err(|e| Error::context(&what, e))?;
    Ok(Session {
        token: reply.token,
        name: name.to_owned(),
    })
}

/// Logs every name in, `concurrency` at a time; sessions in the same order.
pub async fn login_all(
    http: &reqwest::Client,
    base_url: &str,
    names: &[String],
    concurrency: usize,
) -> Result<Vec<Session>> {
    let results: Vec<Result<Session>> = futures_util::stream::iter(names)
        .map(|name| login(http, base_url, name))
        .buffered(concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

/// Every stored message of `room` at the server under `base_url`, oldest
/// first, read a page at a time with `who`'s token.
pub async fn room_history(
    http: &reqwest::Client,
    base_url: &str,
    who: &Session,
    room: &str,
) -> Result<Vec<Message>> {
    let mut all: Vec<Message> = Vec::new();
    // Pages of 200: bounded by the number of messages the test posted.
    for _ in 0..10_000 {
        let after = all.last().map_or(0, |m| m.seq);
        let what = format!("history of {room} after {after}");
        let res = http
            .get(format!(
                "{base_url}/api/rooms/{room}/messages?after={after}&limit=200"
            ))
            .bearer_auth(&who.token)
            .send()
            .await
            .map_err(|e| Error::context(&what, e))?;
        if res.status() != 200 {
            return Err(Error(format!("{what}: HTTP {}", res.status())));
        }
        let body: serde_json::Value = res.json().await.map_err(|e| Error::context(&what, e))?;
        let page: Vec<Message> = serde_json::from_value(body["messages"].clone())
            .map_err(|e| Error::context(&what, e))?;
        let more = body["more"].as_bool().unwrap_or(false);
        let empty = page.is_empty();
        all.extend(page);
        if !more || empty {
            return Ok(all);
        }
    }
    Err(Error(format!("history of {room}: too many pages")))
}
