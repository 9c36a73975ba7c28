//! The room calls the UI makes over HTTP: a room's settings as its staff
//! see them (`GET /api/rooms/{room}/settings`). Changes go over the
//! socket (`crate::moderation`).

use confab_shared::moderation::RoomAdmin;
use confab_shared::{ErrorBody, RoomId};
use gloo_net::http::Request;

use crate::api::{bad_reply, unreachable, Failure};

/// The path of `room`'s settings.
pub fn settings_path(room: &RoomId) -> String {
    format!(
        "/api/rooms/{}/settings",
        js_sys::encode_uri_component(&room.to_string())
    )
}

/// Why reading a room's settings failed, from its status and body.
pub fn settings_failure(status: u16, body: Option<ErrorBody>) -> Failure {
    match (status, body) {
        (403, _) => Failure::NotStaff,
        (_, Some(body)) if !body.message.trim().is_empty() => Failure::ServerSaid(body.message),
        (status, _) => Failure::Status(status),
    }
}

/// `GET /api/rooms/{room}/settings`.
pub async fn settings(room: &RoomId) -> Result<RoomAdmin, Failure> {
    let resp = Request::get(&settings_path(room))
        .send()
        .await
        .map_err(unreachable)?;
    if !resp.ok() {
        let status = resp.status();
        return Err(settings_failure(
            status,
            resp.json::<ErrorBody>().await.ok(),
        ));
    }
    resp.json::<RoomAdmin>().await.map_err(bad_reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_shared::ErrorCode;

    #[test]
    fn a_refusal_is_told_apart() {
        let forbidden = ErrorBody::new(ErrorCode::Forbidden, "staff only");
        assert_eq!(settings_failure(403, Some(forbidden)), Failure::NotStaff);
        let gone = ErrorBody::new(ErrorCode::NotFound, "no such room");
        assert_eq!(
            settings_failure(404, Some(gone)),
            Failure::ServerSaid("no such room".into())
        );
        assert_eq!(settings_failure(502, None), Failure::Status(502));
    }
}
