//! `/healthz` and `/metrics`.

use std::time::Instant;

use actix_web::{web, HttpResponse};
use serde_json::json;

use confab_engine::bus::BrokerHealth;

use crate::state::AppState;

/// 503 while the store is unreachable (nothing can be acked). While only
/// the broker is down the node still serves its own clients, so the answer
/// is 200 with `"status": "degraded"` and the reason: a proxy must not take
/// the node out of rotation for that.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let started = Instant::now();
    let ping = tokio::time::timeout(std::time::Duration::from_secs(2), state.store.ping()).await;
    if let Err(why) = ping
        .map_err(|_| "timed out".to_owned())
        .and_then(|r| r.map_err(|e| e.to_string()))
    {
        tracing::error!(error = %why, "health check: store unavailable");
        return HttpResponse::ServiceUnavailable().json(json!({
            "status": "unavailable",
            "store": "error",
            "reason": format!("the store is unreachable: {why}"),
        }));
    }
    state.metrics.observe_store(started.elapsed());
    match state.broker.health() {
        BrokerHealth::Ok => {
            HttpResponse::Ok().json(json!({"status": "ok", "store": "ok", "broker": "ok"}))
        }
        BrokerHealth::Degraded(reason) => HttpResponse::Ok().json(json!({
            "status": "degraded",
            "store": "ok",
            "broker": "error",
            "reason": reason,
        })),
    }
}

/// Prometheus text format.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
