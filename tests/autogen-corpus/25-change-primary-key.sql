-- before
CREATE TABLE placements (building TEXT NOT NULL, room TEXT NOT NULL, seat TEXT NOT NULL, CONSTRAINT placements_pkey PRIMARY KEY (building, room));
-- after
CREATE TABLE placements (building TEXT NOT NULL, room TEXT NOT NULL, seat TEXT NOT NULL, CONSTRAINT placements_pkey PRIMARY KEY (building, room, seat));
