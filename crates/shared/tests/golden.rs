//! Golden tests: the exact JSON of every frame variant, as PROTOCOL.md states
//! it. A change here is a change of the public contract.

use confab_shared::*;
use serde_json::json;

fn name(s: &str) -> UserName {
    UserName::parse(s).unwrap()
}

fn room(s: &str) -> RoomId {
    RoomId::parse(s).unwrap()
}

fn message() -> Message {
    Message {
        id: "m1".into(),
        room: room("lobby"),
        seq: 42,
        from: name("alice"),
        text: "hi".into(),
        ts: Timestamp::from_millis(1_795_341_600_000),
        attachment: None,
    }
}

const MESSAGE_JSON: &str = r#"{"id":"m1","room":"lobby","seq":42,"from":"alice","text":"hi","ts":"2026-11-22T10:00:00.000Z","attachment":null}"#;

fn user() -> User {
    User {
        id: "u1".into(),
        name: name("alice"),
        color: Color::parse("#a1b2c3").unwrap(),
    }
}

/// Serializes `value`, compares with `expected`, and parses it back.
fn golden<T>(value: T, expected: &str)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let text = serde_json::to_string(&value).unwrap();
    assert_eq!(text, expected);
    let back: T = serde_json::from_str(&text).unwrap();
    assert_eq!(back, value);
}

#[test]
fn client_frames() {
    golden(
        ClientMsg::Join {
            room: room("lobby"),
            since: Some(7),
        },
        r#"{"type":"join","room":"lobby","since":7}"#,
    );
    golden(
        ClientMsg::Join {
            room: room("lobby"),
            since: None,
        },
        r#"{"type":"join","room":"lobby"}"#,
    );
    golden(
        ClientMsg::Leave { room: room("rust") },
        r#"{"type":"leave","room":"rust"}"#,
    );
    golden(
        ClientMsg::Send {
            room: room("lobby"),
            text: MessageText::parse("hello").unwrap(),
            client_id: Some(ClientId::parse("c1").unwrap()),
        },
        r#"{"type":"send","room":"lobby","text":"hello","client_id":"c1"}"#,
    );
    golden(
        ClientMsg::Dm {
            to: name("bob"),
            text: MessageText::parse("psst").unwrap(),
            client_id: None,
        },
        r#"{"type":"dm","to":"bob","text":"psst"}"#,
    );
    golden(
        ClientMsg::Typing {
            room: room("dm:alice:bob"),
        },
        r#"{"type":"typing","room":"dm:alice:bob"}"#,
    );
    golden(
        ClientMsg::Read {
            room: room("lobby"),
            seq: 3,
        },
        r#"{"type":"read","room":"lobby","seq":3}"#,
    );
    golden(
        ClientMsg::History {
            room: room("lobby"),
            before: Some(40),
            limit: Some(HistoryLimit::parse(20).unwrap()),
        },
        r#"{"type":"history","room":"lobby","before":40,"limit":20}"#,
    );
    // Every variant's tag is a known type.
    for t in ClientMsg::TYPES {
        assert!(r#"join leave send dm typing read history"#.contains(t));
    }
}

#[test]
fn server_frames() {
    golden(
        ServerMsg::Welcome {
            user: user(),
            rooms: vec![RoomSummary {
                name: room("lobby"),
                members: 3,
                online: 2,
                unread: 1,
                latest_seq: 9,
            }],
        },
        r##"{"type":"welcome","user":{"id":"u1","name":"alice","color":"#a1b2c3"},"rooms":[{"name":"lobby","members":3,"online":2,"unread":1,"latest_seq":9}]}"##,
    );
    golden(
        ServerMsg::Joined {
            room: room("lobby"),
            members: vec![Member {
                name: name("bob"),
                color: Color::parse("#000000").unwrap(),
                online: true,
            }],
            members_total: 1,
            messages: vec![message()],
            more: false,
            latest_seq: 42,
        },
        &format!(
            r##"{{"type":"joined","room":"lobby","members":[{{"name":"bob","color":"#000000","online":true}}],"members_total":1,"messages":[{MESSAGE_JSON}],"more":false,"latest_seq":42}}"##
        ),
    );
    golden(
        ServerMsg::Left { room: room("rust") },
        r#"{"type":"left","room":"rust"}"#,
    );
    golden(
        ServerMsg::Message { message: message() },
        &format!(r#"{{"type":"message","message":{MESSAGE_JSON}}}"#),
    );
    golden(
        ServerMsg::Ack {
            client_id: Some(ClientId::parse("c1").unwrap()),
            message: message(),
        },
        &format!(r#"{{"type":"ack","client_id":"c1","message":{MESSAGE_JSON}}}"#),
    );
    golden(
        ServerMsg::Presence {
            room: room("lobby"),
            user: name("bob"),
            event: PresenceEvent::Online,
            members: 3,
            online: 2,
        },
        r#"{"type":"presence","room":"lobby","user":"bob","event":"online","members":3,"online":2}"#,
    );
    for (event, tag) in [
        (PresenceEvent::Joined, "joined"),
        (PresenceEvent::Left, "left"),
        (PresenceEvent::Offline, "offline"),
    ] {
        assert_eq!(serde_json::to_value(event).unwrap(), json!(tag));
    }
    golden(
        ServerMsg::Typing {
            room: room("lobby"),
            user: name("bob"),
        },
        r#"{"type":"typing","room":"lobby","user":"bob"}"#,
    );
    golden(
        ServerMsg::History {
            room: room("lobby"),
            messages: vec![message()],
            more: true,
        },
        &format!(r#"{{"type":"history","room":"lobby","messages":[{MESSAGE_JSON}],"more":true}}"#),
    );
    golden(
        ServerMsg::Notification {
            kind: NotificationKind::Mention,
            room: Some(room("lobby")),
            from: Some(name("alice")),
            text: "hi @bob".into(),
            message_id: Some("m1".into()),
        },
        r#"{"type":"notification","kind":"mention","room":"lobby","from":"alice","text":"hi @bob","message_id":"m1"}"#,
    );
    golden(
        ServerMsg::Notification {
            kind: NotificationKind::System,
            room: None,
            from: None,
            text: "server restarting".into(),
            message_id: None,
        },
        r#"{"type":"notification","kind":"system","room":null,"from":null,"text":"server restarting"}"#,
    );
    assert_eq!(
        serde_json::to_value(NotificationKind::Dm).unwrap(),
        json!("dm")
    );
    golden(
        ServerMsg::error(
            ErrorCode::NotMember,
            "join the room first",
            Some("c9".into()),
        ),
        r#"{"type":"error","code":"not_member","message":"join the room first","client_id":"c9"}"#,
    );
}

#[test]
fn attachments_and_rest_bodies() {
    let mut m = message();
    m.attachment = Some(Attachment {
        url: "/uploads/a.gif".into(),
        mime: "image/gif".into(),
        bytes: 12345,
    });
    golden(
        m,
        r#"{"id":"m1","room":"lobby","seq":42,"from":"alice","text":"hi","ts":"2026-11-22T10:00:00.000Z","attachment":{"url":"/uploads/a.gif","mime":"image/gif","bytes":12345}}"#,
    );
    golden(
        SessionReply {
            token: "t".into(),
            user: user(),
        },
        r##"{"token":"t","user":{"id":"u1","name":"alice","color":"#a1b2c3"}}"##,
    );
    golden(
        PublicRoom {
            name: room("lobby"),
            members: 2,
            online: 1,
            latest_seq: 5,
        },
        r#"{"name":"lobby","members":2,"online":1,"latest_seq":5}"#,
    );
    golden(
        ErrorBody::new(ErrorCode::NameTaken, "taken"),
        r#"{"code":"name_taken","message":"taken"}"#,
    );
    golden(
        ErrorBody {
            code: ErrorCode::Internal,
            message: "internal error".into(),
            request_id: Some("0192f5c3a1b27e4d9c8b6a5f4e3d2c1b".into()),
        },
        r#"{"code":"internal","message":"internal error","request_id":"0192f5c3a1b27e4d9c8b6a5f4e3d2c1b"}"#,
    );
}

#[test]
fn every_error_code_is_snake_case() {
    let codes = [
        (ErrorCode::BadJson, "bad_json"),
        (ErrorCode::UnknownType, "unknown_type"),
        (ErrorCode::Invalid, "invalid"),
        (ErrorCode::BinaryUnsupported, "binary_unsupported"),
        (ErrorCode::NotMember, "not_member"),
        (ErrorCode::Forbidden, "forbidden"),
        (ErrorCode::UnknownUser, "unknown_user"),
        (ErrorCode::RateLimited, "rate_limited"),
        (ErrorCode::Internal, "internal"),
        (ErrorCode::Unauthorized, "unauthorized"),
        (ErrorCode::NameTaken, "name_taken"),
        (ErrorCode::NotFound, "not_found"),
        (ErrorCode::PayloadTooLarge, "payload_too_large"),
        (ErrorCode::UnsupportedMediaType, "unsupported_media_type"),
        (ErrorCode::Unavailable, "unavailable"),
    ];
    for (code, tag) in codes {
        assert_eq!(serde_json::to_value(code).unwrap(), json!(tag));
        assert_eq!(code.as_str(), tag);
    }
}

#[test]
fn decode_tells_errors_apart() {
    let e = decode("{not json").unwrap_err();
    assert_eq!(e.code, ErrorCode::BadJson);
    assert_eq!(decode("[1]").unwrap_err().code, ErrorCode::BadJson);
    let e = decode(r#"{"type":"shout","client_id":"c1"}"#).unwrap_err();
    assert_eq!(
        (e.code, e.client_id.as_deref()),
        (ErrorCode::UnknownType, Some("c1"))
    );
    assert_eq!(
        decode(r#"{"room":"lobby"}"#).unwrap_err().code,
        ErrorCode::UnknownType
    );
    for bad in [
        r#"{"type":"join","room":"Not A Room"}"#,
        r#"{"type":"join"}"#,
        r#"{"type":"send","room":"lobby","text":""}"#,
        r#"{"type":"dm","to":"no spaces","text":"x"}"#,
        r#"{"type":"history","room":"lobby","limit":201}"#,
        r#"{"type":"read","room":"lobby","seq":-1}"#,
    ] {
        assert_eq!(decode(bad).unwrap_err().code, ErrorCode::Invalid, "{bad}");
    }
    let long = format!(
        r#"{{"type":"send","room":"lobby","text":"{}"}}"#,
        "x".repeat(4001)
    );
    assert_eq!(decode(&long).unwrap_err().code, ErrorCode::Invalid);
    // A spoofed sender is simply not part of the frame.
    let msg = decode(r#"{"type":"send","room":"lobby","text":"hi","from":"mallory"}"#).unwrap();
    assert_eq!(
        msg.to_json(),
        r#"{"type":"send","room":"lobby","text":"hi"}"#
    );
}
