-- Three commits of their own, and a data change between them.
ALTER TABLE orders ADD COLUMN status VARCHAR(20), ALGORITHM=INSTANT, LOCK=NONE;
UPDATE orders SET status = 'new' WHERE status IS NULL;
CREATE TABLE order_notes (id BIGINT NOT NULL PRIMARY KEY, order_id BIGINT NOT NULL, body LONGTEXT);
