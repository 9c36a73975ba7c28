-- Blocks: `blocker_id` no longer wants to hear from `blocked_id`. Direct
-- messages from the blocked user to the blocker are refused; the blocker's
-- clients hide the blocked user's room messages. One row per pair and
-- direction.
CREATE TABLE blocks (
    blocker_id TEXT NOT NULL,
    blocked_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
