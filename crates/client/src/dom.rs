//! Small browser helpers: clock, time zone, socket URL, visibility,
//! notifications, ids. They are only called in the browser.

use std::sync::atomic::{AtomicU32, Ordering};

use confab_shared::{ClientId, Framing};
use wasm_bindgen::JsValue;

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    // Integer milliseconds fit an f64 exactly until the year 287396.
    js_sys::Date::now() as i64
}

/// The reader's offset from UTC at `ms`, in minutes behind UTC
/// (`Date.getTimezoneOffset()`), so daylight saving time is right per date.
pub fn tz_offset(ms: i64) -> i32 {
    js_sys::Date::new(&JsValue::from_f64(ms as f64)).get_timezone_offset() as i32
}

/// `ws://` or `wss://` + host + `/ws`, for a page loaded over `protocol`
/// (`"http:"` or `"https:"`) from `host`.
pub fn ws_url_for(protocol: &str, host: &str) -> String {
    let scheme = if protocol == "https:" { "wss" } else { "ws" };
    // Asks the server to pack what it has queued into one frame, a JSON
    // object per line; the socket reads either way (an older server sends
    // one per frame).
    format!("{scheme}://{host}{}", Framing::Lines.ws_path())
}

/// The socket URL of the page this tab shows.
pub fn ws_url() -> Option<String> {
    let location = web_sys::window()?.location();
    Some(ws_url_for(
        &location.protocol().ok()?,
        &location.host().ok()?,
    ))
}

/// Asks with the browser's own dialog; `false` when it cannot ask.
pub fn confirm(question: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(question).ok())
        .unwrap_or(false)
}

/// Whether the tab is hidden (another tab or a minimised window).
pub fn is_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

static NEXT_ID: AtomicU32 = AtomicU32::new(0);

/// A fresh id for a message this tab sends: time, a random part and a
/// counter, so two tabs of one user do not collide.
pub fn new_client_id() -> Option<ClientId> {
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let random = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    ClientId::parse(&format!("c{:x}-{random:08x}-{n:x}", now_ms())).ok()
}

fn has_notifications() -> bool {
    web_sys::window().is_some_and(|w| {
        js_sys::Reflect::has(&w, &JsValue::from_str("Notification")).unwrap_or(false)
    })
}

/// The state of the browser's notification permission: `None` when the
/// browser has no Notification API.
pub fn notification_permission() -> Option<web_sys::NotificationPermission> {
    has_notifications().then(web_sys::Notification::permission)
}

/// Asks for permission to show notifications (call from a click).
pub fn request_notification_permission() -> Option<js_sys::Promise> {
    if has_notifications() {
        web_sys::Notification::request_permission().ok()
    } else {
        None
    }
}

/// Shows a browser notification when the tab is hidden and permission was
/// granted; does nothing otherwise.
pub fn notify(title: &str, body: &str) {
    if !is_hidden() || notification_permission() != Some(web_sys::NotificationPermission::Granted) {
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(body);
    options.set_tag("confab");
    // Failing to show a notification is not worth more than the toast.
    let _ = web_sys::Notification::new_with_options(title, &options);
}

#[cfg(test)]
mod tests {
    use super::ws_url_for;

    #[test]
    fn socket_url_follows_the_page() {
        assert_eq!(
            ws_url_for("http:", "127.0.0.1:3000"),
            "ws://127.0.0.1:3000/ws?frames=lines"
        );
        assert_eq!(
            ws_url_for("https:", "chat.example"),
            "wss://chat.example/ws?frames=lines"
        );
    }
}
