-- arx-migrate: transactional = false
CREATE INDEX CONCURRENTLY idx_orders_note ON orders (note);
CREATE INDEX CONCURRENTLY idx_users_age ON users (age);
