-- Without --rename, a renamed column is a drop and an add.
-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, title TEXT);
