SET lock_timeout = '5s';
CREATE TABLE notes (id bigint PRIMARY KEY, body text);
CREATE INDEX CONCURRENTLY idx_orders_note ON orders (note);
