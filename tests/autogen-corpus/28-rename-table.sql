-- rename: rooms=spaces
-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE doors (id INTEGER PRIMARY KEY, room_id INTEGER REFERENCES rooms (id));
-- after
CREATE TABLE spaces (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE doors (id INTEGER PRIMARY KEY, room_id INTEGER REFERENCES spaces (id));
