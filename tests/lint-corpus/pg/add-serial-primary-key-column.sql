SET lock_timeout = '5s';
ALTER TABLE items ADD COLUMN item_id serial PRIMARY KEY;
