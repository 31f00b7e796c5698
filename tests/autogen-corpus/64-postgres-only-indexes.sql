-- backends: postgres
-- before
CREATE TABLE rooms (id integer PRIMARY KEY, floor integer, name text, tags jsonb);
-- before sqlite
CREATE TABLE rooms (id INTEGER PRIMARY KEY, floor INTEGER, name TEXT, tags TEXT);
-- after
CREATE TABLE rooms (id integer PRIMARY KEY, floor integer, name text, tags jsonb);
CREATE INDEX idx_rooms_tags ON rooms USING gin (tags);
CREATE INDEX idx_rooms_floor_cover ON rooms (floor) INCLUDE (name);
-- upgraded
SELECT id FROM rooms WHERE tags @> '{"kind": "lab"}';
