-- arx-migrate: transactional = false
BEGIN;
CREATE INDEX CONCURRENTLY idx_orders_note ON orders (note);
COMMIT;
