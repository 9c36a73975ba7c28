//! Blocking from the member list: the blocked user's messages vanish from
//! the blocker's page (those already shown and new ones) and come back on
//! unblocking; their direct message to the blocker is refused and shown as
//! not sent. The blocked user's own page is not told.

use serde_json::json;

use super::webdriver::{Browser, Driver};
use super::*;

/// Clicks the Block/Unblock button of `name` in the room's member list.
async fn toggle_block(browser: &Browser, name: &str) {
    let clicked = browser
        .js(
            "const members = document.querySelector('details.members');
             members.open = true;
             const row = Array.from(members.querySelectorAll('li'))
                 .find(li => li.querySelector('bdi')?.textContent.trim() === arguments[0]);
             const button = row?.querySelector('.block-user');
             if (button) button.click();
             return !!button;",
            json!([name]),
        )
        .await;
    assert_eq!(
        clicked,
        json!(true),
        "{}: no block button for {name}",
        browser.name
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_users_messages_vanish_for_the_blocker_and_their_dms_are_refused() {
    let app = serve_ui().await;
    let base = app.url("/");
    let driver = Driver::start().await;
    let alice = Browser::open(&driver, "alice").await;
    let bob = Browser::open(&driver, "bob").await;
    log_in(&alice, &base, "alice").await;
    log_in(&bob, &base, "bob").await;
    let bot = app.login("bot").await;
    for b in [&alice, &bob] {
        b.type_into("#join-room-input", &format!("quiet{ENTER}"))
            .await;
        wait_for_room(b, |t| t == "#quiet").await;
    }
    app.post("/api/rooms/quiet/join", &bot, json!({})).await;
    say(&alice, "before the block").await;
    bob.wait_for_text("before the block").await;

    toggle_block(&bob, "alice").await;
    bob.wait_js(
        "alice's message hidden",
        "return Array.from(document.querySelectorAll('.message .text'))
             .some(e => e.textContent.includes('before the block'));",
        |shown| shown == &json!(false),
    )
    .await;
    bob.wait_for(".block-user[aria-pressed='true']").await;

    // A new message of alice's does not show either: the bot's, sent after
    // it, shows, so alice's had arrived and was hidden.
    say(&alice, "while blocked").await;
    alice.wait_for_text("while blocked").await;
    let res = app
        .post(
            "/api/rooms/quiet/messages",
            &bot,
            json!({"text":"bot after alice"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let page = bob.wait_for_text("bot after alice").await;
    assert!(
        !page.contains("while blocked"),
        "a blocked message shows:\n{page}"
    );

    // alice's direct message to bob is refused, on her page.
    alice
        .js(
            "Array.from(document.querySelectorAll('.person'))
                 .find(b => b.textContent.trim() === 'bob')?.click();",
            json!([]),
        )
        .await;
    wait_for_room(&alice, |t| t == "bob").await;
    say(&alice, "let me explain").await;
    alice.wait_for_text("Not sent: That is not allowed.").await;

    // Unblocked, everything alice wrote in the room is back.
    toggle_block(&bob, "alice").await;
    bob.wait_for_text("while blocked").await;
    bob.wait_for_text("before the block").await;
    alice.close().await;
    bob.close().await;
}
