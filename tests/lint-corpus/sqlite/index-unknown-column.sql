CREATE INDEX idx_users_nickname ON users (nickname);
