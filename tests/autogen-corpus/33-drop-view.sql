-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT);
CREATE VIEW room_names AS SELECT name FROM rooms;
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT);
