-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, floor INTEGER);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, floor INTEGER);
CREATE INDEX idx_rooms_floor_name ON rooms (floor, name);
