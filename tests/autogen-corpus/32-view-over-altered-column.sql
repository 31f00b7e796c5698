-- The view reads a column whose type changes: it is dropped first and created after.
-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, floor INTEGER);
CREATE VIEW floors AS SELECT DISTINCT floor FROM rooms;
-- after sqlite
CREATE TABLE rooms (id INTEGER PRIMARY KEY, floor TEXT);
CREATE VIEW floors AS SELECT DISTINCT floor FROM rooms;
-- after postgres
CREATE TABLE rooms (id INTEGER PRIMARY KEY, floor BIGINT);
CREATE VIEW floors AS SELECT DISTINCT floor FROM rooms;
