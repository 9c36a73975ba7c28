-- The global log (protocol version 2). Every committed message and
-- membership change takes the next `pos` from one counter, inside the
-- committing transaction, so `pos` order is commit order without gaps: a
-- node that sees pos N+2 before N+1 knows exactly what it is missing.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) SELECT 'pos', COALESCE(MAX(pos), 0) FROM messages;

-- Memberships beginning and ending, with the user as they were then and the
-- room's member count right after.
CREATE TABLE member_events (
    pos        INTEGER PRIMARY KEY,
    room       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    user_color TEXT NOT NULL,
    joined     INTEGER NOT NULL,
    members    INTEGER NOT NULL
);

-- Uploaded files kept in the database (used by PostgreSQL clusters without a
-- shared uploads directory; the SQLite default keeps files on disk).
CREATE TABLE blobs (
    name       TEXT PRIMARY KEY,
    mime       TEXT NOT NULL,
    data       BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
