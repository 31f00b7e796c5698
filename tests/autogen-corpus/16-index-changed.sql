-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, floor INTEGER);
CREATE INDEX idx_rooms_lookup ON rooms (name);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, floor INTEGER);
CREATE INDEX idx_rooms_lookup ON rooms (floor, name);
