-- An identity key becomes a serial one (bigint, ALWAYS on the way back):
-- the sequence is created owned by the column at the identity's next
-- value; the downgrade makes it the identity column it was.
-- backends: postgres
-- before
CREATE TABLE readings (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, value real NOT NULL);
INSERT INTO readings (value) VALUES (1), (2);
-- after
CREATE TABLE readings (id bigserial PRIMARY KEY, value real NOT NULL);
-- upgraded
-- value is NOT NULL: the second insert fails unless the first got id 3.
INSERT INTO readings (value) VALUES (3);
INSERT INTO readings (value) VALUES ((SELECT 4 FROM readings WHERE value = 3 AND id = 3));
-- downgraded
INSERT INTO readings (value) VALUES (5);
INSERT INTO readings (value) VALUES ((SELECT 6 FROM readings WHERE value = 5 AND id = 5));
