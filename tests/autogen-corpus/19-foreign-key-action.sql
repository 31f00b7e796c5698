-- before
CREATE TABLE buildings (id INTEGER PRIMARY KEY);
CREATE TABLE rooms (id INTEGER PRIMARY KEY, building_id INTEGER, CONSTRAINT rooms_building_id_fkey FOREIGN KEY (building_id) REFERENCES buildings (id) ON DELETE CASCADE);
-- after
CREATE TABLE buildings (id INTEGER PRIMARY KEY);
CREATE TABLE rooms (id INTEGER PRIMARY KEY, building_id INTEGER, CONSTRAINT rooms_building_id_fkey FOREIGN KEY (building_id) REFERENCES buildings (id) ON DELETE SET NULL ON UPDATE CASCADE);
