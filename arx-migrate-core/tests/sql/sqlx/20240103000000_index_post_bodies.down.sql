DROP INDEX idx_users_email;
DROP INDEX idx_posts_body;
