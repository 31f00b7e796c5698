-- revision: 001
-- up
CREATE TABLE p (id bigint PRIMARY KEY);
CREATE TABLE c (id bigint PRIMARY KEY, p_id bigint REFERENCES p (id));
-- down
DROP TABLE c;
DROP TABLE p;
