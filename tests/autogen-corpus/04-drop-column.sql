-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT NOT NULL, legacy_code TEXT);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
