-- revision: 001
-- up
CREATE TABLE t (id bigint PRIMARY KEY, x integer);
-- down
DROP TABLE t;
-- revision: 002
-- up
SET LOCAL lock_timeout = '5s';
ALTER TABLE t ADD CONSTRAINT t_x_not_null CHECK (x IS NOT NULL) NOT VALID;
-- down
SET LOCAL lock_timeout = '5s';
ALTER TABLE t DROP CONSTRAINT t_x_not_null;
-- revision: 003
-- up
ALTER TABLE t VALIDATE CONSTRAINT t_x_not_null;
-- down
SELECT 1;
-- revision: 004
-- up
SET LOCAL lock_timeout = '5s';
ALTER TABLE t ALTER COLUMN x SET NOT NULL;
-- down
SET LOCAL lock_timeout = '5s';
ALTER TABLE t ALTER COLUMN x DROP NOT NULL;
