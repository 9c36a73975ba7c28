//! What every request handler can reach.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::configuration::Settings;
use crate::hub::HubHandle;
use crate::metrics::Metrics;
use crate::store::Store;

pub struct AppState {
    pub store: Arc<dyn Store>,
    pub hub: HubHandle,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    /// One permit per open WebSocket or SSE stream (`max_connections`).
    pub connections: Arc<Semaphore>,
}
