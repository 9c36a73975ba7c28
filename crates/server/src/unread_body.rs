//! A request refused before its body was read ends its connection instead
//! of reading the rest of the body.
//!
//! Why: actix-http reads ("drains") the rest of a chunked request body
//! whose handler dropped it, to keep the connection alive for the next
//! request. For a refused 60 MiB upload (too large, over the quota, rate
//! limited, not a member) that means reading all 60 MiB for nothing. When
//! the body is still held while the response is written, actix-http instead
//! marks the response `Connection: close` and closes after it, which is
//! what it already does for bodies with a `Content-Length`. So this
//! middleware keeps every request body that may carry data (POST, PUT,
//! PATCH, DELETE) until the response's last byte is written.
//!
//! A body that was read to its end is already finished in actix-http's
//! eyes, so well-behaved requests keep their connection.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::HttpMessage as _;
use futures_util::{Stream, StreamExt as _};

/// The request's body, shared between the handler (which reads it) and the
/// response (which keeps it until written).
type SharedBody = Rc<RefCell<Payload>>;

/// What the handler reads: the same body, through the shared cell.
struct ReadThrough(SharedBody);

impl Stream for ReadThrough {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // The cell is only borrowed here, inside one poll, on the
        // connection's own thread: it is never borrowed twice.
        self.0.borrow_mut().poll_next_unpin(cx)
    }
}

/// A response body that holds the request's body until it is written.
struct HoldingRequestBody {
    body: BoxBody,
    _request_body: SharedBody,
}

impl MessageBody for HoldingRequestBody {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }
}

/// Whether requests of `method` may carry a body worth guarding. A
/// WebSocket upgrade is a GET: its body is the socket's stream of frames
/// and is left untouched.
fn may_carry_a_body(method: &Method) -> bool {
    [Method::POST, Method::PUT, Method::PATCH, Method::DELETE].contains(method)
}

/// The middleware (`from_fn`), outermost, so that it wraps the final body.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !may_carry_a_body(req.method()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let shared: SharedBody = Rc::new(RefCell::new(req.take_payload()));
    req.set_payload(Payload::Stream {
        payload: Box::pin(ReadThrough(shared.clone())),
    });
    // The guards inside (rate limit, Origin) answer with a response, not an
    // `Err`, so that their refusals come through here too.
    let res = next.call(req).await?.map_into_boxed_body();
    Ok(res.map_body(|_, body| {
        BoxBody::new(HoldingRequestBody {
            body,
            _request_body: shared,
        })
    }))
}
