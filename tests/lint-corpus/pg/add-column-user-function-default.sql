SET lock_timeout = '5s';
ALTER TABLE orders ADD COLUMN ref text DEFAULT make_reference();
