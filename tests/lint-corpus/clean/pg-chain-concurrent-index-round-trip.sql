-- revision: 001
-- up
CREATE TABLE t (id bigint PRIMARY KEY, x text);
-- down
DROP TABLE t;
-- revision: 002 non-transactional
-- up
CREATE INDEX CONCURRENTLY idx_t_x ON t (x);
-- down
DROP INDEX CONCURRENTLY idx_t_x;
-- revision: 003 non-transactional
-- up
DROP INDEX CONCURRENTLY idx_t_x;
-- down
CREATE INDEX CONCURRENTLY idx_t_x ON t (x);
