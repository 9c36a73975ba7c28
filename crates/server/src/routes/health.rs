//! `/healthz` and `/metrics`.

use std::time::Instant;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::state::AppState;

/// 200 when the store answers, 503 otherwise.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let started = Instant::now();
    match state.store.ping().await {
        Ok(()) => {
            state.metrics.observe_store(started.elapsed());
            HttpResponse::Ok().json(json!({"status": "ok", "store": "ok"}))
        }
        Err(e) => {
            tracing::error!(error = %e, "health check: store unavailable");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "store": "error"}))
        }
    }
}

/// Prometheus text format.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
