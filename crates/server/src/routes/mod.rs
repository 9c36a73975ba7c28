//! HTTP routes, one module per resource.

mod account;
mod blocks;
mod devices;
mod dm;
mod events;
mod health;
mod members;
mod messages;
mod moderation;
mod pages;
mod rooms;
mod session;
mod uploads;
pub(crate) mod ws;

pub use account::NAME_RESERVED;

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
    .route("/uploads/{file}", web::get().to(uploads::serve))
    .service(
        web::scope("/api")
            // Cross-site requests that would act with the session cookie.
            .wrap(actix_web::middleware::from_fn(crate::origin::guard))
            .service(
                web::resource("/session")
                    .route(web::post().to(session::create))
                    .route(web::get().to(session::current))
                    .route(web::delete().to(session::end)),
            )
            .service(
                web::resource("/account")
                    .route(web::post().to(account::claim))
                    .route(web::delete().to(account::delete)),
            )
            .route(
                "/account/password",
                web::post().to(account::change_password),
            )
            .route("/login", web::post().to(account::login))
            .service(
                web::resource("/sessions")
                    .route(web::get().to(devices::list))
                    .route(web::delete().to(devices::end_others)),
            )
            .route("/sessions/{id}", web::delete().to(devices::end_one))
            .route("/blocks", web::get().to(blocks::list))
            .service(
                web::resource("/blocks/{user}")
                    .route(web::put().to(blocks::block))
                    .route(web::delete().to(blocks::unblock)),
            )
            .route("/events", web::get().to(events::stream))
            .route("/rooms", web::get().to(rooms::list))
            .service(
                web::resource("/rooms/{room}/messages")
                    .route(web::get().to(rooms::history))
                    .route(web::post().to(rooms::post)),
            )
            .service(
                web::resource("/rooms/{room}/messages/{seq}")
                    .route(web::patch().to(messages::edit))
                    .route(web::delete().to(messages::delete)),
            )
            .route("/rooms/{room}/attachments", web::post().to(uploads::upload))
            .route("/rooms/{room}/join", web::post().to(rooms::join))
            .route("/rooms/{room}/leave", web::post().to(rooms::leave))
            .route("/rooms/{room}/read", web::post().to(rooms::read))
            .route("/rooms/{room}/members", web::get().to(members::list))
            .route("/rooms/{room}/kick", web::post().to(moderation::kick))
            .route("/rooms/{room}/ban", web::post().to(moderation::ban))
            .route("/rooms/{room}/unban", web::post().to(moderation::unban))
            .route("/rooms/{room}/invites", web::post().to(moderation::invite))
            .route("/rooms/{room}/mute", web::post().to(moderation::mute))
            .route("/rooms/{room}/topic", web::put().to(moderation::topic))
            .service(
                web::resource("/rooms/{room}/moderators/{user}")
                    .route(web::put().to(moderation::appoint))
                    .route(web::delete().to(moderation::dismiss)),
            )
            .service(
                web::resource("/rooms/{room}/settings")
                    .route(web::get().to(moderation::show_settings))
                    .route(web::put().to(moderation::settings)),
            )
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

/// A real-time connection's places under the limits, taken before any
/// upgrade or stream starts and held for the connection's life.
pub struct Admission {
    /// `max_connections` (this node).
    _permit: tokio::sync::OwnedSemaphorePermit,
    /// `max_connections_per_user` and `max_connections_per_ip`.
    _slot: crate::limits::conns::ConnSlot,
    /// The client's address, for logs.
    client: String,
}

/// Checks the caps of `user` and of the client's address (429
/// `too_many_connections`) and the node's connection limit (503), and
/// takes a place in each. Nothing is opened yet: the caller upgrades or
/// starts its stream only after this succeeded.
fn admit(
    req: &HttpRequest,
    state: &crate::state::AppState,
    user: &confab_shared::User,
) -> Result<Admission, AppError> {
    let ip = crate::limits::request_ip(req, &state.settings.trusted_proxies);
    let slot = state.conn_caps.admit(&user.id, ip).inspect_err(|_| {
        tracing::info!(user = %user.name, ?ip, "connection over the per-user or per-address cap");
    })?;
    let permit = state
        .connections
        .clone()
        .try_acquire_owned()
        .map_err(|_| AppError::Unavailable("too many connections; try again soon".into()))?;
    let client = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    Ok(Admission {
        _permit: permit,
        _slot: slot,
        client,
    })
}

/// A real-time connection (socket or event stream) registered with the hub.
struct Opened {
    conn: crate::hub::ConnId,
    /// The connection's own handle on its outbox, for its direct replies.
    outbox: crate::outbox::Outbox,
    receiver: crate::outbox::OutboxReceiver,
    /// Its places under the limits, held for the connection's life.
    admission: Admission,
    /// The client's address for logs.
    client: String,
}

/// Gives an admitted connection an outbox and registers it with the hub,
/// which queues its `welcome`.
async fn open_connection(
    state: &crate::state::AppState,
    me: &crate::auth::CurrentUser,
    admission: Admission,
) -> Result<Opened, AppError> {
    let user = &me.user;
    let settings = &state.settings;
    let (outbox, receiver) = crate::outbox::outbox_counted(
        settings.outbox_frames,
        settings.outbox_bytes,
        Some(state.metrics.clone()),
    );
    let conn = state.hub.next_conn_id();
    // Read here, so the hub never waits for the store.
    let rooms = state.store.memberships(&user.id).await?;
    state
        .hub
        .send(crate::hub::Command::Connect {
            conn,
            user: user.clone(),
            session: me.token_hash.clone(),
            outbox: outbox.clone(),
            rooms,
        })
        .await?;
    // A logout between the session check and the registration above would
    // have found nothing to close: look again now that the hub knows the
    // connection (a logout from now on closes it).
    if state.store.user_by_token(&me.token_hash).await?.is_none() {
        state.hub.disconnect(conn).await;
        return Err(AppError::Unauthorized);
    }
    Ok(Opened {
        conn,
        outbox,
        receiver,
        client: admission.client.clone(),
        admission,
    })
}

/// 201 with a JSON body.
fn created<T: serde::Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Created().json(body)
}
