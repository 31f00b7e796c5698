-- revision: 001
-- up
CREATE TABLE a (id bigint PRIMARY KEY);
-- down
DROP TABLE a;
-- revision: 002
-- up
CREATE TABLE b (id bigint PRIMARY KEY);
CREATE TABLE c (id bigint PRIMARY KEY);
-- down
DROP TABLE b;
