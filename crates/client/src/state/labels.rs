//! Labels that need no language: fallback colours, room labels (sentences
//! are worded in `crate::words`).

use super::*;

/// A stable colour for a user whose colour is not known yet.
pub fn fallback_color(name: &UserName) -> String {
    const PALETTE: [&str; 8] = [
        "#b03a2e", "#7d3c98", "#2e86c1", "#138d75", "#b9770e", "#a04000", "#1f618d", "#6c3483",
    ];
    let sum = name.key().bytes().fold(0usize, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(b as usize)
    });
    PALETTE[sum % PALETTE.len()].to_owned()
}

/// The name to show for a room: `#name`, or the other person of a DM.
pub fn room_label(room: &RoomId, me: Option<&UserName>) -> String {
    match room {
        RoomId::Public(name) => format!("#{name}"),
        RoomId::Direct(a, b) => match me.and_then(|me| room.peer_of(me)) {
            Some(peer) => peer.to_string(),
            None => format!("{a} & {b}"),
        },
    }
}
