-- revision: 001
-- up
CREATE TABLE t (id bigint PRIMARY KEY);
-- down
DROP TABLE t;
-- revision: 002
-- allow: drop-tables: t is unused
-- up
SET LOCAL lock_timeout = '5s';
DROP TABLE t;
-- down
CREATE TABLE t (id bigint PRIMARY KEY);
