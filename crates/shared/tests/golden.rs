//! Golden tests: the exact JSON of every frame variant, as PROTOCOL.md states
//! it. A change here is a change of the public contract.

use confab_shared::moderation::{RoomPassword, ShortText};
use confab_shared::*;
use std::collections::BTreeSet;

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
        kind: EntryKind::Message,
        target: None,
        edited: None,
        deleted: false,
        event: None,
    }
}

const MESSAGE_JSON: &str = r#"{"id":"m1","room":"lobby","seq":42,"from":"alice","text":"hi","ts":"2026-11-22T10:00:00.000Z","attachment":null,"kind":"message"}"#;

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

/// Records the `type` tag of every frame a golden test pins, so the test
/// can prove it covered every variant of the enum.
struct Seen(BTreeSet<&'static str>);

impl Seen {
    fn check<T>(&mut self, value: T, expected: &str)
    where
        T: Framed + serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let tag = value.kind();
        let json: serde_json::Value = serde_json::from_str(expected).unwrap();
        // The serde tag and the strum kind are two derivations of one name.
        assert_eq!(json["type"], json!(tag), "{expected}");
        self.0.insert(tag);
        golden(value, expected);
    }
}

trait Framed {
    fn kind(&self) -> &'static str;
}

impl Framed for ClientMsg {
    fn kind(&self) -> &'static str {
        ClientMsg::kind(self)
    }
}

impl Framed for ServerMsg {
    fn kind(&self) -> &'static str {
        ServerMsg::kind(self)
    }
}

#[test]
fn client_frames() {
    let mut seen = Seen(BTreeSet::new());
    seen.check(
        ClientMsg::Join {
            room: room("lobby"),
            since: Some(7),
            password: None,
        },
        r#"{"type":"join","room":"lobby","since":7}"#,
    );
    seen.check(
        ClientMsg::Join {
            room: room("lobby"),
            since: None,
            password: None,
        },
        r#"{"type":"join","room":"lobby"}"#,
    );
    seen.check(
        ClientMsg::Join {
            room: room("club"),
            since: None,
            password: Some(RoomPassword::parse("열쇠 key").unwrap()),
        },
        r#"{"type":"join","room":"club","password":"열쇠 key"}"#,
    );
    seen.check(
        ClientMsg::Moderate {
            room: room("club"),
            action: ModAction::Mute {
                user: name("bob"),
                seconds: 600,
                reason: ShortText::parse("도배").unwrap(),
            },
            client_id: None,
        },
        r#"{"type":"moderate","room":"club","action":"mute","user":"bob","seconds":600,"reason":"도배"}"#,
    );
    seen.check(
        ClientMsg::Leave { room: room("rust") },
        r#"{"type":"leave","room":"rust"}"#,
    );
    seen.check(
        ClientMsg::Send {
            room: room("lobby"),
            text: MessageText::parse("hello").unwrap(),
            client_id: Some(ClientId::parse("c1").unwrap()),
        },
        r#"{"type":"send","room":"lobby","text":"hello","client_id":"c1"}"#,
    );
    seen.check(
        ClientMsg::Dm {
            to: name("bob"),
            text: MessageText::parse("psst").unwrap(),
            client_id: None,
        },
        r#"{"type":"dm","to":"bob","text":"psst"}"#,
    );
    seen.check(
        ClientMsg::Edit {
            room: room("lobby"),
            seq: 7,
            text: MessageText::parse("hello, fixed").unwrap(),
            client_id: Some(ClientId::parse("c2").unwrap()),
        },
        r#"{"type":"edit","room":"lobby","seq":7,"text":"hello, fixed","client_id":"c2"}"#,
    );
    seen.check(
        ClientMsg::Delete {
            room: room("lobby"),
            seq: 7,
            client_id: None,
        },
        r#"{"type":"delete","room":"lobby","seq":7}"#,
    );
    seen.check(
        ClientMsg::Typing {
            room: room("dm:alice:bob"),
        },
        r#"{"type":"typing","room":"dm:alice:bob"}"#,
    );
    seen.check(
        ClientMsg::Read {
            room: room("lobby"),
            seq: 3,
        },
        r#"{"type":"read","room":"lobby","seq":3}"#,
    );
    seen.check(
        ClientMsg::History {
            room: room("lobby"),
            before: Some(40),
            limit: Some(HistoryLimit::parse(20).unwrap()),
        },
        r#"{"type":"history","room":"lobby","before":40,"limit":20}"#,
    );
    // Every variant has a golden, and the list `decode` accepts is exactly
    // the enum's variants.
    let all: BTreeSet<&'static str> = ClientMsgKind::iter().map(<&str>::from).collect();
    assert_eq!(seen.0, all);
    assert_eq!(ClientMsg::TYPES.into_iter().collect::<BTreeSet<_>>(), all);
}

#[test]
fn server_frames() {
    let mut seen = Seen(BTreeSet::new());
    seen.check(
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
    seen.check(
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
            topic: String::new(),
            role: RoomRole::Member,
        },
        &format!(
            r##"{{"type":"joined","room":"lobby","members":[{{"name":"bob","color":"#000000","online":true}}],"members_total":1,"messages":[{MESSAGE_JSON}],"more":false,"latest_seq":42}}"##
        ),
    );
    seen.check(
        ServerMsg::Left { room: room("rust") },
        r#"{"type":"left","room":"rust"}"#,
    );
    seen.check(
        ServerMsg::Message { message: message() },
        &format!(r#"{{"type":"message","message":{MESSAGE_JSON}}}"#),
    );
    seen.check(
        ServerMsg::Ack {
            client_id: Some(ClientId::parse("c1").unwrap()),
            message: message(),
        },
        &format!(r#"{{"type":"ack","client_id":"c1","message":{MESSAGE_JSON}}}"#),
    );
    seen.check(
        ServerMsg::Presence {
            room: room("lobby"),
            user: name("bob"),
            users: Vec::new(),
            event: PresenceEvent::Online,
            members: 3,
            online: 2,
            omitted: 0,
        },
        r#"{"type":"presence","room":"lobby","user":"bob","event":"online","members":3,"online":2}"#,
    );
    golden(
        ServerMsg::Presence {
            room: room("lobby"),
            user: name("bob"),
            users: vec![name("bob"), name("carol")],
            event: PresenceEvent::Offline,
            members: 3,
            online: 0,
            omitted: 0,
        },
        r#"{"type":"presence","room":"lobby","user":"bob","users":["bob","carol"],"event":"offline","members":3,"online":0}"#,
    );
    golden(
        ServerMsg::Presence {
            room: room("lobby"),
            user: name("bob"),
            users: vec![name("bob"), name("carol")],
            event: PresenceEvent::Online,
            members: 900,
            online: 800,
            omitted: 300,
        },
        r#"{"type":"presence","room":"lobby","user":"bob","users":["bob","carol"],"event":"online","members":900,"online":800,"omitted":300}"#,
    );
    for (event, tag) in [
        (PresenceEvent::Joined, "joined"),
        (PresenceEvent::Left, "left"),
        (PresenceEvent::Offline, "offline"),
    ] {
        assert_eq!(serde_json::to_value(event).unwrap(), json!(tag));
    }
    seen.check(
        ServerMsg::Typing {
            room: room("lobby"),
            user: name("bob"),
        },
        r#"{"type":"typing","room":"lobby","user":"bob"}"#,
    );
    seen.check(
        ServerMsg::History {
            room: room("lobby"),
            messages: vec![message()],
            more: true,
        },
        &format!(r#"{{"type":"history","room":"lobby","messages":[{MESSAGE_JSON}],"more":true}}"#),
    );
    seen.check(
        ServerMsg::Notification {
            kind: NotificationKind::Mention,
            room: Some(room("lobby")),
            from: Some(name("alice")),
            text: "hi @bob".into(),
            message_id: Some("m1".into()),
            notice: None,
        },
        r#"{"type":"notification","kind":"mention","room":"lobby","from":"alice","text":"hi @bob","message_id":"m1"}"#,
    );
    seen.check(
        ServerMsg::Notification {
            kind: NotificationKind::System,
            room: None,
            from: None,
            text: "server restarting".into(),
            message_id: None,
            notice: Some(SystemNotice::ServerRestarting),
        },
        r#"{"type":"notification","kind":"system","room":null,"from":null,"text":"server restarting","notice":"server_restarting"}"#,
    );
    assert_eq!(
        serde_json::to_value(NotificationKind::Dm).unwrap(),
        json!("dm")
    );
    seen.check(
        ServerMsg::error(
            ErrorCode::NotMember,
            "join the room first",
            Some("c9".into()),
        ),
        r#"{"type":"error","code":"not_member","message":"join the room first","client_id":"c9"}"#,
    );
    let all: BTreeSet<&'static str> = ServerMsgKind::iter().map(<&str>::from).collect();
    assert_eq!(seen.0, all, "every server frame variant has a golden");
}

#[test]
fn attachments_and_rest_bodies() {
    let mut m = message();
    m.attachment = Some(Attachment {
        url: "/uploads/a.gif".into(),
        mime: "image/gif".into(),
        bytes: 12345,
        width: None,
        height: None,
    });
    golden(
        m,
        r#"{"id":"m1","room":"lobby","seq":42,"from":"alice","text":"hi","ts":"2026-11-22T10:00:00.000Z","attachment":{"url":"/uploads/a.gif","mime":"image/gif","bytes":12345},"kind":"message"}"#,
    );
}

/// An image's size, when known, lets a client reserve its box.
#[test]
fn attachments_with_their_size() {
    golden(
        Attachment {
            url: "/uploads/a.png".into(),
            mime: "image/png".into(),
            bytes: 10,
            width: Some(640),
            height: Some(480),
        },
        r#"{"url":"/uploads/a.png","mime":"image/png","bytes":10,"width":640,"height":480}"#,
    );
}

/// Protocol version 2: edits and deletions are log entries of their own,
/// and the message they target shows its current state.
#[test]
fn log_entries_of_every_kind() {
    let mut edited = message();
    edited.text = "hi, fixed".into();
    edited.edited = Some(Timestamp::from_millis(1_795_341_660_000));
    golden(
        edited,
        r#"{"id":"m1","room":"lobby","seq":42,"from":"alice","text":"hi, fixed","ts":"2026-11-22T10:00:00.000Z","attachment":null,"kind":"message","edited":"2026-11-22T10:01:00.000Z"}"#,
    );
    let mut edit = message();
    edit.seq = 43;
    edit.kind = EntryKind::Edit;
    edit.target = Some(42);
    edit.text = "hi, fixed".into();
    golden(
        edit,
        r#"{"id":"m1","room":"lobby","seq":43,"from":"alice","text":"hi, fixed","ts":"2026-11-22T10:00:00.000Z","attachment":null,"kind":"edit","target":42}"#,
    );
    let mut tombstone = message();
    tombstone.text = String::new();
    tombstone.deleted = true;
    golden(
        tombstone,
        r#"{"id":"m1","room":"lobby","seq":42,"from":"alice","text":"","ts":"2026-11-22T10:00:00.000Z","attachment":null,"kind":"message","deleted":true}"#,
    );
    let mut delete = message();
    delete.seq = 44;
    delete.kind = EntryKind::Delete;
    delete.target = Some(42);
    delete.text = String::new();
    golden(
        delete,
        r#"{"id":"m1","room":"lobby","seq":44,"from":"alice","text":"","ts":"2026-11-22T10:00:00.000Z","attachment":null,"kind":"delete","target":42}"#,
    );
    // A version 1 message (no kind) is a message.
    let v1: Message = serde_json::from_str(
        r#"{"id":"m1","room":"lobby","seq":42,"from":"alice","text":"hi","ts":"2026-11-22T10:00:00.000Z","attachment":null}"#,
    )
    .unwrap();
    assert_eq!(v1, message());
    for kind in [EntryKind::Message, EntryKind::Edit, EntryKind::Delete] {
        assert_eq!(EntryKind::parse(kind.as_str()), Some(kind));
        assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
    }
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
        RoomList {
            rooms: vec![PublicRoom {
                name: room("lobby"),
                members: 2,
                online: 1,
                latest_seq: 5,
            }],
            next_cursor: None,
        },
        r#"{"rooms":[{"name":"lobby","members":2,"online":1,"latest_seq":5}],"next_cursor":null}"#,
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
    let mut tags = BTreeSet::new();
    for code in ErrorCode::iter() {
        let tag = code.as_str();
        assert!(
            !tag.is_empty() && tag.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{tag}"
        );
        assert_eq!(serde_json::to_value(code).unwrap(), json!(tag));
        assert_eq!(
            serde_json::from_value::<ErrorCode>(json!(tag)).unwrap(),
            code
        );
        assert!(tags.insert(tag), "{tag} twice");
    }
    assert!(tags.contains("name_taken") && tags.contains("too_many_rooms"));
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

/// The writer serializes a message once for its `message` and `ack` frames:
/// the frames it splices are exactly the ones `to_json` writes.
#[test]
fn spliced_message_and_ack_frames_equal_the_serialized_ones() {
    let mut with_quotes = message();
    with_quotes.text = "say \"hi\"\n\\ 안녕".into();
    for m in [message(), with_quotes] {
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            ServerMsg::message_json(&json),
            ServerMsg::Message { message: m.clone() }.to_json()
        );
        for client_id in [None, Some(ClientId::parse("c-\"1\"").unwrap())] {
            assert_eq!(
                ServerMsg::ack_json(client_id.as_ref(), &json),
                ServerMsg::Ack {
                    client_id: client_id.clone(),
                    message: m.clone()
                }
                .to_json()
            );
        }
    }
}

/// A moderation entry: the facts, tagged by `action`, and no sentence.
#[test]
fn moderation_entry() {
    let entry = Message {
        kind: EntryKind::Moderation,
        text: String::new(),
        event: Some(RoomEvent::Ban {
            user: name("bob"),
            reason: ShortText::parse("spam").unwrap(),
        }),
        ..message()
    };
    let json = serde_json::to_string(&entry).unwrap();
    assert_eq!(
        json,
        r#"{"id":"m1","room":"lobby","seq":42,"from":"alice","text":"","ts":"2026-11-22T10:00:00.000Z","attachment":null,"kind":"moderation","event":{"action":"ban","user":"bob","reason":"spam"}}"#
    );
    assert_eq!(serde_json::from_str::<Message>(&json).unwrap(), entry);
    let settings = RoomEvent::Settings {
        private: true,
        password: true,
        max_members: Some(20),
    };
    assert_eq!(
        serde_json::to_value(&settings).unwrap(),
        json!({"action": "settings", "private": true, "password": true, "max_members": 20})
    );
}

/// A room password never shows in debug output (logs).
#[test]
fn room_password_is_not_logged() {
    let join = ClientMsg::Join {
        room: room("club"),
        since: None,
        password: Some(RoomPassword::parse("hunter2").unwrap()),
    };
    assert!(!format!("{join:?}").contains("hunter2"));
}

/// Room settings: an absent password keeps the room's, `null` removes it.
#[test]
fn settings_keep_remove_or_set_the_password() {
    let parse = |json: &str| match serde_json::from_str::<ClientMsg>(json).unwrap() {
        ClientMsg::Moderate {
            action: ModAction::Settings(settings),
            ..
        } => settings.password,
        other => panic!("{other:?}"),
    };
    let frame = r#"{"type":"moderate","room":"club","action":"settings","private":true"#;
    assert_eq!(parse(&format!("{frame}}}")), None);
    assert_eq!(parse(&format!(r#"{frame},"password":null}}"#)), Some(None));
    assert_eq!(
        parse(&format!(r#"{frame},"password":"k"}}"#)),
        Some(Some(RoomPassword::parse("k").unwrap()))
    );
    let keep = ModAction::Settings(RoomSettings {
        private: true,
        password: None,
        max_members: None,
    });
    assert_eq!(
        serde_json::to_value(&keep).unwrap(),
        json!({"action":"settings","private":true,"max_members":null})
    );
}
