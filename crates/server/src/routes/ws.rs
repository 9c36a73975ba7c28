//! `GET /ws`: the WebSocket upgrade. Everything is checked before upgrading:
//! a session (401), the page's `Origin` (403), the caps per user and per
//! address (429) and the node's connection limit (503).

use actix_web::{web, HttpRequest, HttpResponse};
use confab_shared::{Framing, MAX_FRAME_BYTES};
use serde::Deserialize;
use tracing::Instrument;

use super::{admit, open_connection};
use crate::auth::CurrentUser;
use crate::origin::check_request;
use crate::rate_limit::RateLimiter;
use crate::socket::{self, SocketContext};
use crate::state::AppState;

/// The query of `GET /ws`.
#[derive(Deserialize)]
pub struct WsParams {
    /// `lines`: several server frames may share a text frame.
    #[serde(default)]
    frames: Framing,
}

pub async fn upgrade(
    req: HttpRequest,
    params: web::Query<WsParams>,
    body: web::Payload,
    me: CurrentUser,
    state: web::Data<AppState>,
) -> actix_web::Result<HttpResponse> {
    let settings = &state.settings;
    // Every upgrade, whatever its credential: a browser always sends
    // `Origin` on one, so only a foreign page's upgrade is refused.
    check_request(&req, settings)?;
    // Before the upgrade: a refused client gets a plain JSON answer.
    let admission = admit(&req, &state, &me.user)?;
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream
        .max_frame_size(MAX_FRAME_BYTES)
        .aggregate_continuations()
        .max_continuation_size(MAX_FRAME_BYTES);
    let peer = crate::peer::PeerSocket::of(&req);
    let opened = open_connection(&state, &me, admission).await?;
    let ctx = SocketContext {
        conn: opened.conn,
        user: me.user,
        client: opened.client,
        app: state.clone(),
        outbox: opened.outbox,
        heartbeat: settings.heartbeat(),
        write_delay: settings.write_delay(),
        lines: params.frames == Framing::Lines,
        client_timeout: settings.client_timeout(),
        limiter: RateLimiter::new(settings.rate_limit, settings.rate_burst),
        peer,
        _admission: opened.admission,
    };
    // A child of the upgrade's `request` span: the socket's log lines carry
    // that request id too.
    let span = tracing::info_span!("ws", conn = ctx.conn, user = %ctx.user.name);
    let reader = socket::run(ctx, session, stream, opened.receiver).instrument(span);
    state.metrics.socket_reader_bytes.store(
        socket::future_bytes(&reader),
        std::sync::atomic::Ordering::Relaxed,
    );
    actix_web::rt::spawn(reader);
    Ok(response)
}
