-- The child sorts first by name; its parent must be created before it.
-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY);
CREATE TABLE z_panels (id INTEGER PRIMARY KEY, label TEXT);
CREATE TABLE a_fixtures (id INTEGER PRIMARY KEY, panel_id INTEGER NOT NULL REFERENCES z_panels (id), room_id INTEGER REFERENCES rooms (id));
