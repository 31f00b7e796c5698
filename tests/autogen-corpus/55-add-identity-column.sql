-- backends: postgres
-- before
CREATE TABLE rooms (id integer PRIMARY KEY, code integer);
-- after
CREATE TABLE rooms (id integer PRIMARY KEY, code integer, item_no bigint GENERATED ALWAYS AS IDENTITY);
