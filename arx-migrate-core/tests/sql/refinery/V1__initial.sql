CREATE TABLE persons (
    id integer PRIMARY KEY,
    name text NOT NULL
);
