//! `GET /ws`: the WebSocket upgrade. Everything is checked before upgrading:
//! a session (401), the page's `Origin` (403) and the connection limit (503).

use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use confab_shared::MAX_FRAME_BYTES;

use crate::auth::CurrentUser;
use crate::client_addr::client_addr;
use crate::error::AppError;
use crate::origin::origin_allowed;
use crate::outbox::outbox;
use crate::rate_limit::RateLimiter;
use crate::socket::{self, SocketContext};
use crate::state::AppState;

pub async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    me: CurrentUser,
    state: web::Data<AppState>,
) -> actix_web::Result<HttpResponse> {
    let settings = &state.settings;
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    if !origin_allowed(origin, host, &settings.allowed_origins) {
        tracing::warn!(user = %me.user.name, ?origin, "websocket from a foreign origin refused");
        return Err(
            AppError::Forbidden("this page's origin may not open a socket here".into()).into(),
        );
    }
    let permit = state
        .connections
        .clone()
        .try_acquire_owned()
        .map_err(|_| AppError::Unavailable("too many connections; try again soon".into()))?;

    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream
        .max_frame_size(MAX_FRAME_BYTES)
        .aggregate_continuations()
        .max_continuation_size(MAX_FRAME_BYTES);
    let (outbox, receiver) = outbox(settings.outbox_frames, settings.outbox_bytes);
    let conn = state.hub.next_conn_id();
    state
        .hub
        .connect(conn, me.user.clone(), outbox)
        .await
        .map_err(AppError::from)?;

    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let client = client_addr(req.peer_addr(), forwarded, &settings.trusted_proxies)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let ctx = SocketContext {
        conn,
        user: me.user,
        client,
        hub: state.hub.clone(),
        store: state.store.clone(),
        metrics: state.metrics.clone(),
        heartbeat: Duration::from_millis(settings.heartbeat_ms.max(10)),
        client_timeout: Duration::from_millis(settings.client_timeout_ms.max(10)),
        limiter: RateLimiter::new(settings.rate_limit, settings.rate_burst),
        _permit: permit,
    };
    actix_web::rt::spawn(socket::run(ctx, session, stream, receiver));
    Ok(response)
}
