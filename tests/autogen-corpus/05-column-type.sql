-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, capacity INTEGER);
-- after sqlite
CREATE TABLE rooms (id INTEGER PRIMARY KEY, capacity TEXT);
-- after postgres
CREATE TABLE rooms (id INTEGER PRIMARY KEY, capacity BIGINT);
