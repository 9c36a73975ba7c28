//! HTTP against any Confab: the in-process [`TestApp`](crate::TestApp), a
//! [`ServerProcess`](crate::ServerProcess), a node of a cluster.

use std::time::Duration;

use confab_shared::SessionReply;
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
