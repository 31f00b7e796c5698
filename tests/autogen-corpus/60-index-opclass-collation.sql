-- An operator class and a collation in an index key, added and dropped.
-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, code TEXT);
CREATE INDEX idx_rooms_code_c ON rooms (code COLLATE "C");
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, code TEXT);
CREATE INDEX idx_rooms_name_pattern ON rooms (name text_pattern_ops);
CREATE INDEX idx_rooms_name_collate ON rooms (name COLLATE "C");
-- before sqlite
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, code TEXT);
CREATE INDEX idx_rooms_code_c ON rooms (code COLLATE NOCASE);
-- after sqlite
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, code TEXT);
CREATE INDEX idx_rooms_name_collate ON rooms (name COLLATE NOCASE);
CREATE INDEX idx_rooms_name_asc ON rooms (name ASC, code);
