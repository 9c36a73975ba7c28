//! HTTP routes, one module per resource.

mod dm;
mod health;
mod pages;
mod rooms;
mod session;
mod ws;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AppError;

/// Largest JSON body accepted by the REST API.
const JSON_LIMIT: usize = 64 * 1024;

/// Mounts every route on `cfg`; `site_dir` is the built UI, if any.
pub fn configure(cfg: &mut web::ServiceConfig, site_dir: Option<&std::path::Path>) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(JSON_LIMIT)
            .error_handler(|e, _| json_error(e).into()),
    )
    .app_data(
        web::PathConfig::default()
            .error_handler(|e: PathError, _| AppError::Invalid(e.to_string()).into()),
    )
    .app_data(
        web::QueryConfig::default()
            .error_handler(|e: QueryPayloadError, _| AppError::Invalid(e.to_string()).into()),
    )
    .route("/healthz", web::get().to(health::healthz))
    .route("/metrics", web::get().to(health::metrics))
    .route("/ws", web::get().to(ws::upgrade))
    .service(
        web::scope("/api")
            .service(
                web::resource("/session")
                    .route(web::post().to(session::create))
                    .route(web::get().to(session::current))
                    .route(web::delete().to(session::end)),
            )
            .route("/rooms", web::get().to(rooms::list))
            .service(
                web::resource("/rooms/{room}/messages")
                    .route(web::get().to(rooms::history))
                    .route(web::post().to(rooms::post)),
            )
            .route("/rooms/{room}/join", web::post().to(rooms::join))
            .route("/rooms/{room}/leave", web::post().to(rooms::leave))
            .route("/rooms/{room}/read", web::post().to(rooms::read))
            .route("/dm/{user}/messages", web::post().to(dm::post))
            .default_service(web::to(not_found)),
    );
    pages::configure(cfg, site_dir);
}

/// Unknown API paths answer JSON like everything else.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound(format!(
        "no such resource: {} {}",
        req.method(),
        req.path()
    )))
}

fn json_error(e: JsonPayloadError) -> AppError {
    match e {
        JsonPayloadError::Deserialize(e) if e.is_syntax() || e.is_eof() => {
            AppError::BadJson(format!("the body is not JSON: {e}"))
        }
        JsonPayloadError::Deserialize(e) => AppError::Invalid(e.to_string()),
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            AppError::PayloadTooLarge(format!("a JSON body is at most {limit} bytes"))
        }
        JsonPayloadError::ContentType => {
            AppError::Invalid("send the body as Content-Type: application/json".into())
        }
        other => AppError::BadJson(other.to_string()),
    }
}

/// 201 with a JSON body.
fn created<T: serde::Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Created().json(body)
}
