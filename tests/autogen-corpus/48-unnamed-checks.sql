-- Unnamed CHECKs: SQLite finds them by the names PostgreSQL gives them.
-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, floor INTEGER, CHECK (floor < 100));
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, floor INTEGER CHECK (floor >= 0));
