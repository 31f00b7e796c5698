-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, code TEXT, floor INTEGER);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, code TEXT, floor INTEGER, CONSTRAINT rooms_code_floor_key UNIQUE (code, floor));
