-- arx-migrate: transactional = false
-- Index items by name, without locking the table
CREATE INDEX idx_items_name ON items (name);
