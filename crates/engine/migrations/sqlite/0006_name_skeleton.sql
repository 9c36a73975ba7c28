-- The UTS #39 confusable skeleton of each user's name (`UserName::skeleton`
-- in crates/shared: the skeleton of the NFKC + case-folded name): a new name
-- whose skeleton is taken is refused as name_taken, so Cyrillic "аlice"
-- cannot pose as "alice". SQL cannot compute it: rows from before this
-- migration are filled in by the store when it opens (`backfill_names`).
-- NULLs never collide in a UNIQUE index, so the index holds from the start.
ALTER TABLE users ADD COLUMN name_skeleton TEXT;
CREATE UNIQUE INDEX users_by_skeleton ON users(name_skeleton);
