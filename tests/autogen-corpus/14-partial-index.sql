-- before
CREATE TABLE rooms (id INTEGER PRIMARY KEY, status TEXT, floor INTEGER);
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, status TEXT, floor INTEGER);
CREATE INDEX idx_rooms_active_floor ON rooms (floor) WHERE status = 'active';
