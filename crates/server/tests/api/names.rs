//! Names in every script: NFKC, caseless and confusable-free nicknames,
//! room names in any script, invisible characters refused with `invalid`.

use confab_shared::{ErrorBody, ErrorCode, ServerMsg, SessionReply};
use serde_json::json;

use confab_testkit::*;

/// `POST /api/session {"name"}`: the status and body.
async fn claim(app: &TestApp, name: &str) -> (u16, serde_json::Value) {
    let res = http()
        .post(app.url("/api/session"))
        .json(&json!({ "name": name }))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn refused(app: &TestApp, name: &str, status: u16, code: ErrorCode) -> ErrorBody {
    let (got, body) = claim(app, name).await;
    assert_eq!(got, status, "{name:?}: {body}");
    let body: ErrorBody = serde_json::from_value(body).unwrap();
    assert_eq!(body.code, code, "{name:?}");
    body
}

#[tokio::test]
async fn every_script_works_end_to_end() {
    let app = spawn_app().await;
    let reader = app.login("reader").await;
    let mut reader_ws = app.connect(&reader).await;
    for (nick, room, text) in [
        ("민수", "한국어방", "안녕하세요"),
        ("ümlaut", "ümlaut", "grüß dich"),
        ("さくら", "日本語", "こんにちは"),
        ("محمد", "العربية", "مرحبا"),
    ] {
        let (status, body) = claim(&app, nick).await;
        assert_eq!(status, 200, "{nick}: {body}");
        let session: SessionReply = serde_json::from_value(body).unwrap();
        assert_eq!(session.user.name.as_str(), nick);
        let user = Session {
            token: session.token,
            name: nick.to_owned(),
        };
        let mut ws = app.connect(&user).await;
        match ws.join(room, None).await {
            ServerMsg::Joined { room: joined, .. } => assert_eq!(joined.to_string(), room),
            other => panic!("{nick} joining {room}: {other:?}"),
        }
        let seq = ws.say(room, text, "c1").await;
        assert_eq!(seq, 1, "{room}");

        // Another user reads it back: over WebSocket on joining, and over
        // REST (the room name travels percent-encoded in the path).
        match reader_ws.join(room, None).await {
            ServerMsg::Joined { messages, .. } => {
                let got: Vec<(&str, &str)> = messages
                    .iter()
                    .map(|m| (m.from.as_str(), m.text.as_str()))
                    .collect();
                assert_eq!(got, vec![(nick, text)], "{room}");
            }
            other => panic!("reader joining {room}: {other:?}"),
        }
        let res = app
            .get(&format!("/api/rooms/{room}/messages"), &reader)
            .await;
        assert_eq!(res.status(), 200, "{room}");
        let page: serde_json::Value = res.json().await.unwrap();
        assert_eq!(page["room"], json!(room));
        assert_eq!(page["messages"][0]["text"], json!(text));
        assert_eq!(page["messages"][0]["from"], json!(nick));

        // A direct message to a Korean (or any) name works too.
        reader_ws
            .send_json(json!({"type":"dm","to":nick,"text":"hi","client_id":"d1"}))
            .await;
        match reader_ws
            .recv_until(|m| matches!(m, ServerMsg::Ack { .. } | ServerMsg::Error { .. }))
            .await
        {
            ServerMsg::Ack { message, .. } => assert!(message.room.is_direct()),
            other => panic!("dm to {nick}: {other:?}"),
        }
    }
    // 30 Hangul syllables fit a nickname (the limit counts characters).
    let (status, body) = claim(&app, &"한".repeat(30)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn room_names_are_nfkc_and_caseless() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let mut ws = app.connect(&alice).await;
    for spelling in ["Rust", "RUST", "ＲＵＳＴ", "rust"] {
        // Raw JSON: the server, not the test's own parser, canonicalises.
        ws.send_json(json!({"type":"join","room":spelling})).await;
        match ws
            .recv_until(|m| matches!(m, ServerMsg::Joined { .. } | ServerMsg::Error { .. }))
            .await
        {
            ServerMsg::Joined { room, .. } => assert_eq!(room.to_string(), "rust", "{spelling}"),
            other => panic!("{spelling}: {other:?}"),
        }
    }
    let rooms: serde_json::Value = app.get("/api/rooms", &alice).await.json().await.unwrap();
    let names: Vec<&str> = rooms
        .as_array()
        .or_else(|| rooms["rooms"].as_array())
        .expect("a list of rooms")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .filter(|n| n.eq_ignore_ascii_case("rust"))
        .collect();
    assert_eq!(names, vec!["rust"], "one room, whatever the spelling");
}

#[tokio::test]
async fn caseless_and_confusable_names_are_taken() {
    let app = spawn_app().await;
    for first in ["alice", "bob", "mary", "Straße", "민수"] {
        app.login(first).await;
    }
    for lookalike in [
        "Alice",
        "ALICE",
        "аlice",      // Cyrillic а
        "ａｌｉｃｅ", // fullwidth: NFKC makes it alice
        "a1ice",      // digit one for l
        "alIce",      // capital I for l
        "bοb",        // Greek omicron
        "b0b",        // digit zero
        "rnary",      // r n for m
        "STRASSE",    // full case folding: ß is ss
        "민수",
    ] {
        let body = refused(&app, lookalike, 409, ErrorCode::NameTaken).await;
        assert!(!body.message.is_empty());
    }
    // Names that merely differ are free, in every script.
    for other in ["alicia", "rob", "민지", "ümlaut"] {
        let (status, body) = claim(&app, other).await;
        assert_eq!(status, 200, "{other}: {body}");
    }
}

#[tokio::test]
async fn invisible_characters_are_invalid_everywhere() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let mut ws = app.connect(&alice).await;
    for bad in [
        "ali\u{202E}ce", // right-to-left override
        "ali\u{202A}ce", // left-to-right embedding
        "ali\u{2066}ce", // left-to-right isolate
        "ali\u{200B}ce", // zero-width space
        "ali\u{200D}ce", // zero-width joiner
        "ali\u{FEFF}ce", // zero-width no-break space
        "ali\u{0007}ce", // bell
        "\u{3164}",      // Hangul filler, an invisible "letter"
    ] {
        let body = refused(&app, bad, 400, ErrorCode::Invalid).await;
        assert!(body.message.contains("bidi"), "{bad:?}: {}", body.message);
        // As a room name over WebSocket and over REST.
        ws.send_json(json!({"type":"join","room":bad})).await;
        match ws
            .recv_until(|m| matches!(m, ServerMsg::Joined { .. } | ServerMsg::Error { .. }))
            .await
        {
            ServerMsg::Error { code, .. } => assert_eq!(code, ErrorCode::Invalid, "{bad:?}"),
            other => panic!("{bad:?}: {other:?}"),
        }
        let path = format!("/api/rooms/{}/join", bad.replace('\u{0007}', "%07"));
        let res = app.post(&path, &alice, json!({})).await;
        assert_eq!(res.status(), 400, "{bad:?}");
        let body: ErrorBody = res.json().await.unwrap();
        assert_eq!(body.code, ErrorCode::Invalid);
    }
    // Nothing was created by any of them.
    let rooms: serde_json::Value = app.get("/api/rooms", &alice).await.json().await.unwrap();
    assert!(!rooms.to_string().contains("ali"), "{rooms}");
}

#[tokio::test]
async fn bidi_controls_stay_in_message_text() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let mut ws = app.connect(&alice).await;
    let text = "abc \u{202E}fed\u{202C} \u{2067}שלום\u{2069}";
    ws.send_json(json!({"type":"send","room":"lobby","text":text,"client_id":"b1"}))
        .await;
    match ws
        .recv_until(|m| matches!(m, ServerMsg::Ack { .. } | ServerMsg::Error { .. }))
        .await
    {
        ServerMsg::Ack { message, .. } => assert_eq!(message.text, text),
        other => panic!("{other:?}"),
    }
}
