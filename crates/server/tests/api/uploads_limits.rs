//! Limits on uploads: the per-user quota, the pixel caps read from the
//! header, and the size cap on a body without Content-Length. A refused
//! upload leaves no file and no message.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use confab_shared::ErrorCode;
use futures_util::StreamExt as _;
use reqwest::multipart::{Form, Part};

use super::uploads::{code, png, upload_files, upload_with};
use confab_testkit::*;

#[tokio::test]
async fn the_quota_refuses_uploads_over_it_for_that_user_only() {
    let app = spawn_app_with(|s| s.upload_quota_bytes = 100_000).await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let t = &alice.token;
    for _ in 0..2 {
        let res = upload_with(&app, t, "lobby", png(10, 10, 40_000), &[]).await;
        assert_eq!(res.status(), 201);
    }
    // 80 000 used: 30 000 more would pass 100 000.
    let res = upload_with(&app, t, "lobby", png(10, 10, 30_000), &[]).await;
    assert_eq!(res.status(), 413);
    assert_eq!(code(res).await, ErrorCode::QuotaExceeded);
    assert_eq!(upload_files(&app).len(), 2, "the refused one is not stored");
    // What still fits is accepted.
    let res = upload_with(&app, t, "lobby", png(10, 10, 15_000), &[]).await;
    assert_eq!(res.status(), 201);
    // Content-Length alone shows 1 MB cannot fit in the 5 000 left.
    let res = upload_with(&app, t, "lobby", png(10, 10, 1_000_000), &[]).await;
    assert_eq!(res.status(), 413);
    assert_eq!(code(res).await, ErrorCode::QuotaExceeded);
    // Bob has his own allowance.
    let res = upload_with(&app, &bob.token, "lobby", png(10, 10, 90_000), &[]).await;
    assert_eq!(res.status(), 201);
    assert_eq!(upload_files(&app).len(), 4);
    let history = app.get("/api/rooms/lobby/messages", &alice).await;
    let body: serde_json::Value = history.json().await.unwrap();
    assert_eq!(body["messages"].as_array().unwrap().len(), 4);

    // 0 turns the quota off.
    let app = spawn_app_with(|s| s.upload_quota_bytes = 0).await;
    let carol = app.login("carol").await;
    for _ in 0..3 {
        let res = upload_with(&app, &carol.token, "lobby", png(10, 10, 60_000), &[]).await;
        assert_eq!(res.status(), 201);
    }
}

/// A JPEG whose frame header claims `w`x`h`.
fn jpeg_claiming(w: u16, h: u16) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8];
    j.extend_from_slice(&h.to_be_bytes());
    j.extend_from_slice(&w.to_be_bytes());
    j.extend_from_slice(&[1, 1, 0x11, 0]);
    j.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 0x3F, 0, 0x12, 0xFF, 0xD9]);
    j
}

#[tokio::test]
async fn images_claiming_too_many_pixels_are_refused_before_anything_is_stored() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let mut ws = app.connect(&alice).await;
    for (what, image) in [
        ("a side over 16384", png(20_000, 10, 200)),
        ("64 megapixels", png(8_000, 8_000, 200)),
        ("a JPEG 16385 wide", jpeg_claiming(16_385, 1)),
        ("a JPEG of 65535x65535", jpeg_claiming(65_535, 65_535)),
    ] {
        let res = upload_with(&app, &alice.token, "lobby", image, &[]).await;
        assert_eq!(res.status(), 413, "{what}");
        assert_eq!(code(res).await, ErrorCode::PayloadTooLarge, "{what}");
    }
    // A header without a size (cut short, or a zero side) is no image.
    let mut cut = png(10, 10, 200);
    cut.truncate(20);
    for (what, image) in [("cut", cut), ("zero wide", png(0, 10, 200))] {
        let res = upload_with(&app, &alice.token, "lobby", image, &[]).await;
        assert_eq!(res.status(), 415, "{what}");
    }
    ws.expect_silence(Duration::from_millis(200)).await;
    assert!(upload_files(&app).is_empty());
    // Right at the limits is fine: 16384 a side, 49.2 megapixels.
    for image in [png(16_384, 3_000, 200), jpeg_claiming(640, 480)] {
        let res = upload_with(&app, &alice.token, "lobby", image, &[]).await;
        assert_eq!(res.status(), 201);
    }
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_gets_413_leaves_no_file_and_is_not_read_to_its_end() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    // 64 MiB offered in 64 KiB chunks, made only as the server reads them.
    const CHUNK: usize = 64 * 1024;
    const OFFERED: usize = 64 * 1024 * 1024;
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let mut first = Some(png(10, 10, CHUNK));
    let chunks = futures_util::stream::iter(0..OFFERED / CHUNK).map(move |_| {
        counter.fetch_add(CHUNK, Ordering::SeqCst);
        Ok::<_, std::io::Error>(first.take().unwrap_or_else(|| vec![0; CHUNK]))
    });
    let part = Part::stream(reqwest::Body::wrap_stream(chunks)).file_name("big.png");
    let res = http()
        .post(app.url("/api/rooms/lobby/attachments"))
        .bearer_auth(&alice.token)
        .multipart(Form::new().part("file", part))
        .send()
        .await;
    // The server answers as soon as the cap is passed and stops reading;
    // the client may see the answer or the closed connection.
    if let Ok(res) = res {
        assert_eq!(res.status(), 413);
    }
    let read = sent.load(Ordering::SeqCst);
    assert!(
        read < OFFERED / 2,
        "the server read {read} bytes of a refused body"
    );
    assert!(upload_files(&app).is_empty(), "{:?}", upload_files(&app));
}
