-- backends: postgres
-- before
CREATE TABLE zones (id integer PRIMARY KEY, area box);
-- after
CREATE TABLE zones (id integer PRIMARY KEY, area box);
CREATE INDEX idx_zones_area ON zones USING gist (area);
