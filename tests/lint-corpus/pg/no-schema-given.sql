ALTER TABLE accounts ADD COLUMN plan text NOT NULL;
ALTER TABLE accounts ADD COLUMN seats integer;
