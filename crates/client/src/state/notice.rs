//! What the user is told: why something failed ([`Problem`]) and the
//! toasts ([`Toast`]). Kept as data; `crate::words` words them.

use super::*;

/// Why something the user did failed. Kept as data, not a sentence: the
/// interface words it in the reader's language (`crate::words`), and a
/// language switch rewords what is already on screen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Problem {
    /// The server refused it with `code`; `detail` is the server's own
    /// explanation, shown only for codes the interface has no sentence for.
    Refused { code: ErrorCode, detail: String },
    /// There was no connection to do it on.
    NotConnected,
    /// A direct message to oneself.
    DmToSelf,
    /// Sent, but the server did not confirm it within [`PENDING_TIMEOUT_MS`].
    Unconfirmed,
    /// A moderator muted the user in that room for `secs` more seconds.
    Muted { secs: u64 },
    /// Joining `room` was refused with `code` (`forbidden`: banned, invited
    /// only, or a wrong or missing password; `room_full`).
    JoinRefused { room: RoomId, code: ErrorCode },
}

/// What a toast says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToastBody {
    /// Text from the server (a message, a notice), shown as it is.
    Text(String),
    /// A failure, worded in the reader's language.
    Problem(Problem),
    /// A system notice, worded in the reader's language.
    Notice(SystemNotice),
    /// `by` removed the user from `room` (`banned`: for good), with a
    /// reason ("" = none).
    Removed {
        room: RoomId,
        by: UserName,
        banned: bool,
        reason: String,
    },
    /// The toast's `from` invited the user to the toast's `room`.
    Invite,
}

/// Why a toast is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Dm,
    Mention,
    System,
    Error,
    /// An invitation to a room: the toast offers to join it.
    Invite,
}

/// A short notice in the corner of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub id: u64,
    pub kind: ToastKind,
    pub room: Option<RoomId>,
    pub from: Option<UserName>,
    pub body: ToastBody,
    /// When it goes away by itself.
    pub until_ms: i64,
}

impl ChatState {
    /// A `notification` frame: a toast (and a desktop notice when the tab
    /// is hidden), unless the room is on screen or the sender is blocked.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn notification(
        &mut self,
        kind: NotificationKind,
        room: Option<RoomId>,
        from: Option<UserName>,
        text: String,
        notice: Option<SystemNotice>,
        now_ms: i64,
        out: &mut Vec<Command>,
    ) {
        // The room on screen needs no toast; a blocked user gets none.
        let shown = room.as_ref().is_some_and(|r| self.is_reading(r))
            || from.as_ref().is_some_and(|f| self.is_blocked(f));
        if !shown {
            let kind = match kind {
                NotificationKind::Dm => ToastKind::Dm,
                NotificationKind::Mention => ToastKind::Mention,
                NotificationKind::System => ToastKind::System,
                NotificationKind::Invite => ToastKind::Invite,
            };
            // A notice the client knows is worded in the reader's
            // language; anything else shows the server's text.
            let body = match (notice, kind) {
                (_, ToastKind::Invite) => ToastBody::Invite,
                (Some(notice), _) => ToastBody::Notice(notice),
                (None, _) => ToastBody::Text(text),
            };
            if !self.visible {
                out.push(Command::Notify {
                    kind,
                    from: from.clone(),
                    body: body.clone(),
                    room: room.clone(),
                });
            }
            self.toast(kind, room, from, body, now_ms);
        }
    }
}
