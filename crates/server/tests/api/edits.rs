//! Editing and deleting one's own messages (protocol version 2): each is an
//! entry of the room's log with its own seq, delivered, resumed and paged
//! like a message, and the message it targets shows its current state.

use std::time::Duration;

use confab_shared::{EntryKind, ErrorCode, Message, RoomId, ServerMsg};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::uploads::{upload, upload_files, GIF};
use confab_testkit::*;

/// Sends an `edit` or `delete` frame and returns what answers it: the
/// `ack`'s entry, or the error code.
async fn change(ws: &mut Ws, frame: Value) -> Result<Message, ErrorCode> {
    ws.ask(frame).await.map_err(|r| r.code)
}

/// The next `message` frame's entry.
async fn next_entry(ws: &mut Ws) -> Message {
    match ws.recv_significant().await {
        ServerMsg::Message { message } => message,
        other => panic!("expected a message frame, got {other:?}"),
    }
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    who: &Session,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = http()
        .request(method, app.url(path))
        .bearer_auth(&who.token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.expect("request")
}

#[tokio::test]
async fn an_author_edits_and_deletes_and_every_member_sees_it_in_log_order() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let mut sse = Sse::open(&app, &bob, None).await;
    let seq = a.say("lobby", "helo wrold", "m1").await;
    assert_eq!(next_entry(&mut b).await.seq, seq);

    let edit = change(
        &mut a,
        json!({"type":"edit","room":"lobby","seq":seq,"text":"hello world","client_id":"e1"}),
    )
    .await
    .expect("edited");
    assert_eq!(
        (edit.kind, edit.target, edit.seq, edit.text.as_str()),
        (EntryKind::Edit, Some(seq), seq + 1, "hello world")
    );
    assert_eq!(edit.from.as_str(), "alice");
    assert_eq!(
        next_entry(&mut b).await,
        edit,
        "members get the edit as it was acked"
    );

    // The message itself now shows its latest text, marked as edited.
    let page = app.history("lobby", &bob).await;
    let original = page.iter().find(|m| m.seq == seq).expect("the message");
    assert_eq!(original.text, "hello world");
    assert_eq!(original.kind, EntryKind::Message);
    assert_eq!(original.edited, Some(edit.ts));

    let delete = change(&mut a, json!({"type":"delete","room":"lobby","seq":seq}))
        .await
        .expect("deleted");
    assert_eq!(
        (delete.kind, delete.target, delete.seq, delete.text.as_str()),
        (EntryKind::Delete, Some(seq), seq + 2, "")
    );
    assert_eq!(next_entry(&mut b).await, delete);

    // SSE carries the same entries, in the same order.
    let mut streamed = Vec::new();
    while streamed.len() < 3 {
        let (_, m) = sse.next_message().await;
        if m.room == RoomId::lobby() && m.seq >= seq {
            streamed.push((m.seq, m.kind));
        }
    }
    assert_eq!(
        streamed,
        vec![
            (seq, EntryKind::Message),
            (seq + 1, EntryKind::Edit),
            (seq + 2, EntryKind::Delete)
        ]
    );

    // A client that resumes gets every kind, gap-free and in order, and no
    // text of the deleted message survives anywhere: not in the message,
    // not in the edit of it.
    drop(b);
    let mut b = app.connect(&bob).await;
    let joined = b.join("lobby", Some(seq - 1)).await;
    let ServerMsg::Joined {
        messages,
        latest_seq,
        ..
    } = &joined
    else {
        panic!("{joined:?}");
    };
    assert_eq!(*latest_seq, seq + 2);
    let kinds: Vec<(u64, EntryKind, Option<u64>)> =
        messages.iter().map(|m| (m.seq, m.kind, m.target)).collect();
    assert_eq!(
        kinds,
        vec![
            (seq, EntryKind::Message, None),
            (seq + 1, EntryKind::Edit, Some(seq)),
            (seq + 2, EntryKind::Delete, Some(seq))
        ]
    );
    assert!(messages[0].deleted && messages[0].text.is_empty() && messages[0].edited.is_none());
    assert!(messages[1].deleted && messages[1].text.is_empty());
    let json = serde_json::to_string(&joined).expect("json");
    assert!(
        !json.contains("helo") && !json.contains("hello"),
        "old text survived: {json}"
    );
    let page = serde_json::to_string(&app.history("lobby", &bob).await).expect("json");
    assert!(!page.contains("hello"), "{page}");
}

#[tokio::test]
async fn only_the_author_changes_a_message_and_a_refusal_changes_nothing() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let seq = a.say("lobby", "mine", "m1").await;
    let latest_before = seq;

    // Someone else's message: forbidden, over the socket and over HTTP.
    for frame in [
        json!({"type":"edit","room":"lobby","seq":seq,"text":"yours now","client_id":"x1"}),
        json!({"type":"delete","room":"lobby","seq":seq,"client_id":"x2"}),
    ] {
        assert_eq!(change(&mut b, frame).await, Err(ErrorCode::Forbidden));
    }
    let path = format!("/api/rooms/lobby/messages/{seq}");
    let res = send(
        &app,
        reqwest::Method::PATCH,
        &path,
        &bob,
        Some(json!({"text":"yours"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.expect("error body");
    assert_eq!(body["code"], "forbidden", "{body}");
    let res = send(&app, reqwest::Method::DELETE, &path, &bob, None).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // No such message: an unknown seq, an edit entry, another room.
    assert_eq!(
        change(
            &mut a,
            json!({"type":"edit","room":"lobby","seq":999,"text":"x"})
        )
        .await,
        Err(ErrorCode::NotFound)
    );
    let edit = change(
        &mut a,
        json!({"type":"edit","room":"lobby","seq":seq,"text":"mine!"}),
    )
    .await
    .expect("own edit");
    assert_eq!(
        change(
            &mut a,
            json!({"type":"edit","room":"lobby","seq":edit.seq,"text":"x"})
        )
        .await,
        Err(ErrorCode::NotFound),
        "an edit entry is no message"
    );
    // Not a member of the room: nothing about it is told.
    let side = app.login("carol").await;
    let mut c = app.connect(&side).await;
    c.say("lobby", "carol was here", "c1").await;
    assert!(matches!(
        c.join("side", None).await,
        ServerMsg::Joined { .. }
    ));
    let carols = c.say("side", "side note", "c2").await;
    assert_eq!(
        change(&mut a, json!({"type":"delete","room":"side","seq":carols})).await,
        Err(ErrorCode::NotMember)
    );

    // Bad input: empty text, a seq that is no number or 0.
    assert_eq!(
        change(
            &mut a,
            json!({"type":"edit","room":"lobby","seq":seq,"text":"  "})
        )
        .await,
        Err(ErrorCode::Invalid)
    );
    for bad in ["abc", "0", "-1"] {
        let res = send(
            &app,
            reqwest::Method::PATCH,
            &format!("/api/rooms/lobby/messages/{bad}"),
            &alice,
            Some(json!({"text":"x"})),
        )
        .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "seq {bad}");
    }

    // Deleted: nothing edits or deletes it again.
    change(&mut a, json!({"type":"delete","room":"lobby","seq":seq}))
        .await
        .expect("own delete");
    for frame in [
        json!({"type":"edit","room":"lobby","seq":seq,"text":"back"}),
        json!({"type":"delete","room":"lobby","seq":seq}),
    ] {
        assert_eq!(change(&mut a, frame).await, Err(ErrorCode::NotFound));
    }

    // Every refusal left the log alone: only the one edit, carol's message
    // and the one deletion took seqs, and they are gap-free.
    let page = app.history("lobby", &bob).await;
    let seqs: Vec<u64> = page.iter().map(|m| m.seq).filter(|s| *s >= seq).collect();
    assert_eq!(seqs, (seq..=latest_before + 3).collect::<Vec<_>>());
    let mine = page.iter().find(|m| m.seq == seq).expect("the message");
    assert!(mine.deleted);
}

#[tokio::test]
async fn http_edits_and_deletes_answer_with_the_new_entry_and_repeat_safely() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let res = app
        .post(
            "/api/rooms/lobby/messages",
            &alice,
            json!({"text":"from a bot"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let posted: Message = res.json().await.expect("message");
    let path = format!("/api/rooms/lobby/messages/{}", posted.seq);
    let body = json!({"text":"from a bot, fixed","client_id":"fix-1"});
    let res = send(
        &app,
        reqwest::Method::PATCH,
        &path,
        &alice,
        Some(body.clone()),
    )
    .await;
    assert_eq!(res.status(), 200);
    let edit: Message = res.json().await.expect("entry");
    assert_eq!(
        (edit.kind, edit.target, edit.text.as_str()),
        (EntryKind::Edit, Some(posted.seq), "from a bot, fixed")
    );
    // The same client id again (a retry): the same entry, nothing new.
    let res = send(&app, reqwest::Method::PATCH, &path, &alice, Some(body)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Message>().await.expect("entry"), edit);

    let res = send(&app, reqwest::Method::DELETE, &path, &alice, None).await;
    assert_eq!(res.status(), 200);
    let delete: Message = res.json().await.expect("entry");
    assert_eq!((delete.kind, delete.seq), (EntryKind::Delete, edit.seq + 1));
    let res = send(&app, reqwest::Method::DELETE, &path, &alice, None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn edits_notify_nobody_and_only_messages_count_as_unread() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let mut a = app.connect(&alice).await;
    let mut b = app.connect(&bob).await;
    let first = a.say("lobby", "hi @bob", "m1").await;
    b.recv_until(|m| matches!(m, ServerMsg::Notification { .. }))
        .await;
    change(
        &mut a,
        json!({"type":"edit","room":"lobby","seq":first,"text":"hi again @bob"}),
    )
    .await
    .expect("edited");
    // The edit arrives as an entry, and no second notification follows.
    loop {
        match b.recv_significant().await {
            ServerMsg::Message { message } if message.kind == EntryKind::Edit => break,
            ServerMsg::Message { .. } => continue,
            other => panic!("expected the edit, got {other:?}"),
        }
    }
    b.expect_silence(Duration::from_millis(300)).await;
    drop(b);

    let second = a.say("lobby", "another", "m2").await;
    change(&mut a, json!({"type":"delete","room":"lobby","seq":second}))
        .await
        .expect("deleted");
    // Bob comes back: two messages are unread (the edit and the deletion
    // are not), of four new entries.
    let mut b = app.connect_raw(&bob).await;
    let ServerMsg::Welcome { rooms, .. } = b.recv().await else {
        panic!("expected welcome");
    };
    let lobby = rooms
        .iter()
        .find(|r| r.name == RoomId::lobby())
        .expect("lobby");
    assert_eq!((lobby.unread, lobby.latest_seq), (2, second + 1));
}

#[tokio::test]
async fn deleting_a_message_takes_its_image_away_at_once() {
    let app = spawn_app().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let res = upload(&app, &alice, "lobby", "cat.gif", "image/gif", GIF.to_vec()).await;
    assert_eq!(res.status(), 201);
    let posted: Message = res.json().await.expect("message");
    let url = posted.attachment.expect("attachment").url;
    assert_eq!(app.get(&url, &bob).await.status(), 200);
    let res = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/rooms/lobby/messages/{}", posted.seq),
        &alice,
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    // Gone for everyone as soon as the deletion is answered ...
    assert_eq!(app.get(&url, &bob).await.status(), 404);
    assert_eq!(app.get(&url, &alice).await.status(), 404);
    // ... and its file follows (the sweep is woken by the deletion, not
    // left to its next quarter-hour tick).
    if app.settings.uploads_dir().is_some() {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !upload_files(&app).is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the file is still there: {:?}",
                upload_files(&app)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let page = app.history("lobby", &bob).await;
    let gone = page
        .iter()
        .find(|m| m.seq == posted.seq)
        .expect("the message");
    assert!(gone.deleted && gone.attachment.is_none() && gone.text.is_empty());
}
