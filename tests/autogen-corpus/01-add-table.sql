-- A new table.
-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, created_at TEXT DEFAULT 'now');
