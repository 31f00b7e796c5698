ALTER TABLE users ADD COLUMN nickname TEXT;
ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
CREATE INDEX idx_users_nickname ON users (nickname);
