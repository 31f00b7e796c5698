-- backends: postgres
-- before
CREATE TABLE rooms (id integer PRIMARY KEY);
-- after
CREATE TABLE rooms (id integer PRIMARY KEY);
CREATE TABLE events (id bigserial PRIMARY KEY, room_id integer NOT NULL REFERENCES rooms (id) ON DELETE CASCADE, at timestamptz NOT NULL DEFAULT now());
