-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, floor INTEGER);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, floor INTEGER, CONSTRAINT ck_rooms_floor CHECK (floor >= 0));
