-- revision: 001
-- up
CREATE TABLE t (id bigint PRIMARY KEY, code text);
-- down
DROP TABLE t;
-- revision: 002 non-transactional
-- up
CREATE UNIQUE INDEX CONCURRENTLY t_code_idx ON t (code);
-- down
DROP INDEX CONCURRENTLY t_code_idx;
-- revision: 003
-- up
SET LOCAL lock_timeout = '5s';
ALTER TABLE t ADD CONSTRAINT t_code_key UNIQUE USING INDEX t_code_idx;
-- down
SET LOCAL lock_timeout = '5s';
ALTER TABLE t DROP CONSTRAINT t_code_key;
CREATE UNIQUE INDEX t_code_idx ON t (code);
