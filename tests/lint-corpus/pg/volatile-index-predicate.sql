CREATE INDEX CONCURRENTLY idx_users_recent ON users (created_at) WHERE created_at > now() - interval '1 day';
