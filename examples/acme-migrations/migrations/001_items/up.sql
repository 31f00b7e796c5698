-- Create the items table
--
-- The first revision of the chain: a folder without a header is revision
-- "001" (its name up to the first "_"), and the first folder is a base.
CREATE TABLE items (
    id integer PRIMARY KEY,
    name text NOT NULL
);
