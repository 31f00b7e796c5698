-- revision: 001
-- up
CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);
-- down
DROP TABLE t;
-- revision: 002
-- up
CREATE VIEW IF NOT EXISTS big_t AS SELECT id FROM t WHERE n > 10;
-- down
DROP VIEW IF EXISTS big_t;
