CREATE TABLE posts (
    id integer PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users (id),
    body text NOT NULL DEFAULT 'it''s; empty'
);
CREATE INDEX idx_posts_user_id ON posts (user_id);
