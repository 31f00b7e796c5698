-- backends: sqlite
-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY);
CREATE VIRTUAL TABLE rooms_rtree USING rtree(id, min_x, max_x, min_y, max_y);
