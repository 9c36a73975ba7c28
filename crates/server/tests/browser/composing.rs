//! Writing in Korean through a real IME composition (driven over the
//! DevTools protocol, as an IME drives Chromium), then editing and
//! deleting what was sent, seen by a second person.

use serde_json::json;

use super::webdriver::{Browser, Driver};
use super::*;

/// Composes `steps` (each the composition so far, as a Korean IME shows
/// it: ㅎ, 하, 한) in the focused field, then commits `done`.
async fn compose(browser: &Browser, steps: &[&str], done: &str) {
    composing(browser, steps).await;
    browser
        .cdp("Input.insertText", json!({ "text": done }))
        .await;
}

/// Composes `steps` in the focused field and leaves the composition open.
async fn composing(browser: &Browser, steps: &[&str]) {
    for step in steps {
        let len = step.chars().count();
        browser
            .cdp(
                "Input.imeSetComposition",
                json!({ "text": step, "selectionStart": len, "selectionEnd": len }),
            )
            .await;
    }
}

/// A real Enter key press (down and up) through the DevTools protocol,
/// as the keyboard sends it: Shift+Enter with its text (a line break),
/// Enter alone as a bare key (the page decides what it does).
async fn press_enter(browser: &Browser, shift: bool) {
    let down = if shift {
        json!({ "type": "keyDown", "text": "\r", "modifiers": 8 })
    } else {
        json!({ "type": "rawKeyDown", "modifiers": 0 })
    };
    for mut event in [
        down,
        json!({ "type": "keyUp", "modifiers": if shift { 8 } else { 0 } }),
    ] {
        event["key"] = json!("Enter");
        event["code"] = json!("Enter");
        event["windowsVirtualKeyCode"] = json!(13);
        event["nativeVirtualKeyCode"] = json!(13);
        browser.cdp("Input.dispatchKeyEvent", event).await;
    }
}

/// Focuses a message's action button (as Tab does, which shows it), then
/// clicks it.
pub(crate) async fn reveal_and_click(browser: &Browser, css: &str) {
    browser.wait_for(css).await;
    browser
        .js(
            "document.querySelector(arguments[0]).focus();",
            json!([css]),
        )
        .await;
    browser.click(css).await;
}

/// The pending messages the page keeps in `localStorage`, as stored.
const KEPT_PENDING: &str = "return Object.keys(localStorage)
    .filter(k => k.startsWith('confab.pending.'))
    .map(k => localStorage.getItem(k)).join('');";

async fn kept_pending(browser: &Browser) -> String {
    browser
        .js(KEPT_PENDING, json!([]))
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn wait_for_value(browser: &Browser, want: &str) {
    browser
        .wait_js(
            &format!("the message box holding {want:?}"),
            "return document.getElementById('composer-input').value;",
            |v| v == want,
        )
        .await;
}

async fn composer_value(browser: &Browser) -> String {
    browser
        .js(
            "return document.getElementById('composer-input').value;",
            json!([]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn korean_typed_through_an_ime_is_sent_whole_then_edited_and_deleted() {
    let app = serve_ui().await;
    let base = app.url("/");
    let driver = Driver::start().await;
    let minsu = Browser::open(&driver, "minsu").await;
    let jiwoo = Browser::open(&driver, "jiwoo").await;
    log_in(&minsu, &base, "민수").await;
    log_in(&jiwoo, &base, "지우").await;

    // 한 is composed; Enter while composing only finishes the syllable.
    minsu.click("#composer-input").await;
    composing(&minsu, &["ㅎ", "하", "한"]).await;
    // An Enter that says nothing of the composition (keyCode 13, as some
    // IMEs send it): the composition itself is what keeps it from sending.
    press_enter(&minsu, false).await;
    minsu.cdp("Input.insertText", json!({ "text": "한" })).await;
    assert_eq!(composer_value(&minsu).await, "한", "nothing was sent");
    compose(&minsu, &["ㄱ", "구", "국"], "국").await;
    compose(&minsu, &["ㅇ", "어"], "어").await;
    // Shift+Enter is a new line; Enter after the composition sends.
    press_enter(&minsu, true).await;
    compose(&minsu, &["ㅇ", "아", "안"], "안").await;
    compose(&minsu, &["ㄴ", "녀", "녕"], "녕").await;
    assert_eq!(composer_value(&minsu).await, "한국어\n안녕");
    press_enter(&minsu, false).await;
    jiwoo.wait_for_text("안녕").await;
    assert_eq!(composer_value(&minsu).await, "", "sent and cleared");
    let texts = jiwoo
        .js(
            "return Array.from(document.querySelectorAll('.message .text'))
                 .map(e => e.textContent);",
            json!([]),
        )
        .await;
    let sent: Vec<&str> = texts
        .as_array()
        .map(|a| a.iter().filter_map(|t| t.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        sent.iter().filter(|t| t.contains('한')).collect::<Vec<_>>(),
        vec![&"한국어\n안녕"],
        "one message, whole: {sent:?}"
    );

    // Edited in place (Enter inside the editor's composition does not
    // save either), then seen edited by the other.
    // The buttons show on hover or keyboard focus: focus, then click.
    reveal_and_click(&minsu, ".message.own .edit-message").await;
    minsu.wait_for(".message-editor textarea").await;
    minsu
        .type_into(".message-editor textarea", &replacing("안녕하세요"))
        .await;
    compose(&minsu, &["ㅇ", "여", "열"], "열").await;
    minsu
        .type_into(".message-editor textarea", &format!("분{ENTER}"))
        .await;
    jiwoo.wait_for_text("안녕하세요열분").await;
    wait_for_count(&jiwoo, ".message .edited", 1).await;
    assert_eq!(shown(&jiwoo, "한국어\n안녕").await, 0);
    jiwoo.screenshot("10-edited").await;

    // Deleted, after the browser's confirmation: a tombstone for both, also
    // after a reload (the history shows the message as it is now).
    reveal_and_click(&minsu, ".message.own .delete-message").await;
    minsu.accept_dialog().await;
    wait_for_count(&jiwoo, ".message.deleted", 1).await;
    wait_for_count(&minsu, ".message.deleted", 1).await;
    assert_eq!(shown(&jiwoo, "안녕하세요열분").await, 0);
    jiwoo.refresh().await;
    jiwoo.wait_for("#composer-input").await;
    wait_for_count(&jiwoo, ".message.deleted", 1).await;
    assert!(!jiwoo.text().await.contains("안녕하세요열분"));
    jiwoo.screenshot("11-deleted").await;

    // A direct message while jiwoo's tab is hidden: a desktop notification
    // (permission granted the way a user would, through the browser), and
    // what its click does brings the conversation up. WebDriver cannot
    // click the system's notification, so the test calls the handler the
    // notification was given, which the page keeps for it.
    jiwoo
        .cdp(
            "Browser.grantPermissions",
            json!({ "permissions": ["notifications"] }),
        )
        .await;
    jiwoo
        .js(
            "Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
             document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));",
            json!([]),
        )
        .await;
    let bot = app.login("알림봇").await;
    let res = http()
        .post(app.url("/api/dm/지우/messages"))
        .bearer_auth(&bot.token)
        .json(&json!({ "text": "회의 5분 전" }))
        .send()
        .await
        .expect("dm");
    assert_eq!(res.status(), 201);
    jiwoo
        .wait_js(
            "a notification shown",
            "return typeof window.confabNotificationClick;",
            |v| v == "function",
        )
        .await;
    jiwoo
        .js(
            "delete document.hidden;
             window.confabNotificationClick();
             document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));",
            json!([]),
        )
        .await;
    wait_for_room(&jiwoo, |title| title.contains("알림봇")).await;
    jiwoo.wait_for_text("회의 5분 전").await;
    open_room(&jiwoo, "lobby").await;

    // A draft survives a reload.
    minsu.type_into("#composer-input", "반쯤 쓴 글").await;
    minsu.refresh().await;
    minsu.wait_for("#composer-input").await;
    wait_for_value(&minsu, "반쯤 쓴 글").await;
    minsu
        .type_into("#composer-input", "\u{E009}a\u{E000}\u{E017}")
        .await;

    // Sent while the server is away: shown as waiting, kept in the
    // browser's storage, and after the restart (and a reload of the tab)
    // sent with its client id and stored once.
    let mut app = app;
    let addr = app.addr;
    app.stop().await;
    minsu.wait_for_text("Reconnecting").await;
    say(&minsu, "서버가 없는 동안").await;
    minsu.wait_for_text("Waiting for the connection").await;
    minsu.screenshot("14-waiting").await;
    assert!(kept_pending(&minsu).await.contains("서버가 없는 동안"));
    let app = start_on(addr, &app).await;
    minsu.goto(&base).await;
    minsu.wait_for("#composer-input").await;
    jiwoo.wait_for_text("서버가 없는 동안").await;
    wait_for_count(&minsu, ".send-status", 0).await;
    minsu
        .wait_js(
            "the sent message gone from the storage",
            KEPT_PENDING,
            |v| v == "",
        )
        .await;
    assert_eq!(shown(&jiwoo, "서버가 없는 동안").await, 1);
    let res = app.get("/api/rooms/lobby/messages", &bot).await;
    let page: serde_json::Value = res.json().await.expect("page");
    let stored = page["messages"]
        .as_array()
        .map(|m| m.iter().filter(|m| m["text"] == "서버가 없는 동안").count());
    assert_eq!(stored, Some(1), "stored once");

    // `@` offers the room's members (initial consonants work, and never
    // oneself); Tab picks, and the mention reaches 지우 highlighted.
    minsu.type_into("#composer-input", "@ㅈ").await;
    wait_for_count(&minsu, "#mention-list .mention-option", 1).await;
    assert!(minsu.text().await.contains("@지우"));
    // The box names the highlighted option for screen readers.
    let active = minsu
        .js(
            "return document.getElementById('composer-input').getAttribute('aria-activedescendant');",
            json!([]),
        )
        .await;
    assert_eq!(active, json!("mention-option-0"));
    minsu.screenshot("15-mention-completion").await;
    minsu.type_into("#composer-input", "\u{E004}").await;
    wait_for_count(&minsu, "#mention-list", 0).await;
    wait_for_value(&minsu, "@지우 ").await;
    minsu
        .type_into("#composer-input", &format!("회의 시작해요{ENTER}"))
        .await;
    jiwoo.wait_for_text("@지우 회의 시작해요").await;
    wait_for_count(&jiwoo, ".message.mention", 1).await;

    minsu.close().await;
    jiwoo.close().await;
}
