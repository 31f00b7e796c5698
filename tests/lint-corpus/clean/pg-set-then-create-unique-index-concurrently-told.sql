-- arx-migrate: transactional = false
SET lock_timeout = '5s';
CREATE UNIQUE INDEX CONCURRENTLY idx_users_lower_email ON users (lower(email));
