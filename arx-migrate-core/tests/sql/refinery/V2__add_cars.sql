CREATE TABLE cars (
    id integer PRIMARY KEY,
    person_id integer REFERENCES persons (id)
);
