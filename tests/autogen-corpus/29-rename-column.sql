-- rename: rooms.name=title
-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE INDEX idx_rooms_name ON rooms (name);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
CREATE INDEX idx_rooms_name ON rooms (title);
