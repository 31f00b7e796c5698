SET lock_timeout = '5s';
-- arx-migrate: allow drop-colum: unused since 2.3
ALTER TABLE users DROP COLUMN age;
