SET lock_timeout = '5s';
ALTER TABLE items ADD COLUMN item_no bigint GENERATED ALWAYS AS IDENTITY;
