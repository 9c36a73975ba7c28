//! The chat reducer, frame by frame, on the host.

use confab_client::state::{
    Action, ChatState, Command, ConnStatus, Problem, SendStatus, ToastBody, ToastKind,
    PENDING_TIMEOUT_MS, TOAST_TTL_MS, TYPING_TTL_MS,
};
use confab_shared::{
    ClientId, ClientMsg, Color, ErrorCode, Member, Message, MessageText, NotificationKind,
    PresenceEvent, RoomId, RoomSummary, ServerMsg, SystemNotice, Timestamp, User, UserName,
};

const T0: i64 = 1_795_390_200_000;

fn name(n: &str) -> UserName {
    UserName::parse(n).expect("test name")
}

fn room(r: &str) -> RoomId {
    RoomId::parse(r).expect("test room")
}

fn user(n: &str) -> User {
    User {
        id: format!("u-{n}"),
        name: name(n),
        color: Color::parse("#336699").expect("colour"),
    }
}

fn member(n: &str, online: bool) -> Member {
    Member {
        name: name(n),
        color: Color::parse("#aa0000").expect("colour"),
        online,
    }
}

fn msg(r: &str, seq: u64, from: &str) -> Message {
    Message {
        id: format!("{r}-{seq}"),
        room: room(r),
        seq,
        from: name(from),
        text: format!("message {seq} from {from}"),
        ts: Timestamp::from_millis(T0 + seq as i64 * 1000),
        attachment: None,
        kind: Default::default(),
        target: None,
        edited: None,
        deleted: false,
        event: None,
    }
}

fn msgs(r: &str, seqs: std::ops::RangeInclusive<u64>, from: &str) -> Vec<Message> {
    seqs.map(|s| msg(r, s, from)).collect()
}

fn cid(s: &str) -> ClientId {
    ClientId::parse(s).expect("client id")
}

fn text(s: &str) -> MessageText {
    MessageText::parse(s).expect("text")
}

fn summary(r: &str, unread: u64, latest_seq: u64) -> RoomSummary {
    RoomSummary {
        name: room(r),
        members: 2,
        online: 2,
        unread,
        latest_seq,
    }
}

fn welcome(me: &str, rooms: Vec<RoomSummary>) -> ServerMsg {
    ServerMsg::Welcome {
        user: user(me),
        rooms,
    }
}

fn joined(r: &str, messages: Vec<Message>, more: bool, latest_seq: u64) -> ServerMsg {
    ServerMsg::Joined {
        room: room(r),
        members: vec![member("alice", true), member("bob", true)],
        members_total: 2,
        messages,
        more,
        latest_seq,
        topic: String::new(),
        role: Default::default(),
    }
}

fn frames(commands: &[Command]) -> Vec<ClientMsg> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Send(f) => Some(f.clone()),
            Command::Notify { .. } => None,
        })
        .collect()
}

fn seqs(state: &ChatState, r: &str) -> Vec<u64> {
    state.rooms[&room(r)].messages.keys().copied().collect()
}

/// alice, connected, in `lobby` (messages 1..=3, active) and `rust` (1..=2).
fn connected() -> ChatState {
    let mut s = ChatState::new();
    s.act(Action::Connecting, T0);
    let out = s.apply(
        welcome("alice", vec![summary("lobby", 0, 3), summary("rust", 0, 2)]),
        T0,
    );
    assert_eq!(
        frames(&out),
        vec![
            ClientMsg::Join {
                room: room("lobby"),
                since: None,
                password: None,
            },
            ClientMsg::Join {
                room: room("rust"),
                since: None,
                password: None,
            },
        ]
    );
    s.apply(joined("lobby", msgs("lobby", 1..=3, "bob"), false, 3), T0);
    s.apply(joined("rust", msgs("rust", 1..=2, "bob"), false, 2), T0);
    assert_eq!(s.conn, ConnStatus::Open);
    assert_eq!(s.active, Some(room("lobby")));
    s
}

mod edits;
mod moderation;
mod people;
mod resume;
mod sending;
mod unread;
