//! The hub's view of who is online anywhere in the cluster.
//!
//! Fed by presence events on the broker (a user's first connection on a
//! node, their last one closing) and repaired by the periodic snapshot of
//! the shared presence record: a node that died stops heartbeating, and
//! its users leave the view then. It also keeps each room's online count,
//! so answering "how many are online here" never waits on anything.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use confab_engine::bus::NodeId;
use confab_engine::presence::Snapshot;
use confab_shared::{RoomId, User};

use super::room_set::RoomSet;

/// A user seen on a node is not removed by a snapshot taken this soon
/// after: the snapshot may predate the event that added them.
const SETTLE: Duration = Duration::from_secs(5);

struct Seen {
    user: User,
    rooms: RoomSet,
    /// The nodes the user has connections on, and since when we know
    /// (a vector: one or two nodes each, and a map's smallest table would
    /// cost every online user ~150 bytes).
    nodes: Vec<(NodeId, Instant)>,
}

/// A user who came online or went offline cluster-wide, with their rooms.
pub struct Change {
    pub user: User,
    pub rooms: Vec<RoomId>,
    pub online: bool,
}

#[derive(Default)]
pub struct View {
    users: HashMap<String, Seen>,
    room_online: HashMap<RoomId, u32>,
}

impl View {
    pub fn is_online(&self, user_id: &str) -> bool {
        self.users.contains_key(user_id)
    }

    pub fn room_online(&self, room: &RoomId) -> u32 {
        self.room_online.get(room).copied().unwrap_or(0)
    }

    /// `user` has connections on `node`; a change if they were offline.
    pub fn up(&mut self, node: &NodeId, user: &User, rooms: &[RoomId]) -> Option<Change> {
        if let Some(seen) = self.users.get_mut(&user.id) {
            if !seen.nodes.iter().any(|(n, _)| n == node) {
                seen.nodes.push((node.clone(), Instant::now()));
            }
            return None;
        }
        let rooms: RoomSet = rooms.iter().cloned().collect();
        for room in &rooms {
            *self.room_online.entry(room.clone()).or_default() += 1;
        }
        self.users.insert(
            user.id.clone(),
            Seen {
                user: user.clone(),
                rooms: rooms.clone(),
                nodes: vec![(node.clone(), Instant::now())],
            },
        );
        Some(Change {
            user: user.clone(),
            rooms: rooms.into_iter().collect(),
            online: true,
        })
    }

    /// `user_id` has no connection left on `node`; a change if that was
    /// their last node.
    pub fn down(&mut self, node: &NodeId, user_id: &str) -> Option<Change> {
        let seen = self.users.get_mut(user_id)?;
        seen.nodes.retain(|(n, _)| n != node);
        if !seen.nodes.is_empty() {
            return None;
        }
        let seen = self.users.remove(user_id)?;
        for room in &seen.rooms {
            if let Some(n) = self.room_online.get_mut(room) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.room_online.remove(room);
                }
            }
        }
        Some(Change {
            user: seen.user,
            rooms: seen.rooms.into_iter().collect(),
            online: false,
        })
    }

    /// A membership began or ended: keeps the room's online count right.
    pub fn member(&mut self, user_id: &str, room: &RoomId, joined: bool) {
        let Some(seen) = self.users.get_mut(user_id) else {
            return;
        };
        if joined {
            if seen.rooms.insert(room.clone()) {
                *self.room_online.entry(room.clone()).or_default() += 1;
            }
        } else if seen.rooms.remove(room) {
            if let Some(n) = self.room_online.get_mut(room) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.room_online.remove(room);
                }
            }
        }
    }

    /// How many users and rooms the view keeps.
    pub fn sizes(&self) -> (usize, usize) {
        (self.users.len(), self.room_online.len())
    }

    /// Brings the view in line with the shared record, for every node but
    /// this one (whose connections the hub knows first-hand).
    pub fn reconcile(&mut self, snapshot: &Snapshot, me: &NodeId) -> Vec<Change> {
        let mut changes = Vec::new();
        let now = Instant::now();
        // Who the view has on other nodes that the record no longer has.
        let mut gone: Vec<(NodeId, String)> = Vec::new();
        for (user_id, seen) in &self.users {
            for (node, since) in &seen.nodes {
                if node == me {
                    continue;
                }
                let listed = snapshot
                    .nodes
                    .get(node)
                    .map(|users| users.iter().any(|u| &u.user.id == user_id));
                match listed {
                    // The node is dead: its users go at once.
                    None => gone.push((node.clone(), user_id.clone())),
                    Some(false) if now.duration_since(*since) > SETTLE => {
                        gone.push((node.clone(), user_id.clone()));
                    }
                    _ => {}
                }
            }
        }
        for (node, user_id) in gone {
            changes.extend(self.down(&node, &user_id));
        }
        for (node, users) in &snapshot.nodes {
            if node == me {
                continue;
            }
            for online in users {
                changes.extend(self.up(node, &online.user, &online.rooms));
            }
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_engine::presence::OnlineUser;
    use confab_shared::{Color, UserName};

    fn user(name: &str) -> User {
        User {
            id: format!("id-{name}"),
            name: UserName::parse(name).expect("name"),
            color: Color::parse("#112233").expect("color"),
        }
    }

    #[test]
    fn online_anywhere_counts_once_and_dead_nodes_take_their_users() {
        let (a, b, me): (NodeId, NodeId, NodeId) = ("a".into(), "b".into(), "me".into());
        let lobby = RoomId::lobby();
        let mut view = View::default();
        assert!(view
            .up(&a, &user("ann"), std::slice::from_ref(&lobby))
            .is_some());
        assert!(view
            .up(&b, &user("ann"), std::slice::from_ref(&lobby))
            .is_none());
        assert_eq!(view.room_online(&lobby), 1);
        assert!(view.down(&a, "id-ann").is_none(), "still on b");
        // b dies: the snapshot no longer lists it.
        let changes = view.reconcile(&Snapshot::default(), &me);
        assert_eq!(changes.len(), 1);
        assert!(!changes[0].online);
        assert_eq!(view.room_online(&lobby), 0);
        // A user the view missed comes online from the snapshot.
        let snapshot = Snapshot {
            nodes: HashMap::from([(
                a.clone(),
                vec![OnlineUser {
                    user: user("bo"),
                    rooms: vec![lobby.clone()],
                }],
            )]),
        };
        assert_eq!(view.reconcile(&snapshot, &me).len(), 1);
        assert!(view.is_online("id-bo"));
        view.member("id-bo", &lobby, false);
        assert_eq!(view.room_online(&lobby), 0);
        // Nothing is kept for a room nobody online is in.
        assert_eq!(view.sizes(), (1, 0));
    }
}
