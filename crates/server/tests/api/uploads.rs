//! Image sharing: checked by content, bounded in size, members only, served
//! back byte for byte with safe headers.

use confab_shared::{Message, ServerMsg};
use reqwest::multipart::{Form, Part};

use confab_testkit::*;

pub(crate) use confab_testkit::{png, GIF};

pub(crate) async fn upload(
    app: &TestApp,
    who: &Session,
    room: &str,
    name: &str,
    mime: &str,
    data: Vec<u8>,
) -> reqwest::Response {
    let part = Part::bytes(data)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap();
    let form = Form::new().part("file", part).text("text", "look at this");
    http()
        .post(app.url(&format!("/api/rooms/{room}/attachments")))
        .bearer_auth(&who.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_gif_is_stored_broadcast_resumed_and_served_back_byte_for_byte() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut b = app.connect(&bob).await;
    let res = upload(
        &app,
        &alice,
        "lobby",
        "party.gif",
        "image/gif",
        GIF.to_vec(),
    )
    .await;
    assert_eq!(res.status(), 201);
    let message: Message = res.json().await.unwrap();
    let attachment = message.attachment.clone().expect("an attachment");
    assert_eq!(
        (attachment.mime.as_str(), attachment.bytes),
        ("image/gif", GIF.len() as u64)
    );
    assert!(attachment.url.starts_with("/uploads/") && attachment.url.ends_with(".gif"));
    // Its size in pixels, from the image itself: clients reserve its box.
    assert_eq!((attachment.width, attachment.height), (Some(1), Some(1)));
    assert!(
        !attachment.url.contains("party"),
        "the server chooses the name"
    );
    assert_eq!(message.text, "look at this");

    match b.recv_significant().await {
        ServerMsg::Message { message: got } => assert_eq!(got, message),
        other => panic!("{other:?}"),
    }
    let joined = b.join("lobby", Some(0)).await;
    assert!(
        matches!(joined, ServerMsg::Joined { messages, .. } if messages == vec![message.clone()])
    );

    let res = http().get(app.url(&attachment.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/gif");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age=31536000"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), GIF);
}

#[tokio::test]
async fn wrong_content_too_large_or_not_a_member_are_refused_and_nothing_is_posted() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut b = app.connect(&bob).await;

    // An executable renamed to .gif, claiming image/gif.
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.resize(4096, 0);
    let res = upload(&app, &alice, "lobby", "cat.gif", "image/gif", elf).await;
    assert_eq!(res.status(), 415);
    let body: confab_shared::ErrorBody = res.json().await.unwrap();
    assert_eq!(body.code, confab_shared::ErrorCode::UnsupportedMediaType);

    let mut big = GIF.to_vec();
    big.resize(5 * 1024 * 1024 + 1, 0);
    let res = upload(&app, &alice, "lobby", "big.gif", "image/gif", big).await;
    assert_eq!(res.status(), 413);

    let mut exact = GIF.to_vec();
    exact.resize(5 * 1024 * 1024, 0);
    assert_eq!(
        upload(&app, &alice, "lobby", "ok.gif", "image/gif", exact)
            .await
            .status(),
        201
    );
    assert!(matches!(
        b.recv_significant().await,
        ServerMsg::Message { .. }
    ));

    let mut secret = app.connect(&bob).await;
    secret.join("secret", None).await;
    let res = upload(&app, &alice, "secret", "x.gif", "image/gif", GIF.to_vec()).await;
    assert_eq!(res.status(), 403);
    let res = upload(
        &app,
        &alice,
        "dm:bob:carol",
        "x.gif",
        "image/gif",
        GIF.to_vec(),
    )
    .await;
    assert_eq!(res.status(), 403);

    // Only the one good upload became a message; no stray files either.
    b.expect_silence(std::time::Duration::from_millis(300))
        .await;
    let files: Vec<_> = std::fs::read_dir(app.data_dir.path().join("uploads"))
        .unwrap()
        .collect();
    assert_eq!(files.len(), 1);
}

#[tokio::test]
async fn upload_paths_cannot_escape_the_uploads_directory() {
    let app = spawn_app().await;
    std::fs::write(app.data_dir.path().join("uploads").join("notes.gif"), GIF).unwrap();
    for path in [
        "/uploads/../confab.db",
        "/uploads/..%2Fconfab.db",
        "/uploads/%2e%2e%2fconfab.db",
        "/uploads/..%5Cconfab.db",
        "/uploads/notes.gif",
        "/uploads/0123456789abcdef0123456789abcdef.exe",
        "/uploads/0123456789abcdef0123456789abcdef.gif",
    ] {
        let res = http().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
}

/// Posts `data` as an image to `room` with the given extra form fields.
pub(crate) async fn upload_with(
    app: &TestApp,
    token: &str,
    room: &str,
    data: Vec<u8>,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = Form::new().part("file", Part::bytes(data).file_name("x"));
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    http()
        .post(app.url(&format!("/api/rooms/{room}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The names in the app's uploads directory, sorted.
pub(crate) fn upload_files(app: &TestApp) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(app.data_dir.path().join("uploads"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The error code of a refusal.
pub(crate) async fn code(res: reqwest::Response) -> confab_shared::ErrorCode {
    res.json::<confab_shared::ErrorBody>().await.unwrap().code
}
