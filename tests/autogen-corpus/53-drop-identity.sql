-- backends: postgres
-- before
CREATE TABLE rooms (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code integer);
-- after
CREATE TABLE rooms (id integer PRIMARY KEY, code integer);
