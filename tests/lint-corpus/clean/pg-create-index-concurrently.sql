CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_note ON orders (note);
