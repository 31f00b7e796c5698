-- revision: 001
-- up
CREATE TABLE t (id bigint PRIMARY KEY);
-- down
DROP TABLE t;
-- revision: 002
-- up
SET LOCAL lock_timeout = '5s';
ALTER TABLE t RENAME TO u;
-- down
ALTER TABLE u RENAME TO t;
