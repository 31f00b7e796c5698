-- revision: 001
-- up
CREATE TABLE p (id bigint PRIMARY KEY);
CREATE TABLE c (id bigint PRIMARY KEY, p_id bigint);
CREATE INDEX idx_c_p_id ON c (p_id);
-- down
DROP TABLE c;
DROP TABLE p;
-- revision: 002
-- up
SET LOCAL lock_timeout = '5s';
ALTER TABLE c ADD CONSTRAINT c_p_fk FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID;
-- down
SET LOCAL lock_timeout = '5s';
ALTER TABLE c DROP CONSTRAINT c_p_fk;
-- revision: 003
-- up
ALTER TABLE c VALIDATE CONSTRAINT c_p_fk;
-- down
SELECT 1;
