//! What every request handler can reach.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::chat::Chat;
use crate::configuration::Settings;
use crate::hub::HubHandle;
use crate::limits::conns::ConnectionCaps;
use crate::limits::http::HttpLimits;
use crate::metrics::Metrics;
use crate::online::OnlineBoard;
use confab_engine::store::Store;

pub struct AppState {
    pub store: Arc<dyn Store>,
    pub hub: HubHandle,
    /// Joins, leaves, posts and typing, for every kind of session.
    pub chat: Chat,
    /// Whether the broker reaches the other nodes (for `/healthz`).
    pub broker: std::sync::Arc<dyn confab_engine::bus::Broker>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    /// One permit per open WebSocket or SSE stream (`max_connections`).
    pub connections: Arc<Semaphore>,
    /// Open connections per user and per address.
    pub conn_caps: ConnectionCaps,
    /// HTTP requests and new sessions per address.
    pub http_limits: HttpLimits,
    /// Failed logins per name and per address.
    pub logins: Arc<crate::limits::logins::LoginThrottle>,
    /// Online users per room, from the shared presence record.
    pub online: Arc<OnlineBoard>,
}
