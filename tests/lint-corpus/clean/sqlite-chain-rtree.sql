-- revision: 001
-- up
CREATE TABLE rooms (id INTEGER PRIMARY KEY, minx REAL, maxx REAL);
CREATE VIRTUAL TABLE rooms_box USING rtree(id, minx, maxx, +room_id);
CREATE TRIGGER rooms_box_insert AFTER INSERT ON rooms BEGIN INSERT INTO rooms_box VALUES (NEW.id, NEW.minx, NEW.maxx, NEW.id); END;
CREATE TRIGGER IF NOT EXISTS rooms_box_delete AFTER DELETE ON rooms BEGIN DELETE FROM rooms_box WHERE id = OLD.id; END;
-- down
DROP TABLE rooms_box;
DROP TABLE rooms;
