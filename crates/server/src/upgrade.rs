//! The HTTP server, put together from actix-web's parts so that a WebSocket
//! leaves actix-http once it is upgraded.
//!
//! actix-web's `HttpServer` keeps every upgraded connection inside its HTTP
//! dispatcher, with the dispatcher's 8 KiB read and 8 KiB write buffers and
//! a queue in front of them, for the socket's whole life: 13.6 KiB per idle
//! socket before Confab kept anything of its own. actix-http can instead
//! hand an upgrade request over with its connection (`upgrade` on its
//! service builder). Here that hand-over runs the request through the same
//! App as every other request (middleware, extractors, `GET /ws`'s checks),
//! then either writes the App's answer and closes, or, when `GET /ws`
//! accepted, registers the connection, sends the 101 and gives the bare TCP
//! stream to the socket ([`crate::socket`]). The dispatcher and its buffers
//! are freed at that point.

use std::fmt;
use std::net::TcpListener;
use std::rc::Rc;
use std::time::Duration;

use actix_codec::{Encoder as _, Framed};
use actix_http::body::{BodySize, BoxBody, MessageBody};
use actix_http::{h1, ConnectionType, HttpService, Request, Response, StatusCode};
use actix_service::{
    fn_factory, fn_service, map_config, IntoServiceFactory, Service, ServiceFactory,
    ServiceFactoryExt as _,
};
use actix_web::dev::AppConfig;
use actix_web::rt::net::TcpStream;
use actix_web::web::{self, BytesMut};
use actix_web::{HttpMessage as _, ResponseError as _};
use tokio::io::AsyncWriteExt as _;

use crate::routes::ws::{connect, Accepted};
use crate::state::AppState;

/// Put in the extensions of a request whose connection can be handed over
/// (see [`crate::routes::ws`]).
#[derive(Clone, Copy)]
pub(crate) struct CanHandOver;

/// actix-web's own defaults (`HttpServer`), kept.
const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
const CLIENT_DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// The server on `listener`: `make_app` builds the App, once per worker
/// for HTTP and once for the upgrades. Not started; signals are left to
/// the caller, and a graceful stop waits up to 5 s for requests in flight.
pub(crate) fn server<F, I, S, B>(
    listener: TcpListener,
    make_app: F,
    state: web::Data<AppState>,
) -> std::io::Result<actix_server::Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    <S::Service as Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let addr = listener.local_addr()?;
    let send_buffer = state.settings.socket_send_buffer;
    let builder = actix_server::Server::build();
    let stopping = builder.graceful_shutdown_signal();
    let server = builder
        .listen("confab", listener, move || {
            let upgrades = {
                let make_app = make_app.clone();
                let state = state.clone();
                fn_factory(move || {
                    let app = make_app().into_factory();
                    let state = state.clone();
                    async move {
                        let app = app.new_service(AppConfig::default()).await.map_err(|e| {
                            tracing::error!(error = ?e, "cannot build the app for upgrades");
                        })?;
                        let app = Rc::new(app);
                        Ok::<_, ()>(fn_service(move |(req, framed)| {
                            hand_over(app.clone(), state.clone(), req, framed)
                        }))
                    }
                })
            };
            let app = make_app()
                .into_factory()
                .map_err(|e| e.into().error_response());
            let stopping = stopping.clone();
            HttpService::build()
                // As `HttpServer` does: idle keep-alive connections close
                // when a graceful stop begins instead of holding it up.
                .graceful_shutdown_signal(move || {
                    let stopping = stopping.clone();
                    async move { stopping.notified().await }
                })
                .keep_alive(KEEP_ALIVE)
                .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
                .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
                .h1_allow_half_closed(true)
                .local_addr(addr)
                .on_connect_ext(move |io: &TcpStream, _| {
                    if send_buffer > 0 {
                        let _ = socket2::SockRef::from(io).set_send_buffer_size(send_buffer);
                    }
                })
                .upgrade(upgrades)
                .finish(map_config(app, |()| AppConfig::default()))
                .tcp()
        })?
        .disable_signals()
        .shutdown_timeout(5)
        .run();
    Ok(server)
}

/// An upgrade request: through the App, then a socket or an answer.
async fn hand_over<S, B>(
    app: Rc<S>,
    state: web::Data<AppState>,
    req: Request,
    framed: Framed<TcpStream, h1::Codec>,
) -> Result<(), actix_web::Error>
where
    S: Service<Request>,
    S::Error: Into<actix_web::Error>,
    S::Response: Into<Response<B>>,
    B: MessageBody + 'static,
{
    req.extensions_mut().insert(CanHandOver);
    let mut res: Response<BoxBody> = match app.call(req).await {
        Ok(res) => res.into().map_into_boxed_body(),
        Err(e) => e.into().error_response().into(),
    };
    let parts = framed.into_parts();
    let (mut io, mut codec, read) = (parts.io, parts.codec, parts.read_buf);
    let accepted = res.extensions_mut().remove::<Accepted>();
    let Some(accepted) = accepted.filter(|_| res.status() == StatusCode::SWITCHING_PROTOCOLS)
    else {
        answer(io, codec, res).await;
        return Ok(());
    };
    let connected = match connect(state, accepted).await {
        Ok(connected) => connected,
        Err(e) => {
            answer(io, codec, e.error_response().into()).await;
            return Ok(());
        }
    };
    let (head, _) = res.into_parts();
    let mut out = BytesMut::new();
    let sent = match codec.encode(h1::Message::Item((head, BodySize::None)), &mut out) {
        Ok(()) => io.write_all(&out).await,
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        tracing::debug!(error = %e, "the client left before its 101");
        connected.abandon().await;
        return Ok(());
    }
    // Frames are gathered before they are written (the write delay, one
    // text frame per tick under `?frames=lines`), so Nagle's algorithm only
    // adds latency: a small write behind an unacknowledged one waited for
    // the client's delayed ACK (40 ms on Linux). Node's `ws` does the same.
    let _ = io.set_nodelay(true);
    let (session, frames) = crate::socket::open_wire(io, read, confab_shared::MAX_FRAME_BYTES);
    connected.run(session, frames);
    Ok(())
}

/// Writes `res` and closes the connection: an upgrade that did not happen
/// ends its connection, as the client is waiting for a 101 and nothing else.
/// A client that left before its answer is nobody's error (actix would log
/// an error returned from here as a server fault).
async fn answer(mut io: TcpStream, codec: h1::Codec, res: Response<BoxBody>) {
    match encode_answer(codec, res).await {
        Ok(out) => {
            if let Err(e) = io.write_all(&out).await {
                tracing::debug!(error = %e, "the client left before its answer");
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot write the answer to an upgrade request"),
    }
    let _ = io.shutdown().await;
}

async fn encode_answer(
    mut codec: h1::Codec,
    res: Response<BoxBody>,
) -> Result<BytesMut, Box<dyn std::error::Error>> {
    let (mut head, body) = res.into_parts();
    head.head_mut().set_connection_type(ConnectionType::Close);
    let body = actix_http::body::to_bytes(body).await?;
    let mut out = BytesMut::new();
    let size = BodySize::Sized(body.len() as u64);
    codec.encode(h1::Message::Item((head, size)), &mut out)?;
    codec.encode(h1::Message::Chunk(Some(body)), &mut out)?;
    codec.encode(h1::Message::Chunk(None), &mut out)?;
    Ok(out)
}
