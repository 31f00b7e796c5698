-- Columns in the source's order, not by name: a new table; columns added
-- to a table; a dropped table and dropped columns that the downgrade
-- puts back.
-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, zone TEXT, area REAL);
CREATE TABLE legacy (zeta TEXT, alpha TEXT, mid INTEGER);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, width REAL, depth REAL);
CREATE TABLE sensors (serial_no TEXT PRIMARY KEY, room_id INTEGER, kind TEXT, at TEXT);
