//! Images in the message list: the box is the image's own shape before it
//! loads, a click opens a viewer that Escape closes, and an animated GIF
//! waits for a click when the system asks for reduced motion.

use reqwest::multipart::{Form, Part};
use serde_json::json;

use super::webdriver::{Browser, Driver};
use super::*;

/// Posts an image to `lobby` as `who`, over the HTTP API.
async fn share(app: &TestApp, who: &Session, name: &str, mime: &str, data: Vec<u8>) {
    let part = Part::bytes(data)
        .file_name(name.to_owned())
        .mime_str(mime)
        .expect("mime");
    let res = http()
        .post(app.url("/api/rooms/lobby/attachments"))
        .bearer_auth(&who.token)
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), 201);
}

/// Width and height of the first element matching `css`, in CSS pixels.
async fn size_of(browser: &Browser, css: &str) -> (f64, f64) {
    let rect = browser
        .js(
            "const r = document.querySelector(arguments[0]).getBoundingClientRect();
             return [r.width, r.height];",
            json!([css]),
        )
        .await;
    (
        rect[0].as_f64().unwrap_or_default(),
        rect[1].as_f64().unwrap_or_default(),
    )
}

async fn focused_class(browser: &Browser) -> String {
    browser
        .js("return document.activeElement?.className || '';", json!([]))
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_keeps_its_box_opens_in_a_viewer_and_a_gif_waits_under_reduced_motion() {
    let app = serve_ui().await;
    let base = app.url("/");
    let driver = Driver::start().await;
    let eunji = Browser::open(&driver, "eunji").await;
    log_in(&eunji, &base, "은지").await;
    let bot = app.login("사진봇").await;

    // 400x200 as uploaded, with pixels no browser can decode: only the size
    // the message carries can give the box its 2:1 shape.
    share(&app, &bot, "wide.png", "image/png", png(400, 200, 2_000)).await;
    eunji.wait_for(".message .attachment img").await;
    let (w, h) = size_of(&eunji, ".message .attachment").await;
    assert!(w > 100.0 && (w / h - 2.0).abs() < 0.05, "box {w}x{h}");
    eunji.screenshot("12-image-box").await;

    // A click opens the viewer with the focus on its close button; Escape
    // closes it and gives the focus back.
    eunji.click(".message .attachment").await;
    wait_for_count(&eunji, ".image-viewer", 1).await;
    assert_eq!(focused_class(&eunji).await, "viewer-close");
    eunji.type_into(".viewer-close", "\u{E00C}").await;
    wait_for_count(&eunji, ".image-viewer", 0).await;
    assert!(focused_class(&eunji).await.contains("attachment"));

    // Reduced motion: a GIF shows as a still box until clicked.
    share(&app, &bot, "party.gif", "image/gif", GIF.to_vec()).await;
    eunji.wait_for(".message img[src$='.gif']").await;
    eunji
        .cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-reduced-motion", "value": "reduce" }] }),
        )
        .await;
    eunji.refresh().await;
    eunji.wait_for("#composer-input").await;
    wait_for_count(&eunji, ".attachment.still", 1).await;
    assert_eq!(count(&eunji, ".message img[src$='.gif']").await, 0);
    eunji.click(".attachment.still").await;
    wait_for_count(&eunji, ".image-viewer img[src$='.gif']", 1).await;
    eunji.screenshot("13-gif-on-demand").await;

    eunji.close().await;
}
