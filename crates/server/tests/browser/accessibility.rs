//! An axe-core scan (the npm package, run inside the headless Chromium of
//! the test) of the sign-in, chat and account screens, in the light and the
//! dark theme: no serious or critical violation, no rule turned off.

use std::path::PathBuf;

use serde_json::{json, Value};

use super::webdriver::{Browser, Driver};
use super::*;

/// axe-core as `scripts/setup.sh test` installs it from npm (the version
/// `axe/package-lock.json` pins).
fn axe_source() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is not installed at {}: {e}\n\
             run scripts/setup.sh test (it runs `npm ci --prefix crates/server/tests/browser/axe`)",
            path.display()
        )
    })
}

/// The serious and critical violations axe finds on the page as it is.
async fn violations(browser: &Browser, axe: &str) -> Vec<Value> {
    browser.js(axe, json!([])).await;
    let found = browser
        .js_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
                .then(r => done(r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                 nodes: v.nodes.slice(0, 5).map(n =>
                                     n.target.join(' ') + ' :: ' + n.failureSummary) }))))
                .catch(e => done([{ id: 'axe-failed', help: String(e) }]));",
            json!([]),
        )
        .await;
    found.as_array().cloned().unwrap_or_default()
}

async fn assert_clean(browser: &Browser, axe: &str, screen: &str) {
    let found = violations(browser, axe).await;
    assert!(
        found.is_empty(),
        "{screen}: axe-core found serious or critical violations:\n{}",
        serde_json::to_string_pretty(&found).unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_chat_and_account_screens_pass_axe_in_light_and_dark() {
    let axe = axe_source();
    let app = serve_ui().await;
    let base = app.url("/");
    let driver = Driver::start().await;
    let seoyeon = Browser::open(&driver, "seoyeon").await;
    let bot = app.login("알림봇").await;
    for scheme in ["light", "dark"] {
        seoyeon
            .cdp(
                "Emulation.setEmulatedMedia",
                json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
            )
            .await;
        seoyeon.goto(&base).await;
        seoyeon.wait_for("#nickname-input").await;
        assert_clean(&seoyeon, &axe, &format!("sign-in ({scheme})")).await;

        let name = format!("서연{}", if scheme == "light" { "" } else { "2" });
        seoyeon
            .type_into("#nickname-input", &format!("{name}{ENTER}"))
            .await;
        seoyeon.wait_for("#composer-input").await;
        say(&seoyeon, "안녕하세요 @알림봇").await;
        let res = app
            .post(
                "/api/rooms/lobby/messages",
                &bot,
                json!({ "text": format!("@{name} 반가워요") }),
            )
            .await;
        assert_eq!(res.status(), 201);
        seoyeon.wait_for(".message.mention").await;
        assert_clean(&seoyeon, &axe, &format!("chat ({scheme})")).await;

        seoyeon.click(".account summary").await;
        seoyeon.wait_for("#claim-password").await;
        assert_clean(&seoyeon, &axe, &format!("account ({scheme})")).await;
        seoyeon.click(".sign-out").await;
    }
    seoyeon.close().await;
}
