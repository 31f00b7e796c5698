-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, status TEXT);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, status TEXT DEFAULT 'active');
