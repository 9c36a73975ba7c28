//! The UI end to end, in headless Chromium: two people in two browser
//! profiles, a bot on the HTTP API, a server restart in the middle.
//! Screenshots of the main screens land in target/e2e/ on every run.

mod accessibility;
mod blocking;
mod composing;
mod images;
mod language;
mod moderation;
mod webdriver;

use std::path::PathBuf;

use serde_json::json;

use confab_testkit::*;
use webdriver::{Browser, Driver};

const ENTER: &str = "\u{E007}";

fn dist() -> PathBuf {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dist");
    assert!(
        dist.join("index.html").is_file(),
        "the UI is not built: run scripts/build-client.sh (scripts/test does)"
    );
    dist
}

/// A server on port 0 that serves the built UI.
async fn serve_ui() -> TestApp {
    let site = dist();
    spawn_app_with(|s| {
        s.site_dir = Some(site);
        // Two browsers and the test's bot share one address, and reload
        // and reconnect in bursts (pages, assets, a restart): the
        // per-address HTTP limit is for strangers, not for this.
        s.http_rate_limit = 0;
    })
    .await
}

async fn log_in(browser: &Browser, base: &str, name: &str) {
    browser.goto(base).await;
    browser
        .type_into("#nickname-input", &format!("{name}{ENTER}"))
        .await;
    browser.wait_for("#composer-input").await;
}

async fn say(browser: &Browser, text: &str) {
    browser.wait_for("#composer-input:not([disabled])").await;
    browser
        .type_into("#composer-input", &format!("{text}{ENTER}"))
        .await;
}

/// How many rendered messages have exactly this text.
async fn shown(browser: &Browser, text: &str) -> usize {
    browser
        .js(
            "return Array.from(document.querySelectorAll('.message .text'))
                 .filter(e => e.textContent.trim() === arguments[0]).length;",
            json!([text]),
        )
        .await
        .as_u64()
        .unwrap_or(0) as usize
}

async fn open_room(browser: &Browser, room: &str) {
    let found = browser
        .js(
            "const link = Array.from(document.querySelectorAll('.room-link'))
                 .find(a => a.querySelector('.room-name')?.textContent.trim().replace(/^#/, '') === arguments[0]);
             if (link) link.click();
             return !!link;",
            json!([room]),
        )
        .await;
    assert_eq!(
        found,
        json!(true),
        "{}: no room {room} in the sidebar",
        browser.name
    );
    wait_for_room(browser, |title| title.trim_start_matches('#') == room).await;
}

/// Waits until the room on screen has a title that `wanted` accepts.
async fn wait_for_room(browser: &Browser, wanted: impl Fn(&str) -> bool) {
    browser
        .wait_js(
            "the awaited room on screen",
            "return document.getElementById('room-title')?.textContent;",
            |title| title.as_str().is_some_and(|t| wanted(t.trim())),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_chat_dm_reload_and_survive_a_server_restart() {
    let app = serve_ui().await;
    let base = app.url("/");
    let driver = Driver::start().await;
    let alice = Browser::open(&driver, "alice").await;
    let bob = Browser::open(&driver, "bob").await;

    alice.goto(&base).await;
    alice.wait_for("#nickname-input").await;
    alice.screenshot("01-nickname").await;
    log_in(&alice, &base, "alice").await;
    log_in(&bob, &base, "bob").await;

    // Both join a room; alice speaks, bob hears.
    for b in [&alice, &bob] {
        b.type_into("#join-room-input", &format!("e2e{ENTER}"))
            .await;
        b.wait_for_text("#e2e").await;
    }
    say(&alice, "hello from alice").await;
    bob.wait_for_text("hello from alice").await;
    bob.screenshot("02-room-bob").await;

    // Bob DMs alice from the online list; alice gets the DM and a toast.
    bob.click(".person[aria-label*='alice']").await;
    say(&bob, "psst, alice").await;
    alice.wait_for(".toasts .toast-body").await;
    let toast = alice
        .js(
            "return document.querySelector('.toasts').innerText;",
            json!([]),
        )
        .await;
    assert!(
        toast.as_str().unwrap_or_default().contains("psst, alice"),
        "toast: {toast}"
    );
    alice.screenshot("03-dm-notification").await;

    // Bob mentions alice with a Korean honorific in the room: her list
    // marks that message; Korean text breaks between words.
    open_room(&bob, "e2e").await;
    say(&bob, "@alice님 보셨어요?").await;
    alice.wait_for(".message.mention").await;
    let marked = alice
        .js(
            "return Array.from(document.querySelectorAll('.message.mention .text'))
                 .map(e => e.textContent.trim());",
            json!([]),
        )
        .await;
    assert_eq!(marked, json!(["@alice님 보셨어요?"]));
    let word_break = alice
        .js(
            "return getComputedStyle(document.querySelector('.message .text')).wordBreak;",
            json!([]),
        )
        .await;
    assert_eq!(word_break, json!("keep-all"));

    // A reload keeps the session and the history.
    alice.refresh().await;
    alice.wait_for("#composer-input").await;
    open_room(&alice, "e2e").await;
    alice.wait_for_text("hello from alice").await;
    assert_eq!(shown(&alice, "hello from alice").await, 1);

    // Alice shares a GIF; bob sees it inline, loaded from /uploads.
    open_room(&bob, "e2e").await;
    let gif_dir = tempfile::tempdir().unwrap();
    let gif = gif_dir.path().join("party.gif");
    std::fs::write(&gif, GIF).unwrap();
    alice
        .type_into("#upload-input", gif.to_str().unwrap())
        .await;
    bob.wait_for(".message img[src^='/uploads/']").await;
    let started = std::time::Instant::now();
    loop {
        let loaded = bob
            .js(
                "const img = document.querySelector(\".message img[src^='/uploads/']\");
                 return img && img.complete && img.naturalWidth > 0;",
                json!([]),
            )
            .await;
        if loaded == json!(true) {
            break;
        }
        assert!(
            started.elapsed() < webdriver::UI_WAIT,
            "bob's image never loaded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    bob.screenshot("04-image-shared").await;

    // The server goes away; the UI says so.
    let mut app = app;
    let addr = app.addr;
    app.stop().await;
    alice.wait_for_text("Reconnecting").await;
    alice.screenshot("05-reconnecting").await;
    // It comes back on the same address, and a bot posts before alice's
    // tab has reconnected.
    let app = start_on(addr, &app).await;
    let bot = app.login("deploybot").await;
    assert_eq!(
        app.post("/api/rooms/e2e/join", &bot, json!({}))
            .await
            .status(),
        200
    );
    let res = app
        .post(
            "/api/rooms/e2e/messages",
            &bot,
            json!({"text":"posted during the outage"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    alice.wait_for_text("posted during the outage").await;
    assert_eq!(shown(&alice, "posted during the outage").await, 1);
    assert_eq!(shown(&alice, "hello from alice").await, 1);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        shown(&alice, "posted during the outage").await,
        1,
        "shown twice after resume"
    );
    alice.screenshot("06-after-restart").await;

    alice.close().await;
    bob.close().await;
}

/// A new server on `addr` with `old`'s data directory.
async fn start_on(addr: std::net::SocketAddr, old: &TestApp) -> TestApp {
    let mut settings = old.settings.clone();
    settings.listen = addr.to_string();
    start(settings, old.data_dir.clone()).await
}

/// How many `css` elements the page shows.
async fn count(browser: &Browser, css: &str) -> u64 {
    browser
        .js(
            "return document.querySelectorAll(arguments[0]).length;",
            json!([css]),
        )
        .await
        .as_u64()
        .unwrap_or(0)
}

async fn wait_for_count(browser: &Browser, css: &str, want: u64) {
    let started = std::time::Instant::now();
    while count(browser, css).await != want {
        assert!(
            started.elapsed() < webdriver::UI_WAIT,
            "{}: never {want} of {css}",
            browser.name
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Ctrl+A, then `text`: replaces what a field holds.
fn replacing(text: &str) -> String {
    format!("\u{E009}a\u{E000}{text}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claimed_name_logs_in_on_a_second_device_that_the_first_logs_out() {
    let app = serve_ui().await;
    let base = app.url("/");
    let driver = Driver::start().await;
    let laptop = Browser::open(&driver, "alice-laptop").await;
    let phone = Browser::open(&driver, "alice-phone").await;

    // A guest protects her name with a password from the account panel.
    log_in(&laptop, &base, "alice").await;
    laptop.click(".account summary").await;
    laptop
        .type_into("#claim-password", &format!("비밀번호 1234{ENTER}"))
        .await;
    laptop
        .wait_for_text("log in with this name and password")
        .await;

    // On another device the name alone is taken; a wrong password fails;
    // the right one logs in as the same alice.
    phone.goto(&base).await;
    phone
        .type_into("#nickname-input", &format!("alice{ENTER}"))
        .await;
    phone
        .wait_for_text("If it is yours, enter its password")
        .await;
    phone
        .type_into("#password-input", &format!("not my password{ENTER}"))
        .await;
    phone.wait_for_text("Wrong name or password").await;
    phone
        .type_into(
            "#password-input",
            &replacing(&format!("비밀번호 1234{ENTER}")),
        )
        .await;
    phone.wait_for("#composer-input").await;
    say(&phone, "hi from my phone").await;
    laptop.wait_for_text("hi from my phone").await;

    // The laptop lists both devices and logs the phone out.
    laptop.click(".account summary").await;
    laptop.click(".account summary").await;
    wait_for_count(&laptop, ".device", 2).await;
    assert_eq!(count(&laptop, ".device-current").await, 1);
    laptop.screenshot("07-devices").await;
    laptop.click(".device-end").await;
    wait_for_count(&laptop, ".device", 1).await;
    phone.wait_for("#nickname-input").await;
    phone.screenshot("08-logged-out-remotely").await;
    // The laptop stays signed in and chatting.
    say(&laptop, "still here").await;
    laptop.wait_for_text("still here").await;

    // A room named in Hangul, found again by its initial consonants.
    laptop
        .type_into("#join-room-input", &format!("한국어방{ENTER}"))
        .await;
    wait_for_count(&laptop, ".room-link", 2).await;
    open_room(&laptop, "한국어방").await;
    laptop.type_into("#room-filter", "ㅎㄱ").await;
    wait_for_count(&laptop, ".room-link", 1).await;
    let shown = laptop
        .js(
            "return document.querySelector('.room-link .room-name').textContent;",
            json!([]),
        )
        .await;
    assert!(
        shown.as_str().is_some_and(|n| n.contains("한국어방")),
        "{shown}"
    );
    laptop.screenshot("09-find-by-initials").await;
    laptop
        .type_into("#room-filter", &replacing("\u{E003}"))
        .await;
    wait_for_count(&laptop, ".room-link", 2).await;

    // A new password, then the account deleted (after the browser's own
    // confirmation): the laptop is back at the sign-in screen and nobody
    // logs in as alice any more.
    laptop.type_into("#old-password", "비밀번호 1234").await;
    laptop
        .type_into("#new-password", &format!("새 비밀번호 5678{ENTER}"))
        .await;
    laptop.wait_for_text("Password changed").await;
    laptop
        .type_into("#delete-password", &format!("새 비밀번호 5678{ENTER}"))
        .await;
    laptop.accept_dialog().await;
    laptop.wait_for("#nickname-input").await;
    let login = json!({ "name": "alice", "password": "새 비밀번호 5678" });
    let res = http()
        .post(app.url("/api/login"))
        .json(&login)
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 401);

    laptop.close().await;
    phone.close().await;
}
