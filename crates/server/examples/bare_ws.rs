//! The floor of the memory benchmark: an actix-web + actix-ws server with
//! actix's defaults that only accepts WebSockets on `/ws` and holds them,
//! reading (and dropping) their frames in a task per socket, as Confab
//! holds its sockets but with nothing of Confab's own. `bench --scenarios
//! memory` runs it beside Confab and prints its RSS per socket.
//!
//! Usage: `bare_ws <address>`; it prints `listening on <address>` once
//! bound.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use futures_util::StreamExt as _;

async fn hold(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let (response, session, mut frames) = actix_ws::handle(&req, body)?;
    actix_web::rt::spawn(async move {
        while let Some(Ok(_frame)) = frames.next().await {}
        let _ = session.close(None).await;
    });
    Ok(response)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let server = HttpServer::new(|| App::new().route("/ws", web::get().to(hold))).bind(addr)?;
    for bound in server.addrs() {
        println!("listening on {bound}");
    }
    server.run().await
}
