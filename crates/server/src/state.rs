//! What every request handler can reach.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::chat::Chat;
use crate::configuration::Settings;
use crate::hub::HubHandle;
use crate::metrics::Metrics;
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
}
