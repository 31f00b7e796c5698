-- revision: 001
-- up
CREATE TABLE walls (id bigint PRIMARY KEY, room_id bigint REFERENCES rooms (id));
CREATE INDEX idx_walls_room_id ON walls (room_id);
CREATE TABLE rooms (id bigint PRIMARY KEY);
-- down
DROP TABLE rooms;
DROP TABLE walls;
