CREATE TABLE invoices (id bigint PRIMARY KEY, number integer NOT NULL, memo text);
ALTER TABLE invoices ALTER COLUMN number TYPE bigint;
ALTER TABLE invoices DROP COLUMN memo;
