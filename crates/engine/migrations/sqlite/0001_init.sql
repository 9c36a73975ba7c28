-- Confab's schema. Names are stored as the user typed them; `name_key` is the
-- case-folded form that makes them unique.
CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL UNIQUE,
    color      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Only a hash of each token is kept, so a copy of the database holds no
-- credential.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);

-- `latest_seq` is the room's counter: appending a message increments it in
-- the same transaction, which keeps seq gap-free.
CREATE TABLE rooms (
    name       TEXT PRIMARY KEY,
    latest_seq INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- Membership belongs to the user; `read_seq` is the user's read cursor.
CREATE TABLE memberships (
    room      TEXT NOT NULL REFERENCES rooms(name),
    user_id   TEXT NOT NULL REFERENCES users(id),
    read_seq  INTEGER NOT NULL DEFAULT 0,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (room, user_id)
);
CREATE INDEX memberships_by_user ON memberships(user_id);

-- `pos` is the global append order (AUTOINCREMENT never reuses a value), used
-- as the resumable event id of the SSE transport.
CREATE TABLE messages (
    pos              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    room             TEXT NOT NULL REFERENCES rooms(name),
    seq              INTEGER NOT NULL,
    sender_id        TEXT NOT NULL REFERENCES users(id),
    sender_name      TEXT NOT NULL,
    text             TEXT NOT NULL,
    ts               INTEGER NOT NULL,
    client_id        TEXT,
    attachment_url   TEXT,
    attachment_mime  TEXT,
    attachment_bytes INTEGER,
    UNIQUE (room, seq)
);
CREATE UNIQUE INDEX messages_by_client_id
    ON messages(room, sender_id, client_id) WHERE client_id IS NOT NULL;

INSERT INTO rooms (name, latest_seq, created_at) VALUES ('lobby', 0, 0);
