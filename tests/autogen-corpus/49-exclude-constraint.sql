-- backends: postgres
-- before
CREATE TABLE bookings (id integer PRIMARY KEY, slot box NOT NULL);
-- after
CREATE TABLE bookings (id integer PRIMARY KEY, slot box NOT NULL, CONSTRAINT bookings_no_overlap EXCLUDE USING gist (slot WITH &&));
