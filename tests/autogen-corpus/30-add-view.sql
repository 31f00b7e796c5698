-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, floor INTEGER);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, floor INTEGER);
CREATE VIEW ground_floor AS SELECT id, name FROM rooms WHERE floor = 0;
