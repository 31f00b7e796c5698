-- backends: postgres
-- before
CREATE TABLE rooms (id integer PRIMARY KEY, floor integer, name text);
-- after
CREATE TABLE rooms (id integer PRIMARY KEY, floor integer, name text);
CREATE INDEX idx_rooms_floor_cover ON rooms (floor) INCLUDE (name);
