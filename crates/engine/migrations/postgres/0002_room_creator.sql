-- Who created each room, so rooms created per user can be capped
-- (`--max-rooms-per-user`). Rooms older than this column, `lobby` and
-- direct conversations have none and count for nobody.
ALTER TABLE rooms ADD COLUMN created_by TEXT;
CREATE INDEX rooms_by_creator ON rooms(created_by) WHERE created_by IS NOT NULL;

-- `GET /api/rooms` pages by name compared bytewise, whatever the locale.
CREATE INDEX rooms_by_name_bytes ON rooms (name COLLATE "C");
