//! The wire format of [`RedisBroker`](super::RedisBroker), serialized once:
//! the JSON header (everything but the frame), a newline, then the frame's
//! bytes as they are. Compact JSON never contains a raw newline, so the
//! first one ends the header, and the frame (already JSON) is neither
//! escaped nor parsed again.

use std::sync::Arc;

use bytestring::ByteString;
use confab_shared::{RoomId, User};
use serde::{Deserialize, Serialize};

use crate::bus::{BusBody, BusEvent, ConnId, NodeId};
use crate::store::LogEntry;

/// The header as written: borrows the event, so it is not cloned.
#[derive(Serialize)]
struct HeadOut<'a> {
    node: &'a str,
    body: BodyOut<'a>,
}

#[derive(Serialize)]
enum BodyOut<'a> {
    Logged {
        entry: &'a LogEntry,
        origin: Option<ConnId>,
    },
    Typing {
        room: &'a RoomId,
        user_id: &'a str,
    },
    Presence {
        user: &'a User,
        rooms: &'a [RoomId],
        online: bool,
    },
    SessionEnded {
        session: &'a str,
    },
    /// The sender may have dropped events: catch up from the store.
    Resync,
}

/// The header as read (the same shape as [`HeadOut`]).
#[derive(Deserialize)]
struct HeadIn {
    node: String,
    body: BodyIn,
}

#[derive(Deserialize)]
enum BodyIn {
    Logged {
        // Boxed: an entry is far bigger than the other variants.
        entry: Box<LogEntry>,
        origin: Option<ConnId>,
    },
    Typing {
        room: RoomId,
        user_id: String,
    },
    Presence {
        user: User,
        rooms: Vec<RoomId>,
        online: bool,
    },
    SessionEnded {
        session: String,
    },
    Resync,
}

pub(super) enum Incoming {
    Event(Arc<BusEvent>),
    Resync(NodeId),
}

const SEPARATOR: u8 = b'\n';

/// How every header `node` writes begins (fields serialize in order), so a
/// node skips its own events coming back without parsing them.
pub(super) fn header_prefix(node: &str) -> Vec<u8> {
    // A string always serializes; were it not to, the separator (never the
    // first byte of a payload) matches nothing and decoding decides.
    match serde_json::to_string(node) {
        Ok(name) => format!("{{\"node\":{name},").into_bytes(),
        Err(_) => vec![SEPARATOR],
    }
}

pub(super) fn encode(event: &BusEvent) -> serde_json::Result<Vec<u8>> {
    let (body, frame) = match &event.body {
        BusBody::Logged {
            entry,
            frame,
            origin,
        } => (
            BodyOut::Logged {
                entry,
                origin: *origin,
            },
            str::as_bytes(frame),
        ),
        BusBody::Typing {
            room,
            user_id,
            frame,
        } => (BodyOut::Typing { room, user_id }, str::as_bytes(frame)),
        BusBody::Presence {
            user,
            rooms,
            online,
        } => (
            BodyOut::Presence {
                user,
                rooms,
                online: *online,
            },
            &[][..],
        ),
        BusBody::SessionEnded { session } => (BodyOut::SessionEnded { session }, &[][..]),
    };
    let head = HeadOut {
        node: &event.node,
        body,
    };
    let mut out = Vec::with_capacity(160 + frame.len());
    serde_json::to_writer(&mut out, &head)?;
    out.push(SEPARATOR);
    out.extend_from_slice(frame);
    Ok(out)
}

pub(super) fn encode_resync(node: &str) -> Vec<u8> {
    let head = HeadOut {
        node,
        body: BodyOut::Resync,
    };
    // A struct of a string and a unit variant always serializes.
    let mut out = serde_json::to_vec(&head).unwrap_or_default();
    out.push(SEPARATOR);
    out
}

pub(super) fn decode(payload: &[u8]) -> Result<Incoming, String> {
    let split = payload
        .iter()
        .position(|b| *b == SEPARATOR)
        .ok_or("no header separator")?;
    let head: HeadIn = serde_json::from_slice(&payload[..split]).map_err(|e| e.to_string())?;
    let frame = || {
        std::str::from_utf8(&payload[split + 1..])
            .map(ByteString::from)
            .map_err(|e| format!("frame is not UTF-8: {e}"))
    };
    let node: NodeId = head.node.into();
    let body = match head.body {
        BodyIn::Resync => return Ok(Incoming::Resync(node)),
        BodyIn::Logged { entry, origin } => BusBody::Logged {
            entry: *entry,
            frame: frame()?,
            origin,
        },
        BodyIn::Typing { room, user_id } => BusBody::Typing {
            room,
            user_id,
            frame: frame()?,
        },
        BodyIn::Presence {
            user,
            rooms,
            online,
        } => BusBody::Presence {
            user,
            rooms,
            online,
        },
        BodyIn::SessionEnded { session } => BusBody::SessionEnded { session },
    };
    Ok(Incoming::Event(Arc::new(BusEvent { node, body })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typing(node: &str, frame: &str) -> BusEvent {
        BusEvent {
            node: node.into(),
            body: BusBody::Typing {
                room: RoomId::parse("general").unwrap(),
                user_id: "u1".into(),
                frame: ByteString::from(frame),
            },
        }
    }

    #[test]
    fn the_own_prefix_matches_own_events_only() {
        for node in ["a", "n\"q\\é", "8c0e-uuid"] {
            let own = header_prefix(node);
            assert!(encode(&typing(node, "{}")).unwrap().starts_with(&own));
            assert!(encode_resync(node).starts_with(&own));
            let other = format!("{node}x");
            assert!(!encode(&typing(&other, "{}")).unwrap().starts_with(&own));
        }
    }

    #[test]
    fn frames_with_newlines_and_empty_frames_round_trip() {
        let frame = "{\"t\":\"a\\nb\"}\n raw newline after the JSON too";
        let Ok(Incoming::Event(back)) = decode(&encode(&typing("a", frame)).unwrap()) else {
            panic!("not decoded")
        };
        let BusBody::Typing { frame: got, .. } = &back.body else {
            panic!("wrong body")
        };
        assert_eq!(&**got, frame);
        assert!(matches!(decode(&encode_resync("a")), Ok(Incoming::Resync(n)) if &*n == "a"));
        assert!(decode(b"{\"node\":\"a\"}").is_err());
        let ended = BusEvent {
            node: "a".into(),
            body: BusBody::SessionEnded {
                session: "ab12".into(),
            },
        };
        let Ok(Incoming::Event(back)) = decode(&encode(&ended).unwrap()) else {
            panic!("not decoded")
        };
        assert!(matches!(&back.body, BusBody::SessionEnded { session } if session == "ab12"));
        assert!(decode(b"garbage\n").is_err());
    }
}
