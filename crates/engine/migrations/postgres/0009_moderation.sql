-- Room moderation (issue 11). The owner is `rooms.created_by`; owners
-- appoint moderators; server admins come from the configuration.
-- A room's settings: its topic, whether it is private (unlisted, invite or
-- password only), its password's argon2id hash and its member cap.
ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT '';
ALTER TABLE rooms ADD COLUMN private BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE rooms ADD COLUMN password_hash TEXT;
ALTER TABLE rooms ADD COLUMN max_members INTEGER;

CREATE TABLE room_moderators (
    room TEXT NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (room, user_id)
);

-- A banned user cannot join, read or post until unbanned.
CREATE TABLE room_bans (
    room TEXT NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (room, user_id)
);

CREATE TABLE room_invites (
    room TEXT NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (room, user_id)
);

-- A mute is kept per room and user (so leaving and joining again does not
-- lift it) and copied onto the membership, where the commit of a post
-- reads it with the membership itself: a mute costs a post nothing.
CREATE TABLE room_mutes (
    room TEXT NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    until_ms BIGINT NOT NULL,
    PRIMARY KEY (room, user_id)
);
ALTER TABLE memberships ADD COLUMN muted_until BIGINT;

-- A moderation entry's facts (JSON of confab_shared::RoomEvent).
ALTER TABLE messages ADD COLUMN event TEXT;
