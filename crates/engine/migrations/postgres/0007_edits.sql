-- Protocol version 2: a room's log holds edits and deletions beside
-- messages. Each takes the room's next seq (so seqs stay gap-free) and
-- names the message it is about in `target`. The message row itself always
-- shows its current state: the latest text with `edited_at`, or, once
-- deleted, no text, no attachment and `deleted` (an edit entry of a
-- deleted message is emptied the same way, so no old text survives).
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message';
ALTER TABLE messages ADD COLUMN target BIGINT;
ALTER TABLE messages ADD COLUMN edited_at BIGINT;
ALTER TABLE messages ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX messages_by_target ON messages(room, target) WHERE target IS NOT NULL;

-- An upload whose last message was deleted is gone at once: `removed_at`
-- hides it from `GET /uploads/...` in the deleting transaction, and the
-- upload sweep removes its file, blob and record without waiting for the
-- grace period that protects uploads whose message is still on its way.
ALTER TABLE uploads ADD COLUMN removed_at BIGINT;

-- The size of an attached image in pixels (known from the upload), so
-- clients reserve its box before it loads. NULL for older messages.
ALTER TABLE messages ADD COLUMN attachment_width INTEGER;
ALTER TABLE messages ADD COLUMN attachment_height INTEGER;
