//! How many users are online in each room, for the public room list.
//!
//! `GET /api/rooms` needs no session, so it must not put work on the hub
//! (which every socket shares) nor read Redis per request. The presence
//! keeper already reads the shared presence record of every node every
//! [`REFRESH_EVERY`](confab_engine::presence::REFRESH_EVERY); it tallies
//! that snapshot here, and the route reads the tally. The counts are
//! therefore cluster-wide and at most a refresh old.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use confab_engine::presence::Snapshot;
use confab_shared::RoomId;

#[derive(Default)]
pub struct OnlineBoard {
    counts: RwLock<Arc<HashMap<RoomId, u32>>>,
}

impl OnlineBoard {
    /// Users online in each room as of the latest snapshot (rooms with
    /// nobody online are absent).
    pub fn counts(&self) -> Arc<HashMap<RoomId, u32>> {
        Arc::clone(&self.counts.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Tallies a snapshot of every live node's online users: a user online
    /// on several nodes counts once per room.
    pub fn update(&self, snapshot: &Snapshot) {
        let mut rooms_of: HashMap<&str, HashSet<&RoomId>> = HashMap::new();
        for online in snapshot.nodes.values().flatten() {
            rooms_of
                .entry(online.user.id.as_str())
                .or_default()
                .extend(online.rooms.iter());
        }
        let mut counts: HashMap<RoomId, u32> = HashMap::new();
        for room in rooms_of.into_values().flatten() {
            *counts.entry(room.clone()).or_default() += 1;
        }
        *self.counts.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(counts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_engine::presence::OnlineUser;
    use confab_shared::{Color, User, UserName};

    fn online(id: &str, rooms: &[&str]) -> OnlineUser {
        OnlineUser {
            user: User {
                id: id.into(),
                name: UserName::parse(id).unwrap(),
                color: Color::parse("#336699").unwrap(),
            },
            rooms: rooms.iter().map(|r| RoomId::parse(r).unwrap()).collect(),
        }
    }

    #[test]
    fn a_user_on_two_nodes_counts_once() {
        let board = OnlineBoard::default();
        let snapshot = Snapshot {
            nodes: HashMap::from([
                (
                    "n1".into(),
                    vec![online("ann", &["lobby", "rust"]), online("bo", &["lobby"])],
                ),
                ("n2".into(), vec![online("ann", &["lobby", "go"])]),
            ]),
        };
        board.update(&snapshot);
        let counts = board.counts();
        let get = |r: &str| counts.get(&RoomId::parse(r).unwrap()).copied();
        assert_eq!(
            (get("lobby"), get("rust"), get("go")),
            (Some(2), Some(1), Some(1))
        );
        assert_eq!(get("nowhere"), None);
    }
}
