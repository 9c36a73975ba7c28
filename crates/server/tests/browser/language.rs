//! The interface in the reader's language: Korean picked from the
//! browser's languages, English switched to Korean from the user menu and
//! remembered across a reload, and the same events (a deletion, a day, a
//! device's last visit) worded for each reader from their structured fields.

use serde_json::json;

use super::webdriver::{Browser, Driver};
use super::*;

/// The `lang` of the page's `<html>`.
async fn page_lang(browser: &Browser) -> String {
    browser
        .js("return document.documentElement.lang;", json!([]))
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits until the page's `<html lang>` is `lang`.
async fn wait_for_lang(browser: &Browser, lang: &str) {
    browser
        .wait_js(
            &format!("html lang={lang}"),
            "return document.documentElement.lang;",
            |got| got.as_str() == Some(lang),
        )
        .await;
}

/// Picks `value` in the user menu's language `<select>` with a real click
/// on its option.
async fn pick_language(browser: &Browser, value: &str) {
    browser
        .click(&format!("#language-select option[value='{value}']"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn korean_from_the_browser_a_remembered_switch_and_events_in_each_language() {
    let app = serve_ui().await;
    let base = app.url("/");
    let driver = Driver::start().await;
    let minsu = Browser::open_in(&driver, "민수", "ko-KR,ko").await;
    let alice = Browser::open(&driver, "alice").await;

    // A Korean browser gets the Korean sign-in screen without asking.
    minsu.goto(&base).await;
    minsu.wait_for_text("닉네임을 정하세요").await;
    wait_for_lang(&minsu, "ko").await;
    log_in(&minsu, &base, "민수").await;
    let page = minsu.wait_for_text("로그아웃").await;
    assert!(page.contains("다이렉트 메시지"), "{page}");
    assert!(
        !page.contains("Sign out"),
        "English left on a Korean page:\n{page}"
    );

    // An English browser gets English.
    log_in(&alice, &base, "alice").await;
    alice.wait_for_text("Sign out").await;
    assert_eq!(page_lang(&alice).await, "en");

    // Both in one room; alice writes, then deletes it: one `delete` event
    // in the log, worded by each reader's page.
    for b in [&minsu, &alice] {
        b.type_into("#join-room-input", &format!("언어{ENTER}"))
            .await;
        wait_for_room(b, |t| t == "#언어").await;
    }
    say(&alice, "soon gone").await;
    minsu.wait_for_text("soon gone").await;
    let day = minsu.wait_for_text("오늘").await;
    assert!(day.contains("멤버 2명 · 접속 2명"), "{day}");
    super::composing::reveal_and_click(&alice, ".message.own .delete-message").await;
    alice.accept_dialog().await;
    alice.wait_for_text("This message was deleted.").await;
    minsu.wait_for_text("삭제된 메시지입니다.").await;
    minsu.screenshot("language-ko").await;

    // alice switches to Korean in the user menu: the page changes at once,
    // what is already on screen included.
    pick_language(&alice, "ko").await;
    wait_for_lang(&alice, "ko").await;
    let page = alice.wait_for_text("삭제된 메시지입니다.").await;
    assert!(page.contains("로그아웃") && page.contains("오늘"), "{page}");
    assert!(!page.contains("This message was deleted."), "{page}");

    // The devices list says when each was last seen, in Korean.
    alice.click(".account summary").await;
    alice.wait_for_text("마지막 접속 방금").await;

    // The choice is remembered: a reload (the server renders, the page
    // hydrates or starts) is Korean though the browser prefers English.
    alice.refresh().await;
    alice.wait_for("#composer-input").await;
    wait_for_lang(&alice, "ko").await;
    alice.wait_for_text("로그아웃").await;
    open_room(&alice, "언어").await;
    alice.wait_for_text("삭제된 메시지입니다.").await;

    // And back to English.
    pick_language(&alice, "en").await;
    wait_for_lang(&alice, "en").await;
    let page = alice.wait_for_text("This message was deleted.").await;
    assert!(
        page.contains("Sign out") && page.contains("Today"),
        "{page}"
    );

    // minsu's page never changed language.
    assert_eq!(page_lang(&minsu).await, "ko");
    minsu.close().await;
    alice.close().await;
}
