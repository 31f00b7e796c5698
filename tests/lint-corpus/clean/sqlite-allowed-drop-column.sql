-- arx-migrate: allow drop-column: bio moved to profiles in 2.4
ALTER TABLE users DROP COLUMN bio;
