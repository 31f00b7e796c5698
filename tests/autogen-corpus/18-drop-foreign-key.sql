-- before
CREATE TABLE buildings (id INTEGER PRIMARY KEY);
CREATE TABLE rooms (id INTEGER PRIMARY KEY, building_id INTEGER, CONSTRAINT fk_rooms_building FOREIGN KEY (building_id) REFERENCES buildings (id));
-- after
CREATE TABLE buildings (id INTEGER PRIMARY KEY);
CREATE TABLE rooms (id INTEGER PRIMARY KEY, building_id INTEGER);
