//! Limits on uploads: the per-user quota, the pixel caps read from the
//! header, and the size cap on a body without Content-Length. A refused
//! upload leaves no file and no message.

use std::time::Duration;

use confab_shared::ErrorCode;

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

/// What became of a chunked body offered without end.
struct Offer {
    /// The answer's status, if the client could read it before the close.
    status: Option<u16>,
    /// The bytes the server let the client write.
    written: usize,
    /// Whether the server closed the connection (else it kept reading until
    /// the client gave up, after [`OFFER_FOR`]).
    closed: bool,
}

/// How long [`offer_without_end`] keeps writing at most.
const OFFER_FOR: Duration = Duration::from_secs(15);

/// Offers an endless image, 64 KiB chunks with `Transfer-Encoding: chunked`
/// and no `Content-Length`, to the upload route (with `token`, if any),
/// from a raw TCP client that, unlike reqwest, does not stop sending because
/// an answer came: only a closed connection or [`OFFER_FOR`] stops it.
async fn offer_without_end(app: &TestApp, token: Option<&str>) -> Offer {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    const CHUNK: usize = 64 * 1024;
    let stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let answer = tokio::spawn(async move {
        let mut head = Vec::new();
        // Whatever arrives before the connection ends; a reset may cut it.
        let _ = tokio::time::timeout(OFFER_FOR + WAIT, reader.read_to_end(&mut head)).await;
        let head = String::from_utf8_lossy(&head).into_owned();
        head.split(' ')
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok())
    });
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let head = format!(
        "POST /api/rooms/lobby/attachments HTTP/1.1\r\nHost: {}\r\n{auth}\
         Content-Type: multipart/form-data; boundary=b0undary\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
        app.addr
    );
    let mut first = b"--b0undary\r\nContent-Disposition: form-data; name=\"file\"; \
        filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n"
        .to_vec();
    first.extend(png(10, 10, CHUNK - first.len()));
    let framed = |data: &[u8]| {
        let mut chunk = format!("{:x}\r\n", data.len()).into_bytes();
        chunk.extend_from_slice(data);
        chunk.extend_from_slice(b"\r\n");
        chunk
    };
    let (first, zeros) = (framed(&first), framed(&[0; CHUNK]));
    let until = tokio::time::Instant::now() + OFFER_FOR;
    let (mut written, mut closed) = (0, writer.write_all(head.as_bytes()).await.is_err());
    // Bounded by time (OFFER_FOR), and so by count.
    while !closed && tokio::time::Instant::now() < until {
        let chunk = if written == 0 { &first } else { &zeros };
        match tokio::time::timeout_at(until, writer.write_all(chunk)).await {
            Ok(Ok(())) => written += CHUNK,
            // Reset or broken pipe: the server ended the connection.
            Ok(Err(_)) => closed = true,
            // Neither read nor closed: the loop ends on the deadline.
            Err(_) => {}
        }
    }
    drop(writer);
    let status = answer.await.expect("reader task");
    Offer {
        status,
        written,
        closed,
    }
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_gets_413_leaves_no_file_and_is_not_read_to_its_end() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    // The server answers as soon as a refusal is certain and then ends the
    // connection (after at most a second of discarding what arrives, so
    // that the client can read the answer), where actix would otherwise
    // read a chunked body to its end to keep the connection. The client
    // may see the answer or only the closed connection. Refused by the
    // handler once past the cap, and before the handler runs, for want of
    // a session:
    for (token, refusal) in [(Some(alice.token.as_str()), 413), (None, 401)] {
        let offer = offer_without_end(&app, token).await;
        println!(
            "refused with {:?}; the server took {} bytes, closed: {}",
            offer.status, offer.written, offer.closed
        );
        if let Some(status) = offer.status {
            assert_eq!(status, refusal);
        }
        assert!(
            offer.closed,
            "the server read {} bytes of a body refused with {refusal} and kept reading",
            offer.written
        );
    }
    assert!(upload_files(&app).is_empty(), "{:?}", upload_files(&app));
    // The server still serves this client.
    let res = upload_with(&app, &alice.token, "lobby", png(10, 10, 200), &[]).await;
    assert_eq!(res.status(), 201);
}
