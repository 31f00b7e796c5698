-- revision: 001
-- up
CREATE TABLE t (id bigint PRIMARY KEY);
-- down
DROP TABLE t;
-- revision: 002
-- up
SET LOCAL lock_timeout = '5s';
ALTER TABLE t ADD COLUMN c integer NOT NULL;
-- down
ALTER TABLE t DROP COLUMN c;
