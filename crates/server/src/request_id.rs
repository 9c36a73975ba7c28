//! Every HTTP request (a WebSocket's or event stream's upgrade too) gets an
//! id: its log lines run in a `request` span that carries it, every
//! response has it in `X-Request-Id`, and an error body names it in
//! `request_id`. A user who quotes it leads to the log lines of that
//! request, including the cause of an internal error, which the client
//! itself never sees.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use tracing::Instrument;

use crate::error::AppError;

/// The response header that carries the id.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being handled (in the request's extensions).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A new id: a UUIDv7 in 32 hex digits, so ids sort by time.
fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// The middleware (`from_fn`): span, header, and the id in error bodies.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = new_id();
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %req.path(),
    );
    let mut res = next
        .call(req)
        .instrument(span.clone())
        .await?
        .map_into_boxed_body();
    // Handlers' and extractors' errors arrive here already rendered, with
    // the error attached: render an `AppError` again, now with the id.
    let again = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
        .map(|e| {
            span.in_scope(|| e.log());
            e.response(Some(&id))
        });
    if let Some(again) = again {
        res = res.into_response(again);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, value);
    }
    Ok(res)
}
