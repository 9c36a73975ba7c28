-- Confab's PostgreSQL schema: the record a cluster of nodes shares. It
-- mirrors the SQLite schema (migrations/sqlite), with BIGINT millisecond
-- timestamps and counters.

-- Names are stored as the user typed them; `name_key` is the case-folded
-- form that makes them unique.
CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL UNIQUE,
    color      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Only a hash of each token is kept, so a copy of the database holds no
-- credential.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);

-- `latest_seq` is the room's counter. A committing batch locks its rooms'
-- rows (in name order) and moves the counter in the same transaction, which
-- keeps seq gap-free; the row lock also serializes membership changes and
-- the idempotency check of the room across nodes.
CREATE TABLE rooms (
    name       TEXT PRIMARY KEY,
    latest_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Membership belongs to the user; `read_seq` is the user's read cursor.
CREATE TABLE memberships (
    room      TEXT NOT NULL REFERENCES rooms(name),
    user_id   TEXT NOT NULL REFERENCES users(id),
    read_seq  BIGINT NOT NULL DEFAULT 0,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (room, user_id)
);
CREATE INDEX memberships_by_user ON memberships(user_id);

-- `pos` is the message's place in the global log (see `counters`), also the
-- resumable event id of the SSE transport. Unlike SQLite's, `room` and
-- `sender_id` carry no foreign keys: messages are only written by a commit
-- that holds the room's row locked and has found the sender's membership
-- (whose own keys guarantee both), and the per-row key checks cost about a
-- third of a batch's insert time.
CREATE TABLE messages (
    pos              BIGINT PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    room             TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    sender_id        TEXT NOT NULL,
    sender_name      TEXT NOT NULL,
    text             TEXT NOT NULL,
    ts               BIGINT NOT NULL,
    client_id        TEXT,
    attachment_url   TEXT,
    attachment_mime  TEXT,
    attachment_bytes BIGINT,
    UNIQUE (room, seq)
);
CREATE UNIQUE INDEX messages_by_client_id
    ON messages(room, sender_id, client_id) WHERE client_id IS NOT NULL;

-- The global log's counter. Every committed message and membership change
-- takes the next `pos` from the 'pos' row, which a batch updates after its
-- room rows and holds until it commits: positions are handed out in commit
-- order without gaps, whichever node commits.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('pos', 0);

-- Memberships beginning and ending, with the user as they were then and the
-- room's member count right after.
CREATE TABLE member_events (
    pos        BIGINT PRIMARY KEY,
    room       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    user_color TEXT NOT NULL,
    joined     BOOLEAN NOT NULL,
    members    INTEGER NOT NULL
);

-- Uploaded files, for clusters without a shared uploads directory.
CREATE TABLE blobs (
    name       TEXT PRIMARY KEY,
    mime       TEXT NOT NULL,
    data       BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

INSERT INTO rooms (name, latest_seq, created_at) VALUES ('lobby', 0, 0);
