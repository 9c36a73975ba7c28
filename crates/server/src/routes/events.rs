//! `GET /api/events`: Server-Sent Events for the logged-in user.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use tokio::sync::mpsc;
use tracing::Instrument;

use super::{admit, open_connection};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::event_stream::{self, StreamContext, WIRE_QUEUE};
use crate::state::AppState;

pub async fn stream(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let settings = &state.settings;
    // EventSource sends the header; curl users may pass ?last_event_id=.
    let raw_last = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
                .ok()
                .and_then(|mut q| q.0.remove("last_event_id"))
        });
    let resume_after = match raw_last.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| {
            AppError::Invalid(format!(
                "Last-Event-ID must be an event id from this stream, not {raw:?}"
            ))
        })?),
    };
    let admission = admit(&req, &state, &me.user)?;
    let opened = open_connection(&state, &me, admission).await?;
    let ctx = StreamContext {
        conn: opened.conn,
        user: me.user,
        client: opened.client,
        hub: state.hub.clone(),
        _outbox: opened.outbox,
        store: state.store.clone(),
        metrics: state.metrics.clone(),
        heartbeat: settings.heartbeat(),
        resume_after,
        _admission: opened.admission,
    };
    let (wire_tx, wire_rx) = mpsc::channel(WIRE_QUEUE);
    // A child of the request's span: the stream's log lines carry its id.
    let span = tracing::info_span!("sse", conn = ctx.conn, user = %ctx.user.name);
    actix_web::rt::spawn(event_stream::run(ctx, opened.receiver, wire_tx).instrument(span));
    let body = futures_util::stream::unfold(wire_rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|bytes| (Ok::<_, actix_web::Error>(bytes), rx))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}
