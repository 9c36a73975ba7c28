//! What an upload reveals: a DM's images only to its two participants,
//! no location or camera metadata in a photo, and no file left behind by an
//! upload that did not become a message.

use std::time::{Duration, SystemTime};

use confab_shared::Message;
use serde_json::json;

use super::uploads::{png, upload_files, upload_with, GIF};
use confab_testkit::*;

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
    s.extend_from_slice(payload);
    s
}

/// A baseline 8x8 grey JPEG's structure, with a phone's Exif (GPS IFD and
/// coordinates) when `gps`.
fn photo(gps: bool) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    j.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    if gps {
        j.extend(segment(
            0xE1,
            b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x88\x25\0\x04\0\0\0\x01\0\0\0\x1a\
              \0\x02\0\x01\0\x02\0\0\0\x02N\0\0\0\0\x02\0\x05\0\0\0\x03\0\0\0\x30\
              \0\0\0\x30\0\0\0\x01\0\0\0\x0c\0\0\0\x01\0\0\x12\x34\0\0\x03\xe8",
        ));
    }
    j.extend(segment(0xDB, &[0; 65]));
    j.extend(segment(0xC0, &[8, 0, 8, 0, 8, 1, 1, 0x11, 0]));
    j.extend(segment(
        0xC4,
        &[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ));
    j.extend(segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]));
    j.extend_from_slice(&[0x00, 0x3F, 0xFF, 0xD9]);
    j
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn exif_gps_is_stripped_from_an_uploaded_photo_and_nothing_else_changes() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let res = upload_with(&app, &alice.token, "lobby", photo(true), &[]).await;
    assert_eq!(res.status(), 201);
    let message: Message = res.json().await.unwrap();
    let attachment = message.attachment.unwrap();
    assert_eq!(attachment.bytes, photo(false).len() as u64);
    let res = http().get(app.url(&attachment.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let served = res.bytes().await.unwrap().to_vec();
    assert!(!contains(&served, b"Exif"));
    assert_eq!(served, photo(false));
}

async fn fetch(app: &TestApp, url: &str, auth: Option<(&str, &str)>) -> reqwest::Response {
    let mut req = http().get(app.url(url));
    if let Some((how, token)) = auth {
        req = match how {
            "cookie" => req.header(
                "cookie",
                format!("{}={token}", confab_shared::SESSION_COOKIE),
            ),
            _ => req.bearer_auth(token),
        };
    }
    req.send().await.unwrap()
}

/// Alice sends Bob a DM, then an image in it; its URL.
async fn dm_image(app: &TestApp, alice: &Session) -> String {
    let res = app
        .post("/api/dm/bob/messages", alice, json!({"text": "hi"}))
        .await;
    assert_eq!(res.status(), 201);
    let res = upload_with(app, &alice.token, "dm:alice:bob", GIF.to_vec(), &[]).await;
    assert_eq!(res.status(), 201);
    res.json::<Message>().await.unwrap().attachment.unwrap().url
}

async fn only_participants_see(app: &TestApp) {
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let carol = app.login("carol").await;
    let url = dm_image(app, &alice).await;
    for (how, who) in [("bearer", &bob), ("cookie", &alice), ("cookie", &bob)] {
        let res = fetch(app, &url, Some((how, &who.token))).await;
        assert_eq!(res.status(), 200, "{how} {}", who.name);
        let cache = res.headers()["cache-control"].to_str().unwrap().to_owned();
        assert!(
            cache.starts_with("private") && cache.contains("max-age="),
            "{cache}"
        );
        assert_eq!(res.bytes().await.unwrap().as_ref(), GIF);
    }
    // Everyone else: as if there were no such image.
    for auth in [
        Some(("bearer", carol.token.as_str())),
        Some(("cookie", carol.token.as_str())),
        Some(("bearer", "not-a-session")),
        None,
    ] {
        let res = fetch(app, &url, auth).await;
        assert_eq!(res.status(), 404, "{auth:?}");
    }
    // A room's image is a public link.
    let res = upload_with(app, &alice.token, "lobby", GIF.to_vec(), &[]).await;
    let url = res.json::<Message>().await.unwrap().attachment.unwrap().url;
    let res = fetch(app, &url, None).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("public"));
}

#[tokio::test]
async fn dm_images_go_only_to_the_two_participants_and_room_images_to_anyone() {
    let app = spawn_app().await;
    only_participants_see(&app).await;
}

/// PostgreSQL without an uploads directory keeps images in the database;
/// the same rule holds there. (With SQLite there is always a directory.)
#[tokio::test]
async fn dm_images_kept_in_the_database_are_as_private() {
    let app = spawn_app_with(|s| s.uploads_dir = None).await;
    only_participants_see(&app).await;
    if app.settings.is_postgres() {
        let dir = app.data_dir.path().join("uploads");
        assert!(
            !dir.exists() || upload_files(&app).is_empty(),
            "kept as blobs"
        );
    }
}

#[tokio::test]
async fn an_upload_that_does_not_become_a_message_leaves_no_file() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let fields = [("client_id", "photo-1")];
    let res = upload_with(&app, &alice.token, "lobby", GIF.to_vec(), &fields).await;
    assert_eq!(res.status(), 201);
    let first: Message = res.json().await.unwrap();
    // A retry: the original message comes back, the second copy goes.
    let res = upload_with(&app, &alice.token, "lobby", png(4, 4, 100), &fields).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Message>().await.unwrap(), first);
    let url = first.attachment.unwrap().url;
    assert_eq!(
        upload_files(&app),
        vec![url.trim_start_matches("/uploads/")]
    );
    // Not allowed to post there: refused before anything is written.
    let res = upload_with(&app, &alice.token, "dm:bob:carol", GIF.to_vec(), &[]).await;
    assert_eq!(res.status(), 403);
    assert_eq!(upload_files(&app).len(), 1);
}

fn age(path: &std::path::Path, by: Duration) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - by).unwrap();
}

#[tokio::test]
async fn leftovers_older_than_the_grace_period_are_swept_at_start() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let res = upload_with(&app, &alice.token, "lobby", GIF.to_vec(), &[]).await;
    let url = res.json::<Message>().await.unwrap().attachment.unwrap().url;
    let kept = url.trim_start_matches("/uploads/").to_owned();
    let dir = app.data_dir.path().join("uploads");
    let hour = Duration::from_secs(3600);
    let stray = [
        ".0123456789abcdef0123456789abcdef.gif.part",
        "fedcba9876543210fedcba9876543210.png",
    ];
    for name in stray {
        std::fs::write(dir.join(name), GIF).unwrap();
        age(&dir.join(name), hour);
    }
    // Young leftovers may be uploads on their way; other names are not ours.
    let young = ".00000000000000000000000000000000.gif.part";
    std::fs::write(dir.join(young), GIF).unwrap();
    std::fs::write(dir.join("notes.txt"), b"mine").unwrap();
    age(&dir.join("notes.txt"), hour);
    age(&dir.join(&kept), hour);

    let app = app.restart().await;
    let mut want = vec![kept.clone(), young.to_owned(), "notes.txt".to_owned()];
    want.sort();
    assert_eq!(upload_files(&app), want);
    let res = http().get(app.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
}
