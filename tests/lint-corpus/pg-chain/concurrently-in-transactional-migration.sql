-- revision: 001
-- up
CREATE TABLE t (id bigint PRIMARY KEY, x text);
-- down
DROP TABLE t;
-- revision: 002
-- up
CREATE INDEX CONCURRENTLY idx_t_x ON t (x);
-- down
DROP INDEX CONCURRENTLY idx_t_x;
