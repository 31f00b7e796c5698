SET lock_timeout = '5s';
-- arx-migrate: allow drop-column: age was never read since 2.3
ALTER TABLE users DROP COLUMN age;
