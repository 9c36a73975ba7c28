//! A user's rooms, as the hub keeps them: a sorted vector, not a hash set.
//!
//! Why: the hub keeps one per online user twice (its own users, and the
//! cluster-wide view), and most users are in a handful of rooms. The
//! smallest table of a `HashSet` cost an idle socket ~200 bytes each
//! (`heaptrack`, 10 000 sockets), where a vector holds just its rooms;
//! lookups stay logarithmic for a user in thousands of rooms.

use confab_shared::RoomId;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RoomSet(Vec<RoomId>);

impl RoomSet {
    pub fn contains(&self, room: &RoomId) -> bool {
        self.0.binary_search(room).is_ok()
    }

    /// Adds `room`; `false` if it was there already.
    pub fn insert(&mut self, room: RoomId) -> bool {
        match self.0.binary_search(&room) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, room);
                true
            }
        }
    }

    /// Removes `room`; `false` if it was not there.
    pub fn remove(&mut self, room: &RoomId) -> bool {
        match self.0.binary_search(room) {
            Ok(at) => {
                self.0.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, RoomId> {
        self.0.iter()
    }
}

impl Extend<RoomId> for RoomSet {
    fn extend<I: IntoIterator<Item = RoomId>>(&mut self, rooms: I) {
        self.0.extend(rooms);
        self.0.sort_unstable();
        self.0.dedup();
        // A vector grows to four elements at least: most users are in one
        // or two rooms.
        self.0.shrink_to_fit();
    }
}

impl FromIterator<RoomId> for RoomSet {
    fn from_iter<I: IntoIterator<Item = RoomId>>(rooms: I) -> Self {
        let mut set = Self::default();
        set.extend(rooms);
        set
    }
}

impl IntoIterator for RoomSet {
    type Item = RoomId;
    type IntoIter = std::vec::IntoIter<RoomId>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a RoomSet {
    type Item = &'a RoomId;
    type IntoIter = std::slice::Iter<'a, RoomId>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::RoomSet;
    use confab_shared::RoomId;

    fn room(name: &str) -> RoomId {
        RoomId::parse(name).expect("a valid room name")
    }

    #[test]
    fn a_set_keeps_each_room_once_and_finds_it() {
        let mut set: RoomSet = ["b", "a", "b", "c"].into_iter().map(room).collect();
        assert_eq!(set.iter().count(), 3);
        assert!(set.contains(&room("a")) && set.contains(&room("c")));
        assert!(!set.insert(room("a")), "a is there already");
        assert!(set.insert(room("d")));
        assert!(set.remove(&room("b")));
        assert!(!set.remove(&room("b")), "b is gone");
        assert!(!set.contains(&room("b")));
        set.extend([room("a"), room("e")]);
        let names: Vec<String> = set.into_iter().map(|r| r.to_string()).collect();
        assert_eq!(names, ["a", "c", "d", "e"]);
    }
}
