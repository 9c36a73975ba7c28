//! Room moderation in the UI: the room's creator (its owner) kicks a
//! member from the member list; the member's page drops the room and says
//! who removed them; the owner's log shows the kick as a line of its own.
//! Rejoined, the member sees the topic the owner sets in the settings
//! panel, and the owner deletes the member's message.

use serde_json::json;

use super::webdriver::{Browser, Driver};
use super::*;

/// Opens the member list of the room on screen.
async fn open_members(browser: &Browser) {
    browser
        .js(
            "const members = document.querySelector('details.members');
             if (members) members.open = true;
             return !!members;",
            json!([]),
        )
        .await;
}

/// Whether the sidebar lists a room called `room`.
async fn lists_room(browser: &Browser, room: &str) -> bool {
    browser
        .js(
            "return Array.from(document.querySelectorAll('.room-link .room-name'))
                 .some(e => e.textContent.trim().replace(/^#/, '') === arguments[0]);",
            json!([room]),
        )
        .await
        == json!(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_kicks_a_member_who_loses_the_room_and_sees_the_topic_after_rejoining() {
    let app = serve_ui().await;
    let base = app.url("/");
    let driver = Driver::start().await;
    let alice = Browser::open(&driver, "alice").await;
    let bob = Browser::open(&driver, "bob").await;
    log_in(&alice, &base, "alice").await;
    log_in(&bob, &base, "bob").await;
    // alice creates the room, so she owns it; then bob joins.
    alice
        .type_into("#join-room-input", &format!("modroom{ENTER}"))
        .await;
    wait_for_room(&alice, |t| t == "#modroom").await;
    bob.type_into("#join-room-input", &format!("modroom{ENTER}"))
        .await;
    wait_for_room(&bob, |t| t == "#modroom").await;
    say(&bob, "hello from bob").await;
    alice.wait_for_text("hello from bob").await;

    // A plain member gets no moderation buttons.
    open_members(&bob).await;
    assert_eq!(count(&bob, ".kick-user").await, 0);
    assert_eq!(count(&bob, ".room-settings").await, 0);

    // alice kicks bob: one click, then the browser's prompt (no reason).
    open_members(&alice).await;
    alice.wait_for("details.members .kick-user").await;
    alice.click("details.members .kick-user").await;
    alice.accept_dialog().await;
    alice.wait_for(".room-event[data-action='kick']").await;
    alice.wait_for_text("alice removed bob").await;

    // bob's page drops the room and says who removed him.
    let page = bob.wait_for_text("alice removed you from #modroom").await;
    // Nothing more is sent for the room (its read cursor neither).
    assert!(!page.contains("not a member"), "{page}");
    bob.wait_js(
        "modroom gone from the sidebar",
        "return Array.from(document.querySelectorAll('.room-link .room-name'))
             .some(e => e.textContent.trim().replace(/^#/, '') === 'modroom');",
        |listed| listed == &json!(false),
    )
    .await;
    assert!(!lists_room(&bob, "modroom").await);
    let page = bob.text().await;
    assert!(!page.contains("not a member"), "{page}");
    bob.screenshot("moderation-kicked").await;

    // A kick is not a ban: bob joins again; alice sets the topic in the
    // settings panel, and bob's header shows it.
    bob.type_into("#join-room-input", &format!("modroom{ENTER}"))
        .await;
    wait_for_room(&bob, |t| t == "#modroom").await;
    alice.click(".room-settings").await;
    alice.wait_for(".room-settings-panel .topic-input").await;
    alice
        .type_into(
            ".room-settings-panel .topic-input",
            &format!("Moderation today{ENTER}"),
        )
        .await;
    alice.wait_for(".room-event[data-action='topic']").await;
    alice
        .wait_for_text("alice set the topic: Moderation today")
        .await;
    bob.wait_js(
        "the topic in the header",
        "return document.querySelector('.room-topic')?.textContent.trim();",
        |topic| topic == &json!("Moderation today"),
    )
    .await;
    alice.screenshot("moderation-settings").await;

    // The owner deletes bob's message (his only one): a tombstone for both.
    super::composing::reveal_and_click(&alice, ".message:not(.own) .delete-message").await;
    alice.accept_dialog().await;
    wait_for_count(&bob, ".message.deleted", 1).await;
    wait_for_count(&alice, ".message.deleted", 1).await;
    assert_eq!(shown(&bob, "hello from bob").await, 0);
    assert_eq!(shown(&alice, "hello from bob").await, 0);
    alice.close().await;
    bob.close().await;
}
