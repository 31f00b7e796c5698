-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT);
CREATE INDEX idx_rooms_lower_name ON rooms (lower(name));
