-- TODO set lock_timeout
ALTER TABLE users ADD COLUMN nickname text;
