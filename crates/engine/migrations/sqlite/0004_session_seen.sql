-- When each session was last used, for the idle expiry (`--session-ttl`).
-- Refreshed at most about once a minute per session, not on every request.
ALTER TABLE sessions ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen = created_at;
CREATE INDEX sessions_by_last_seen ON sessions(last_seen);
