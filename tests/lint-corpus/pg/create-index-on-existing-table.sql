SET lock_timeout = '5s';
CREATE INDEX idx_orders_note ON orders (note);
