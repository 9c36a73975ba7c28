-- Every uploaded image, recorded before its file is written: who uploaded
-- how many bytes when (the rolling upload quota), to which room (a direct
-- conversation's images are served only to its two participants), and so
-- which files no message refers to (orphans, removed by a sweep).
CREATE TABLE uploads (
    name        TEXT PRIMARY KEY,
    uploader_id TEXT NOT NULL,
    room        TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX uploads_by_uploader ON uploads(uploader_id, created_at);

-- The uploads that existed before this table: every stored attachment.
INSERT OR IGNORE INTO uploads (name, uploader_id, room, bytes, width, height, created_at)
    SELECT substr(attachment_url, 10), sender_id, room, COALESCE(attachment_bytes, 0), 0, 0, ts
    FROM messages WHERE attachment_url LIKE '/uploads/%';

-- The orphan sweep asks whether any message refers to an upload.
CREATE INDEX messages_by_attachment ON messages(attachment_url)
    WHERE attachment_url IS NOT NULL;
