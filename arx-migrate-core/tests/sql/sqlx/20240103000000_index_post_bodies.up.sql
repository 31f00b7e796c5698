-- no-transaction
CREATE INDEX idx_posts_body ON posts (body);
CREATE INDEX idx_users_email ON users (email);
