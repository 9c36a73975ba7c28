//! Small browser helpers: clock, time zone, socket URL, visibility,
//! notifications, ids. They are only called in the browser.

use std::sync::atomic::{AtomicU32, Ordering};

use confab_shared::{ClientId, Framing};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

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

/// Asks for a line of text with the browser's own dialog: `None` when
/// cancelled (or when it cannot ask).
pub fn prompt(question: &str) -> Option<String> {
    web_sys::window()
        .and_then(|w| w.prompt_with_message_and_default(question, "").ok())
        .flatten()
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

thread_local! {
    /// What a click on the notification on screen does. Notifications share
    /// one tag, so a new one replaces the last, and only its handler lives.
    static NOTIFICATION_CLICK: std::cell::RefCell<Option<Closure<dyn Fn()>>> =
        const { std::cell::RefCell::new(None) };
}

/// The global through which the browser tests call what a click on the
/// notification does (WebDriver cannot click the system's notification).
pub const NOTIFICATION_CLICK_GLOBAL: &str = "confabNotificationClick";

/// Shows a browser notification when the tab is hidden and permission was
/// granted; does nothing otherwise. A click on it brings the tab forward,
/// closes it and runs `open` (which shows its room).
pub fn notify(title: &str, body: &str, open: Option<Box<dyn Fn()>>) {
    if !is_hidden() || notification_permission() != Some(web_sys::NotificationPermission::Granted) {
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(body);
    options.set_tag("confab");
    // Failing to show a notification is not worth more than the toast.
    let Ok(shown) = web_sys::Notification::new_with_options(title, &options) else {
        return;
    };
    let Some(window) = web_sys::window() else {
        return;
    };
    let closing = shown.clone();
    let focus = window.clone();
    let click = Closure::<dyn Fn()>::new(move || {
        let _ = focus.focus();
        closing.close();
        if let Some(open) = &open {
            open();
        }
    });
    shown.set_onclick(Some(click.as_ref().unchecked_ref()));
    let _ = js_sys::Reflect::set(
        &window,
        &JsValue::from_str(NOTIFICATION_CLICK_GLOBAL),
        click.as_ref(),
    );
    NOTIFICATION_CLICK.with(|slot| slot.replace(Some(click)));
}

/// Whether a key event belongs to an IME composition (Korean, Japanese,
/// Chinese input), so that Enter only finishes the syllable: the event says
/// `isComposing`, or its keyCode is 229, what a key the IME took reports
/// (Safari sends the Enter that ends a composition after `compositionend`,
/// with 229 and `isComposing` false).
pub fn is_ime_key(ev: &web_sys::KeyboardEvent) -> bool {
    ev.is_composing() || ev.key_code() == 229
}

/// Whether the user asked their system for less motion
/// (`prefers-reduced-motion: reduce`): animated images then wait for a click.
pub fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|q| q.matches())
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
