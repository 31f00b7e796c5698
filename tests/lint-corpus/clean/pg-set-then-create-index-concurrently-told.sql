-- arx-migrate: transactional = false
SET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY idx_orders_note ON orders (note);
