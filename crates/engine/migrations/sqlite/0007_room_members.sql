-- Each room's member count, kept by the commit that changes a membership,
-- so that listing a user's rooms (every new connection) and announcing a
-- join do not count a big room's members each time.
ALTER TABLE rooms ADD COLUMN members INTEGER NOT NULL DEFAULT 0;
UPDATE rooms SET members = (SELECT COUNT(*) FROM memberships m WHERE m.room = rooms.name);
