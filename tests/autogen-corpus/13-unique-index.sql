-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, code TEXT);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, code TEXT);
CREATE UNIQUE INDEX uq_rooms_code ON rooms (code);
