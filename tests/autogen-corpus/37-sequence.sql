-- backends: postgres
-- before
CREATE TABLE tickets (id integer PRIMARY KEY);
-- after
CREATE SEQUENCE ticket_numbers AS bigint START 1000 INCREMENT 10;
CREATE TABLE tickets (id integer PRIMARY KEY, number bigint NOT NULL DEFAULT nextval('ticket_numbers'));
