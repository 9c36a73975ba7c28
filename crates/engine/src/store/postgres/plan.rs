//! A batch applied in memory, in order, to what was read under the room
//! locks: which writes are logged, refused, unchanged or duplicates, and
//! the rows that follow. Positions are relative (`ord`, 1-based) until the
//! global counter has been moved.

use std::collections::{BTreeMap, HashMap, HashSet};

use confab_shared::{EntryKind, Message, RoomId, User};

use crate::store::{refusal_of_change, LogBody, LogEntry, NewMessage, Outcome, Refusal, Write};

/// (room, sender id, client id): what makes a post a repeat.
pub(super) type DupKey = (String, String, String);

/// What an edit leaves of its target: the new text and when it was written
/// (ms since the epoch).
pub(super) type Edited<'a> = (&'a str, i64);

/// A message that an edit or deletion may target, by (room, seq): its
/// author's id, its kind and whether it is deleted.
pub(super) type Targets = HashMap<(String, i64), (String, EntryKind, bool)>;

/// What the writes depend on, read under the room locks.
#[derive(Debug, Default)]
pub(super) struct State {
    /// `latest_seq` of every room of the batch that exists (and is locked).
    pub latest_seq: HashMap<String, i64>,
    /// The batch's (room, user id) pairs that are memberships.
    pub members: HashSet<(String, String)>,
    /// Member counts of the rooms someone joins or leaves.
    pub counts: HashMap<String, i64>,
    /// Messages already stored, by (room, sender id, client id), with `pos`.
    pub stored: HashMap<DupKey, (Message, i64)>,
    /// Indices of the joins refused: their user created too many rooms.
    pub refused: HashSet<usize>,
    /// Joins refused by the room's gates (ban, privacy, password, cap).
    pub gated: HashMap<usize, Refusal>,
    /// When the mutes of the batch's posting members end, by (room, user id).
    pub muted: HashMap<(String, String), i64>,
    /// Posters who are no members because they are banned.
    pub banned: HashSet<(String, String)>,
    /// The stored messages the batch's edits and deletions target.
    pub targets: Targets,
}

/// A message to insert.
pub(super) struct NewRow<'a> {
    pub ord: i64,
    pub new: &'a NewMessage,
    pub room: String,
    pub seq: i64,
}

/// A membership change to log.
pub(super) struct EventRow<'a> {
    pub ord: i64,
    pub room: String,
    pub room_id: &'a RoomId,
    pub user: &'a User,
    pub joined: bool,
    pub members: i64,
}

enum Pending {
    Done(Box<Outcome>),
    Message(usize),
    Event(usize),
    DuplicateOf(usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Member {
    /// A member before the batch, still one.
    Initial,
    /// Joined in this batch, with the read cursor to store.
    Joined(i64),
    /// Not a member (any more).
    Gone,
}

pub(super) struct Plan<'a> {
    pub messages: Vec<NewRow<'a>>,
    pub events: Vec<EventRow<'a>>,
    pending: Vec<Pending>,
    membership: HashMap<(String, String), Member>,
    /// Final `latest_seq` of the rooms that got messages.
    seqs: BTreeMap<String, i64>,
    /// What edits and deletions may target, as the batch goes on.
    targets: Targets,
    /// Whether the batch edits or deletes at all (else `targets` is not
    /// kept up, which would cost a key per message).
    changes: bool,
}

impl<'a> Plan<'a> {
    pub fn apply(batch: &'a [Write], state: State) -> Self {
        let State {
            mut latest_seq,
            members,
            mut counts,
            stored,
            refused,
            gated,
            muted,
            banned,
            targets,
        } = state;
        let mut plan = Plan {
            messages: Vec::new(),
            events: Vec::new(),
            pending: Vec::with_capacity(batch.len()),
            membership: members.into_iter().map(|k| (k, Member::Initial)).collect(),
            seqs: BTreeMap::new(),
            targets,
            changes: batch
                .iter()
                .any(|w| matches!(w, Write::Post(new) if new.target.is_some())),
        };
        let mut posted: HashMap<DupKey, usize> = HashMap::new();
        for (index, write) in batch.iter().enumerate() {
            let pending = match write {
                _ if refused.contains(&index) => {
                    Pending::Done(Box::new(Outcome::Refused(Refusal::TooManyRooms)))
                }
                _ if gated.contains_key(&index) => Pending::Done(Box::new(Outcome::Refused(
                    gated.get(&index).copied().unwrap_or(Refusal::RoomFull),
                ))),
                Write::Post(new) => {
                    let key = (new.room.to_string(), new.sender.id.clone());
                    match muted.get(&key) {
                        Some(&until_ms) if until_ms > new.ts.millis() => {
                            Pending::Done(Box::new(Outcome::Refused(Refusal::Muted { until_ms })))
                        }
                        _ if banned.contains(&key) => Pending::Done(Box::new(Outcome::Refused(
                            Refusal::Forbidden(crate::store::Forbidden::Banned),
                        ))),
                        _ => plan.post(new, &mut latest_seq, &stored, &mut posted),
                    }
                }
                // Committed alone, never in a planned batch (see `commit`).
                Write::Moderate(_) => Pending::Done(Box::new(Outcome::Unchanged)),
                Write::Join {
                    room: room_id,
                    user,
                    ..
                }
                | Write::Leave {
                    room: room_id,
                    user,
                } => {
                    let joined = matches!(write, Write::Join { .. });
                    let room = room_id.to_string();
                    if joined == plan.is_member(&room, &user.id) {
                        Pending::Done(Box::new(Outcome::Unchanged))
                    } else {
                        let count = counts.entry(room.clone()).or_insert(0);
                        let member = if joined {
                            *count += 1;
                            // A new member has read everything before them.
                            Member::Joined(*latest_seq.entry(room.clone()).or_insert(0))
                        } else {
                            *count -= 1;
                            Member::Gone
                        };
                        plan.membership
                            .insert((room.clone(), user.id.clone()), member);
                        let ord = plan.logged() + 1;
                        plan.events.push(EventRow {
                            ord,
                            room,
                            room_id,
                            user,
                            joined,
                            members: *count,
                        });
                        Pending::Event(plan.events.len() - 1)
                    }
                }
            };
            plan.pending.push(pending);
        }
        plan
    }

    /// Stores `new` unless the room is missing, the sender already posted
    /// its client id (here or before) or is not a member.
    fn post(
        &mut self,
        new: &'a NewMessage,
        latest_seq: &mut HashMap<String, i64>,
        stored: &HashMap<DupKey, (Message, i64)>,
        posted: &mut HashMap<DupKey, usize>,
    ) -> Pending {
        let room = new.room.to_string();
        if !latest_seq.contains_key(&room) {
            return Pending::Done(Box::new(Outcome::Refused(Refusal::NoSuchRoom)));
        }
        let key = new
            .client_id
            .as_ref()
            .map(|c| (room.clone(), new.sender.id.clone(), c.as_str().to_owned()));
        if let Some(key) = &key {
            if let Some((message, pos)) = stored.get(key) {
                return Pending::Done(Box::new(Outcome::Duplicate {
                    message: message.clone(),
                    pos: *pos,
                }));
            }
            if let Some(index) = posted.get(key) {
                return Pending::DuplicateOf(*index);
            }
        }
        if !self.is_member(&room, &new.sender.id) {
            return Pending::Done(Box::new(Outcome::Refused(Refusal::NotMember)));
        }
        if let Some(target) = new.target {
            let key = (room.clone(), i64::try_from(target).unwrap_or(i64::MAX));
            let found = self.targets.get(&key);
            let found = found.map(|(author, kind, deleted)| (author.as_str(), *kind, *deleted));
            if let Some(refusal) = refusal_of_change(&new.sender.id, found) {
                return Pending::Done(Box::new(Outcome::Refused(refusal)));
            }
            if new.kind == EntryKind::Delete {
                if let Some(entry) = self.targets.get_mut(&key) {
                    entry.2 = true;
                }
            }
        }
        let seq = latest_seq.entry(room.clone()).or_insert(0);
        *seq += 1;
        let seq = *seq;
        if self.changes && new.kind == EntryKind::Message {
            // A later write of the batch may edit it.
            self.targets.insert(
                (room.clone(), seq),
                (new.sender.id.clone(), EntryKind::Message, false),
            );
        }
        self.seqs.insert(room.clone(), seq);
        let index = self.messages.len();
        let ord = self.logged() + 1;
        self.messages.push(NewRow {
            ord,
            new,
            room,
            seq,
        });
        if let Some(key) = key {
            posted.insert(key, index);
        }
        Pending::Message(index)
    }

    fn is_member(&self, room: &str, user_id: &str) -> bool {
        matches!(
            self.membership.get(&(room.to_owned(), user_id.to_owned())),
            Some(Member::Initial | Member::Joined(_))
        )
    }

    /// How many log entries (positions) the batch takes.
    pub fn logged(&self) -> i64 {
        (self.messages.len() + self.events.len()) as i64
    }

    /// Memberships that end: (room, user id).
    pub fn removed(&self) -> impl Iterator<Item = (&str, &str)> {
        self.membership
            .iter()
            .filter(|(_, m)| **m == Member::Gone)
            .map(|((room, user), _)| (room.as_str(), user.as_str()))
    }

    /// Memberships that begin (or begin again): (room, user id, read_seq).
    pub fn added(&self) -> impl Iterator<Item = (&str, &str, i64)> {
        self.membership
            .iter()
            .filter_map(|((room, user), m)| match m {
                Member::Joined(read_seq) => Some((room.as_str(), user.as_str(), *read_seq)),
                _ => None,
            })
    }

    /// What the batch's edits and deletions leave of their targets, each
    /// target once: (room, seq, `Some((text, edited at))` for an edit,
    /// `None` for a deletion). The last edit wins; a deletion is final
    /// (nothing edits a deleted message).
    pub fn changed_targets(&self) -> Vec<(&str, i64, Option<Edited<'_>>)> {
        let mut last: BTreeMap<(&str, i64), Option<Edited<'_>>> = BTreeMap::new();
        for row in &self.messages {
            let Some(target) = row.new.target else {
                continue;
            };
            let key = (row.room.as_str(), i64::try_from(target).unwrap_or(i64::MAX));
            let change = match row.new.kind {
                EntryKind::Edit => Some((row.new.text.as_str(), row.new.ts.millis())),
                _ => None,
            };
            last.insert(key, change);
        }
        last.into_iter()
            .map(|((room, seq), change)| (room, seq, change))
            .collect()
    }

    /// Rooms whose counter moved, with the new `latest_seq`.
    pub fn counters(&self) -> impl Iterator<Item = (&str, i64)> {
        self.seqs.iter().map(|(room, seq)| (room.as_str(), *seq))
    }

    /// The outcomes, once the positions after `base` are taken.
    pub fn outcomes(&self, base: i64) -> Vec<Outcome> {
        self.pending
            .iter()
            .map(|p| match p {
                Pending::Done(outcome) => (**outcome).clone(),
                Pending::Message(i) => {
                    let row = &self.messages[*i];
                    Outcome::Logged(LogEntry {
                        pos: base + row.ord,
                        room: row.new.room.clone(),
                        body: LogBody::Message {
                            message: message(row),
                            sender_id: row.new.sender.id.clone(),
                        },
                    })
                }
                Pending::DuplicateOf(i) => {
                    let row = &self.messages[*i];
                    Outcome::Duplicate {
                        message: message(row),
                        pos: base + row.ord,
                    }
                }
                Pending::Event(i) => {
                    let row = &self.events[*i];
                    Outcome::Logged(LogEntry {
                        pos: base + row.ord,
                        room: row.room_id.clone(),
                        body: LogBody::Member {
                            user: row.user.clone(),
                            joined: row.joined,
                            members: u32::try_from(row.members.max(0)).unwrap_or(u32::MAX),
                        },
                    })
                }
            })
            .collect()
    }
}

fn message(row: &NewRow<'_>) -> Message {
    Message {
        id: row.new.id.clone(),
        room: row.new.room.clone(),
        seq: row.seq.max(0) as u64,
        from: row.new.sender.name.clone(),
        text: row.new.text.clone(),
        ts: row.new.ts,
        attachment: row.new.attachment.clone(),
        kind: row.new.kind,
        target: row.new.target,
        edited: None,
        deleted: false,
        event: None,
    }
}
