-- before sqlite
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, updated INTEGER DEFAULT 0);
CREATE TRIGGER rooms_touch AFTER UPDATE OF name ON rooms BEGIN UPDATE rooms SET updated = updated + 1 WHERE id = NEW.id; END;
-- before postgres
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, updated INTEGER DEFAULT 0);
CREATE FUNCTION rooms_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated := OLD.updated + 1; RETURN NEW; END $$;
CREATE TRIGGER rooms_touch BEFORE UPDATE OF name ON rooms FOR EACH ROW EXECUTE FUNCTION rooms_touch();
-- after
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT, updated INTEGER DEFAULT 0);
