-- Accounts: a user with a password hash (an argon2id PHC string) has
-- claimed their name and logs in from any device; NULL is a guest, whose
-- name lives in its sessions only. A session remembers the device that
-- opened it, for the account's list of devices.
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN address TEXT;
