-- On the Arxos head: a new table referencing rooms, with a spatial index.
-- before: arxos
-- after: arxos
-- after postgres
CREATE TABLE sensors (id varchar(64) PRIMARY KEY, room_id varchar(64) NOT NULL REFERENCES rooms (id) ON DELETE CASCADE, kind text NOT NULL, location geometry(Point, 4326));
CREATE INDEX idx_sensors_location ON sensors USING gist (location);
CREATE INDEX idx_sensors_room_id ON sensors (room_id);
-- after sqlite
CREATE TABLE sensors (id varchar(64) PRIMARY KEY, room_id varchar(64) NOT NULL REFERENCES rooms (id) ON DELETE CASCADE, kind text NOT NULL, location TEXT);
CREATE INDEX idx_sensors_room_id ON sensors (room_id);
