CREATE TABLE sessions_new (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), token TEXT NOT NULL DEFAULT '');
INSERT INTO sessions_new SELECT id, user_id, coalesce(token, '') FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX idx_sessions_user_id ON sessions (user_id);
