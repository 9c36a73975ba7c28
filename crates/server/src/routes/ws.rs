//! `GET /ws`: the WebSocket upgrade. Everything is checked before upgrading:
//! a session (401), the page's `Origin` (403), the caps per user and per
//! address (429), the node's connection limit (503) and the handshake's
//! headers (400). This handler only answers 101 with an [`Accepted`]
//! attached; [`crate::upgrade`] then registers the connection ([`connect`]),
//! sends the 101 and runs the socket on the TCP stream.

use actix_web::{web, HttpMessage as _, HttpRequest, HttpResponse};
use confab_shared::Framing;
use serde::Deserialize;
use tracing::Instrument;

use super::{admit, open_connection, Admission};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::origin::check_request;
use crate::rate_limit::RateLimiter;
use crate::socket::{self, Frames, Session, SocketContext};
use crate::state::AppState;
use crate::upgrade::CanHandOver;

/// The query of `GET /ws`.
#[derive(Deserialize)]
pub struct WsParams {
    /// `lines`: several server frames may share a text frame.
    #[serde(default)]
    frames: Framing,
}

/// An upgrade the handler agreed to (in the 101's extensions).
pub(crate) struct Accepted {
    me: CurrentUser,
    admission: Admission,
    lines: bool,
    /// The upgrade request's span (it carries the request id): the
    /// socket's log lines are its children.
    span: tracing::Span,
}

pub async fn upgrade(
    req: HttpRequest,
    params: web::Query<WsParams>,
    me: CurrentUser,
    state: web::Data<AppState>,
) -> actix_web::Result<HttpResponse> {
    let settings = &state.settings;
    // Every upgrade, whatever its credential: a browser always sends
    // `Origin` on one, so only a foreign page's upgrade is refused.
    check_request(&req, settings)?;
    let mut handshake = actix_http::ws::handshake(req.head())
        .map_err(|e| AppError::Invalid(format!("not a WebSocket handshake: {e}")))?;
    // actix-http hands a connection over only for an upgrade without a
    // request body; with one (say `Transfer-Encoding: chunked`) it would
    // stay an HTTP exchange.
    if req.extensions().get::<CanHandOver>().is_none() {
        return Err(
            AppError::Invalid("a WebSocket upgrade cannot have a request body".into()).into(),
        );
    }
    // Before the upgrade: a refused client gets a plain JSON answer.
    let admission = admit(&req, &state, &me.user)?;
    let mut response = HttpResponse::from(handshake.finish()).map_into_boxed_body();
    response.extensions_mut().insert(Accepted {
        me,
        admission,
        lines: params.frames == Framing::Lines,
        span: tracing::Span::current(),
    });
    Ok(response)
}

/// A connection registered with the hub, waiting for its socket.
pub(crate) struct Connected {
    ctx: SocketContext,
    receiver: crate::outbox::OutboxReceiver,
    span: tracing::Span,
}

/// Registers an accepted upgrade with the hub (which queues its
/// `welcome`); an error is answered over HTTP instead of the 101.
pub(crate) async fn connect(
    state: web::Data<AppState>,
    accepted: Accepted,
) -> Result<Connected, AppError> {
    let Accepted {
        me,
        admission,
        lines,
        span,
    } = accepted;
    let opened = open_connection(&state, &me, admission)
        .instrument(span.clone())
        .await?;
    let settings = &state.settings;
    let ctx = SocketContext {
        conn: opened.conn,
        user: me.user,
        client: opened.client,
        outbox: opened.outbox,
        heartbeat: settings.heartbeat(),
        write_delay: settings.write_delay(),
        lines,
        client_timeout: settings.client_timeout(),
        limiter: RateLimiter::new(settings.rate_limit, settings.rate_burst),
        _admission: opened.admission,
        app: state,
    };
    Ok(Connected {
        ctx,
        receiver: opened.receiver,
        span,
    })
}

impl Connected {
    /// The hub forgets a connection whose 101 could not be sent.
    pub(crate) async fn abandon(self) {
        self.ctx.app.hub.disconnect(self.ctx.conn).await;
    }

    /// Runs the socket in a task of its own.
    pub(crate) fn run(self, session: Session, frames: Frames) {
        let Self {
            ctx,
            receiver,
            span,
        } = self;
        let metrics = ctx.app.metrics.clone();
        let span = tracing::info_span!(parent: &span, "ws", conn = ctx.conn, user = %ctx.user.name);
        let reader = socket::run(ctx, session, frames, receiver).instrument(span);
        metrics.socket_reader_bytes.store(
            socket::future_bytes(&reader),
            std::sync::atomic::Ordering::Relaxed,
        );
        actix_web::rt::spawn(reader);
    }
}
