//! The floors of the memory benchmark: servers that only accept WebSockets
//! on `/ws` and hold them, reading (and dropping) their frames in a task
//! per socket, with nothing of Confab's own. `bench --scenarios memory`
//! runs both beside Confab and prints their RSS per socket:
//!
//! - by default, actix-web + actix-ws with actix's defaults: the socket
//!   stays inside actix-http's dispatcher (how Confab held its sockets
//!   until it took them out, see `confab_server::upgrade`);
//! - `--hand-over`: the upgrade leaves actix-http through its `upgrade`
//!   hook, as Confab's sockets do now, and a task holds the bare TCP
//!   stream.
//!
//! Usage: `bare_ws <address> [--hand-over]`; it prints
//! `listening on <address>` once bound.

use std::convert::Infallible;

use actix_codec::{Encoder as _, Framed};
use actix_http::body::BodySize;
use actix_http::{h1, HttpService, Request, Response};
use actix_service::fn_service;
use actix_web::rt::net::TcpStream;
use actix_web::web::BytesMut;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use futures_util::StreamExt as _;
use tokio::io::AsyncWriteExt as _;

async fn hold(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let (response, session, mut frames) = actix_ws::handle(&req, body)?;
    actix_web::rt::spawn(async move {
        while let Some(Ok(_frame)) = frames.next().await {}
        let _ = session.close(None).await;
    });
    Ok(response)
}

/// `--hand-over`: answers the upgrade itself and keeps only the stream.
async fn hand_over(
    (req, framed): (Request, Framed<TcpStream, h1::Codec>),
) -> Result<(), actix_web::Error> {
    let res = actix_http::ws::handshake(req.head())
        .map_err(|e| actix_web::error::ErrorBadRequest(e.to_string()))?
        .finish();
    let parts = framed.into_parts();
    let (mut io, mut codec) = (parts.io, parts.codec);
    let mut out = BytesMut::new();
    codec.encode(
        h1::Message::Item((res.drop_body(), BodySize::None)),
        &mut out,
    )?;
    io.write_all(&out).await?;
    actix_web::rt::spawn(async move {
        loop {
            // As Confab's sockets do (see its socket::wire): the poll
            // function replaces the waker actix-http left with the stream,
            // which would keep the finished connection task alive.
            if std::future::poll_fn(|cx| io.poll_read_ready(cx))
                .await
                .is_err()
            {
                break;
            }
            // Not held across the await: an idle socket keeps no buffer.
            let read = {
                let mut buf = [0u8; 512];
                io.try_read(&mut buf)
            };
            match read {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
    });
    Ok(())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    if std::env::args().any(|a| a == "--hand-over") {
        let listener = std::net::TcpListener::bind(addr)?;
        println!("listening on {}", listener.local_addr()?);
        return actix_server::Server::build()
            .listen("bare", listener, || {
                HttpService::build()
                    .upgrade(fn_service(hand_over))
                    .finish(fn_service(|_req: Request| async {
                        Ok::<_, Infallible>(Response::not_found())
                    }))
                    .tcp()
            })?
            .run()
            .await;
    }
    let server = HttpServer::new(|| App::new().route("/ws", web::get().to(hold))).bind(addr)?;
    for bound in server.addrs() {
        println!("listening on {bound}");
    }
    server.run().await
}
