-- arx-migrate: transactional = false
-- Index items by name, without locking the table
--
-- Non-transactional: each statement runs on its own, as CREATE INDEX
-- CONCURRENTLY needs. Its parent is the folder before it, 003.
CREATE INDEX CONCURRENTLY idx_items_name ON items (name);
