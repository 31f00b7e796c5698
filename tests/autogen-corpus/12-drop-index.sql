-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT);
CREATE INDEX idx_rooms_name ON rooms (name);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT);
