-- Accounts: a user with a password hash (an argon2id PHC string) has
-- claimed their name and logs in from any device; NULL is a guest, whose
-- name lives in its sessions only. A session remembers the device that
-- opened it, for the account's list of devices.
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN address TEXT;

-- A deleted account keeps its row (its name stays reserved for 30 days,
-- then name_key and name_skeleton become 'deleted:<id>' and the name is
-- free); its messages then say they are from 'deleted-user', a name this
-- row holds so that nobody can take it, nor one confusable with it (its
-- skeleton is filled in when the store opens, as for rows from before
-- migration 0006). If someone already has that name, they keep it.
ALTER TABLE users ADD COLUMN deleted_at BIGINT;
INSERT INTO users (id, name, name_key, color, created_at)
    VALUES ('deleted-user', 'deleted-user', 'deleted-user', '#6b7280', 0)
    ON CONFLICT DO NOTHING;
